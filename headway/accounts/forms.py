from django import forms
from django.contrib.auth import forms as auth_forms

from headway.accounts.models import TIME_ZONE_CHOICES


class LoginForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, label="Time zone")


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="Current password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not only digits, not a common password.",
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="What will use it, e.g. “CRM sync”.")
    workspace: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        label="Workspace",
        help_text="A token acts as you, in this workspace only.",
        error_messages={"invalid_choice": "Choose one of your workspaces."},
    )

    def __init__(self, *args, workspaces, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = workspaces


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Django's "choose a new password" form, saving through the service (audit, lock-out reset)."""

    def save(self, commit: bool = True):
        from headway.accounts.services import password_set

        password_set(actor=self.user, user=self.user, new_password=self.cleaned_data["new_password1"])
        return self.user


class QueuedPasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, but the mail leaves through the task queue like every other mail."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ) -> None:
        from django.template.loader import render_to_string

        from headway.core.tasks import send_email

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        send_email.enqueue(to=[to_email], subject=subject, body=body)
