"""Number formats of the reports: effort as people read it, shares as percentages."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def effort(value: Any) -> str:
    """8.0 → "8", 3.3333 → "3.33", 1250.5 → "1,250.5"; no estimate → "—"."""
    if value is None or value == "":
        return "—"
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@register.filter
def percent(value: Any) -> str:
    """A share (0..1) as a percentage with one decimal: 0.52777 → "52.8%"."""
    try:
        return f"{100 * float(value):.1f}%"
    except (TypeError, ValueError):
        return "—"
