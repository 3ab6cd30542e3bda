"""Template helpers for strategy pages: ``{% load strategy_tags %}``."""

from decimal import Decimal
from typing import Any

from django import template

from headway.strategy import progress as rule
from headway.strategy.periods import period_label

register = template.Library()


@register.filter
def pct(progress: float | None) -> int | str:
    """0.625 → 62 (whole percent, rounded down; see ``progress.percent``); None → ""."""
    value = rule.percent(None if progress is None else float(progress))
    return "" if value is None else value


@register.filter
def number(value: Decimal | None) -> str:
    """12.5000 → "12.5", 1200 → "1,200": key result values as people write them."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}{'.' + fraction if fraction else ''}"


@register.filter
def period(obj: Any) -> str:
    """The readable period of an objective: "Q2 2026", "H1 2026", "2026" or its dates."""
    return period_label(obj.period_kind, obj.starts_on, obj.ends_on)


@register.filter
def with_unit(value: Decimal | None, unit: str) -> str:
    """The value and its unit: "12.5 %" → "12.5%", "300 ms", "40 customers"."""
    text = number(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}"
