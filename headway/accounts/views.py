"""Sign in and out, profile, password and API tokens. Thin: parse, call a service, render."""

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from headway.accounts import services
from headway.accounts.forms import LoginForm, PasswordChangeForm, ProfileForm, QueuedPasswordResetForm, TokenCreateForm
from headway.accounts.models import ApiToken
from headway.core import permissions
from headway.core.errors import HeadwayError, RateLimited


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"], client_ip(request)
        try:
            services.login_check_allowed(email=email, ip_address=ip)
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                services.login_failure_record(email=email, ip_address=ip)
                services.login_check_allowed(email=email, ip_address=ip)  # this failure may be the last allowed
                form.add_error(None, "That email and password do not match an account.")
                status = 400
            else:
                services.login_success_record(user=user)
                login(request, user)
                if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                    next_url = ""
                return redirect(next_url or "home")
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=user, **form.cleaned_data)
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
        except HeadwayError as exc:
            for field, errors in exc.fields.items():
                form.add_error(None if field == "__all__" else field, errors)
    return render(request, "accounts/profile.html", {"form": form, "section": "profile"})


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(actor=request.user, **form.cleaned_data)
            update_session_auth_hash(request, request.user)
            messages.success(request, "Password changed.")
            return redirect("accounts:profile")
        except HeadwayError as exc:
            for field, errors in exc.fields.items():
                form.add_error(field if field in form.fields else None, errors)
    return render(request, "accounts/password_change.html", {"form": form, "section": "password"})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    workspaces = permissions.visible_workspaces(request.user)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        workspace = workspaces.filter(pk=request.POST.get("workspace")).first() or workspaces.first()
        try:
            token, new_secret = services.api_token_create(
                actor=request.user, workspace=workspace, name=form.cleaned_data["name"]
            )
            form = TokenCreateForm()
            messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
        except HeadwayError as exc:
            form.add_error(None, exc.message)
    token_list = ApiToken.objects.filter(user=request.user).select_related("workspace")
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": token_list, "new_secret": new_secret, "workspaces": workspaces, "section": "tokens"},
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


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
