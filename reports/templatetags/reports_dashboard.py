"""Template filters of the dashboards: counts and rates shown by the reports' one rule ("—" when
there is nothing to divide by)."""

from django import template

from ..base import Column, display

register = template.Library()

_COUNT = Column("count", "", "int")
_RATE = Column("rate", "", "percent")
_DECIMAL = Column("decimal", "", "decimal")


@register.filter
def count(value) -> str:
    return display(_COUNT, value)


@register.filter
def rate(value) -> str:
    return display(_RATE, value)


@register.filter
def decimal(value) -> str:
    return display(_DECIMAL, value)
