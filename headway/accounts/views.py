"""Sign in and out, profile, password and API tokens. Thin: parse, call a service, render."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from headway.accounts import services
from headway.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    QueuedPasswordResetForm,
    SetPasswordForm,
    TokenCreateForm,
)
from headway.accounts.models import ApiToken
from headway.core import permissions
from headway.core.errors import HeadwayError, RateLimited


def _posted(request: HttpRequest):
    """The submitted data for a POST (even an empty one, so it shows "required" errors), else None."""
    return request.POST if request.method == "POST" else None


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address for rate limits. Behind ``HEADWAY_PROXY_COUNT`` trusted reverse proxies
    the address is taken from X-Forwarded-For (counted from the right, so a client cannot forge it);
    otherwise every request would seem to come from the proxy and share one limit."""
    proxies = getattr(settings, "HEADWAY_PROXY_COUNT", 0)
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _in_home_workspace(view):
    """Account pages belong to no workspace; show them inside the one the person used last, so the
    sidebar, switcher and breadcrumbs stay where they were instead of an empty sidebar."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        workspaces = permissions.visible_workspaces(request.user)
        workspace = workspaces.filter(pk=request.user.last_workspace_id).first() or workspaces.first()
        if workspace is not None:
            request.workspace = workspace  # type: ignore[attr-defined]
            request.role = permissions.role_in(request.user, workspace)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def _add_errors(form, exc: HeadwayError) -> None:
    """A service error shown inline: under the field it names, or above the form."""
    if not exc.fields:
        form.add_error(None, exc.message)
    for field, errors in exc.fields.items():
        form.add_error(field if field in form.fields else None, errors)


def _safe_next(request: HttpRequest) -> str:
    """The page to return to after signing in: only a path on this site, never another host."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(_posted(request))
    status = 200
    next_url = _safe_next(request)
    if request.method == "POST":
        status = 400
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"], client_ip(request)
        try:
            services.login_check_allowed(email=email, ip_address=ip)
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                services.login_failure_record(email=email, ip_address=ip)
                services.login_check_allowed(email=email, ip_address=ip)  # this failure may be the last allowed
                form.add_error(None, "That email and password do not match an account.")
            else:
                services.login_success_record(user=user)
                login(request, user)
                return HttpResponseRedirect(next_url) if next_url else redirect("home")
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    logout(request)
    messages.info(request, "You are signed out.")
    return HttpResponseRedirect(next_url) if next_url else redirect("accounts:login")


@login_required
@_in_home_workspace
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(_posted(request), initial={"full_name": user.full_name, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=user, **form.cleaned_data)
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
        except HeadwayError as exc:
            _add_errors(form, exc)
    status = 400 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form, "section": "profile"}, status=status)


@login_required
@_in_home_workspace
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(actor=request.user, **form.cleaned_data)
            update_session_auth_hash(request, request.user)
            messages.success(request, "Password changed.")
            return redirect("accounts:profile")
        except HeadwayError as exc:
            _add_errors(form, exc)
    status = 400 if form.errors else 200
    return render(request, "accounts/password_change.html", {"form": form, "section": "password"}, status=status)


@login_required
@_in_home_workspace
def tokens(request: HttpRequest) -> HttpResponse:
    workspaces = permissions.visible_workspaces(request.user)
    initial = {"workspace": request.user.last_workspace_id}
    form = TokenCreateForm(_posted(request), workspaces=workspaces, initial=initial)
    new_secret, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, new_secret = services.api_token_create(actor=request.user, **form.cleaned_data)
                form = TokenCreateForm(workspaces=workspaces, initial={"workspace": token.workspace_id})
                messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
            except HeadwayError as exc:
                form.add_error(None, exc.message)
        status = 400 if form.errors else 200
    token_list = ApiToken.objects.filter(user=request.user).select_related("workspace")
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": token_list, "new_secret": new_secret, "workspaces": workspaces, "section": "tokens"},
        status=status,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.api_token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = QueuedPasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            services.password_reset_request_record(email=form.cleaned_data["email"], ip_address=client_ip(self.request))
        except RateLimited as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
