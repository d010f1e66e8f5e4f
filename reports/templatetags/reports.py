from django import template

from ..base import display, display_change

register = template.Library()


@register.simple_tag
def cell(column, value):
    """A report cell as the screen and the print view show it ("—" for a ratio without denominator)."""
    return display(column, value)


@register.simple_tag
def change(column, value):
    return display_change(column, value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
