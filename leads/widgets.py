"""Choice widgets drawn in Python: the markup of Django's widget templates, without a template per option.

The list pages draw long choice lists on every request (sources, series, owners, grades, statuses).
Django renders each option through its own template include, which cost the lead lists more than
their fifty rows; these widgets keep Django's choices, ids, ``selected``/``checked`` and attributes,
and only build the same HTML directly.
"""

from __future__ import annotations

from django import forms
from django.forms.widgets import ChoiceWidget
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Django's widget templates for the markup reproduced here.
_SELECT = "django/forms/widgets/select.html"
_SELECT_OPTION = "django/forms/widgets/select_option.html"
_INPUT_OPTIONS = {
    "django/forms/widgets/checkbox_option.html",
    "django/forms/widgets/radio_option.html",
    "django/forms/widgets/input_option.html",
}


def flat_attrs(attrs: dict) -> SafeString:
    """``django/forms/widgets/attrs.html``: `` name="value"``, a bare `` name`` for True, nothing for False."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


def option_html(option: dict) -> SafeString:
    return format_html(
        '<option value="{}"{}>{}</option>', option["value"], flat_attrs(option["attrs"]), option["label"]
    )


def input_html(option: dict) -> SafeString:
    value = "" if option["value"] is None else format_html(' value="{}"', option["value"])
    tag = format_html(
        '<input type="{}" name="{}"{}{}>', option["type"], option["name"], value, flat_attrs(option["attrs"])
    )
    if not option.get("wrap_label"):
        return tag
    label_for = option["attrs"].get("id")
    label_open = format_html('<label for="{}">', label_for) if label_for else format_html("<label>")
    return format_html("{}{} {}</label>", label_open, tag, option["label"])


def _group_html(group_name, options) -> SafeString:
    inner = format_html_join("", "\n  {}", ((option_html(option),) for option in options))
    if not group_name:
        return inner
    return format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, inner)


class FastChoiceRendering:
    """Mixed into a choice widget class: its ``<select>`` and its options are built in Python."""

    def _render(self, template_name, context, renderer=None):
        widget = context["widget"]
        if template_name == _SELECT:
            groups = format_html_join(
                "", "{}", ((_group_html(name, options),) for name, options, _i in widget["optgroups"])
            )
            return format_html('<select name="{}"{}>{}\n</select>', widget["name"], flat_attrs(widget["attrs"]), groups)
        if template_name == _SELECT_OPTION:
            return option_html(widget)
        if template_name in _INPUT_OPTIONS:
            return input_html(widget)
        return super()._render(template_name, context, renderer)


_fast_classes: dict[type, type] = {}


def fast_choice_widgets(form: forms.BaseForm) -> forms.BaseForm:
    """Give every choice widget of ``form`` Python rendering (same markup, same behaviour otherwise)."""
    for field in form.fields.values():
        widget = field.widget
        cls = type(widget)
        if not isinstance(widget, ChoiceWidget) or isinstance(widget, FastChoiceRendering):
            continue
        if cls not in _fast_classes:
            _fast_classes[cls] = type(f"Fast{cls.__name__}", (FastChoiceRendering, cls), {})
        widget.__class__ = _fast_classes[cls]
    return form


def cached_model_choices(field: forms.ModelChoiceField, key: str) -> None:
    """Draw ``field``'s options from a short-lived cache (``selectors.cached_choices``) rather than a
    query on every page. Only the widget's choices change: the field still validates a submitted
    value against its queryset."""
    from .selectors import cached_choices

    head = [("", field.empty_label)] if field.empty_label is not None else []
    if getattr(field, "null_label", None) is not None:
        head.append((field.null_value, field.null_label))
    field.widget.choices = [*head, *cached_choices(key, field.queryset, field.label_from_instance)]
