"""Portal pages about notifications: the in-app list, email preferences and one-click unsubscribe."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from headway.core import permissions
from headway.core.errors import NotFound, ValidationFailed
from headway.core.htmx import render_page
from headway.ideas import notify
from headway.ideas.models import EmailPreference, Portal

PAGE_SIZE = 25


def _portal(slug: str) -> Portal:
    return get_object_or_404(Portal.objects.select_related("workspace"), slug=slug)


def _sign_in_first(request: HttpRequest, portal: Portal) -> HttpResponse:
    signin = reverse("portal:signin", kwargs={"portal": portal.slug})
    return redirect(f"{signin}?{urlencode({'next': request.get_full_path()})}")


@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest, portal: str) -> HttpResponse:
    """The signed-in person's notifications in this portal's workspace; POST marks them all read."""
    found = _portal(portal)
    if not request.user.is_authenticated:
        return _sign_in_first(request, found)
    access = permissions.require_portal(request.user, found, permissions.PortalAccess.READ)
    here = reverse("portal:notifications", kwargs={"portal": found.slug})
    if request.method == "POST":
        count = notify.notifications_mark_read(user=request.user, workspace_id=found.workspace_id)
        if count:
            messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
        return redirect(here)
    page = Paginator(notify.inbox(user=request.user, workspace_id=found.workspace_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "portal": found,
        "access": access,
        "page": page,
        "unread": notify.unread_count(request.user, found.workspace_id),
    }
    return render_page(request, "ideas/portal/notifications.html", context, fragment="list")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, portal: str) -> HttpResponse:
    """How the signed-in person hears from this workspace by email: each update, a daily digest, or never."""
    found = _portal(portal)
    if not request.user.is_authenticated:
        return _sign_in_first(request, found)
    access = permissions.require_portal(request.user, found, permissions.PortalAccess.READ)
    email = request.user.email
    status = 200
    error = ""
    if request.method == "POST":
        mode = request.POST.get("mode", "")
        try:
            notify.email_preference_set(workspace_id=found.workspace_id, email=email, mode=mode)
        except ValidationFailed as exc:
            error, status = exc.message, 422
        else:
            messages.success(request, "Your email settings are saved.")
            return redirect(reverse("portal:preferences", kwargs={"portal": found.slug}))
    context = {
        "portal": found,
        "access": access,
        "email": email,
        "mode": notify.email_mode(workspace_id=found.workspace_id, email=email),
        "modes": EmailPreference.Mode.choices,
        "error": error,
        "unread": notify.unread_count(request.user, found.workspace_id),
    }
    return render(request, "ideas/portal/preferences.html", context, status=status)


# Mail clients POST here without a CSRF token (RFC 8058 one-click); the signed token is the proof.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, portal: str, token: str) -> HttpResponse:
    """One click unsubscribes at once (GET from the email, or POST from the mail client's button);
    the page offers to undo it. A forged or altered token is a 404 (NotFound from the service)."""
    found = _portal(portal)
    access = permissions.portal_access(request.user, found)
    base = {"portal": found, "access": access, "unread": notify.unread_count(request.user, found.workspace_id)}
    try:
        if request.method == "POST" and request.POST.get("undo"):
            done = notify.unsubscribe_undo(portal=found, token=token, mode=request.POST.get("mode", ""))
            undone = True
        else:
            done = notify.unsubscribe(portal=found, token=token)
            undone = False
    except NotFound as exc:
        if access == permissions.PortalAccess.NONE:
            raise  # the site's plain 404: a private portal's name is not shown to strangers
        context = {**base, "message": exc.message, "status": exc.status}
        return render(request, "ideas/portal/error.html", context, status=exc.status)
    context = {**base, "done": done, "undone": undone, "token": token}
    return render(request, "ideas/portal/unsubscribed.html", context)
