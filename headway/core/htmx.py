"""Same URL, full page or fragment: views render one template and pick a partial under htmx."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, fragment: str | None = None, status: int = 200
) -> HttpResponse:
    """Render ``template``; for an htmx request that is not a boosted navigation render only
    the named partial (``template#fragment``) so the page and the fragment never drift apart."""
    htmx = getattr(request, "htmx", None)
    if fragment and htmx and not htmx.boosted:
        return render(request, f"{template}#{fragment}", context, status=status)
    return render(request, template, context, status=status)


def ws_url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    """``reverse`` for a page of the request's workspace (``/w/<ws>/...``)."""
    from django.urls import reverse

    return reverse(name, kwargs={"ws": request.workspace.slug, **kwargs})  # type: ignore[attr-defined]


def is_scripted(request: HttpRequest) -> bool:
    """Did htmx send this request (so it wants a fragment or an HX-Redirect, not a full page)?"""
    return request.headers.get("HX-Request") == "true"


def form_errors_text(form: Any) -> str:
    """A form's errors as one sentence-like line, for a flash message."""
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def id_param(value: object) -> int | None:
    """A positive id from a query string or form (a tampered or empty value is just "none")."""
    try:
        number = int(str(value or ""))
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def redirect_after(request: HttpRequest, url: str) -> HttpResponse:
    """After a POST: htmx follows an ``HX-Redirect`` (a 204), a plain form a 302 to the same URL."""
    from django.shortcuts import redirect

    if is_scripted(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
