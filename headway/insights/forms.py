"""HTML forms of the inbox: they only parse input; the services decide what is valid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from headway.backlog.forms import ServiceErrorsMixin
from headway.ideas.models import Importance
from headway.insights.models import MAX_NOTE_CHARS, Kind, NoteState, Sentiment

CHANNEL_SUGGESTIONS = [
    "Sales call",
    "Support ticket",
    "Customer interview",
    "Customer success check-in",
    "Conference",
    "Slack",
    "Email",
    "Survey",
]


class NoteForm(ServiceErrorsMixin, forms.Form):
    """A note typed in after a call, a meeting or a support conversation."""

    text = forms.CharField(
        max_length=MAX_NOTE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "autofocus": True}),
        help_text="What the customer said, as close to their words as you can.",
    )
    title = forms.CharField(required=False, max_length=300)
    channel = forms.CharField(
        required=False,
        max_length=80,
        initial="Sales call",
        help_text="Where you heard it.",
        widget=forms.TextInput(attrs={"list": "note-channels", "autocomplete": "off"}),
    )
    customer_email = forms.EmailField(
        required=False,
        max_length=254,
        label="Customer's email",
        help_text="Matched to a contact (or a company by its domain) of your customer list.",
    )
    customer_name = forms.CharField(required=False, max_length=200, label="Customer's name")
    company = forms.CharField(
        required=False,
        max_length=200,
        help_text="A company of your customer list, by name (found from the email when empty).",
        widget=forms.TextInput(attrs={"list": "company-names", "autocomplete": "off"}),
    )
    product = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    received = forms.DateField(
        required=False,
        label="Received on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today when empty.",
    )
    url = forms.URLField(required=False, max_length=2000, label="Link", assume_scheme="https")

    def __init__(self, *args: Any, products: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "— No product —"), *[(p.pk, f"{p.key} · {p.name}") for p in products]]

    def received_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("received")
        if day is None:
            return None
        if day == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


class TriageForm(forms.Form):
    state = forms.ChoiceField(choices=NoteState.choices)
    snoozed_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class LabelForm(forms.Form):
    field = forms.ChoiceField(choices=[("kind", "Kind"), ("sentiment", "Sentiment")])
    value = forms.CharField(max_length=16)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        allowed = {"kind": Kind.values, "sentiment": Sentiment.values}.get(data.get("field", ""), [])
        if data.get("value") and data["value"] not in allowed:
            self.add_error("value", f"Choose one of {', '.join(allowed)}.")
        return data


class HighlightForm(forms.Form):
    start = forms.IntegerField(min_value=0, max_value=MAX_NOTE_CHARS)
    end = forms.IntegerField(min_value=1, max_value=MAX_NOTE_CHARS)
    importance = forms.ChoiceField(choices=Importance.choices, initial=Importance.IMPORTANT)
    # "feature:12" or "idea:5": what the passage is evidence for
    target = forms.RegexField(
        regex=r"^(feature|idea):[0-9]{1,11}$",
        error_messages={
            "invalid": "Choose a feature or an idea to link the passage to.",
            "required": "Choose a feature or an idea to link the passage to.",
        },
    )

    def target_parts(self) -> tuple[str, int]:
        kind, _, pk = self.cleaned_data["target"].partition(":")
        return kind, int(pk)


class NoteEditForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(required=False, max_length=300)
    product = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    company = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "company-names", "autocomplete": "off"}),
    )
    contact = forms.EmailField(required=False, max_length=254, label="Contact's email")

    def __init__(self, *args: Any, products: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "— No product —"), *[(p.pk, f"{p.key} · {p.name}") for p in products]]
