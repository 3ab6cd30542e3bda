"""Template helpers available in every template (registered as a builtin)."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from headway.core.markdown import render_markdown

register = template.Library()


@register.simple_tag(takes_context=True)
def wurl(context: dict[str, Any], name: str, *args: Any, **kwargs: Any) -> str:
    """``{% wurl "portfolio:product" pk=1 %}``: reverse a URL inside the current workspace."""
    request = context["request"]
    return reverse(
        name,
        args=[request.workspace.slug, *args] if args else None,
        kwargs=None if args else {"ws": request.workspace.slug, **kwargs},
    )


@register.simple_tag(takes_context=True)
def query(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.filter
def markdown(text: str) -> str:
    return render_markdown(text)


@register.filter
def money(value: Any, currency: str = "USD") -> str:
    """12345678 → "12.3M USD"; amounts read at a glance in lists."""
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return "—"
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(amount) >= limit:
            return f"{amount / limit:.1f}{suffix} {currency}"
    return f"{amount:,.0f} {currency}"


@register.filter
def get(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def blank(value: Any) -> Any:
    """An empty or missing value shown as a dash, so "cleared" reads differently from "zero"."""
    return "—" if value is None or value == "" else value


@register.filter
def field_label(name: str) -> str:
    """``target_customers`` → "Target customers" for history entries."""
    return str(name).replace("_", " ").capitalize()


@register.filter
def model_label(obj: Any) -> str:
    """``app_label.modelname`` of a model instance, as stored in AuditEvent.target_type."""
    meta = getattr(obj, "_meta", None)
    return meta.label_lower if meta else ""
