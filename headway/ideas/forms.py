"""HTML forms of the team's ideas pages: they only parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from headway.backlog.forms import MARKDOWN_HELP, ServiceErrorsMixin
from headway.ideas.models import Audience, CompanyBasis, Importance, StatusCategory, Visibility


def _choices(items: list[Any], label: Any = str, empty: str | None = None) -> list[tuple[Any, str]]:
    choices = [(item.pk, label(item)) for item in items]
    return [("", empty), *choices] if empty is not None else choices


class IdeaFieldsForm(ServiceErrorsMixin, forms.Form):
    """Title, description, product, category: shared by "submit on behalf" and "edit"."""

    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))
    description = forms.CharField(
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 6}), help_text=MARKDOWN_HELP
    )
    product = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, products: list[Any], categories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _choices(products, lambda p: f"{p.key} · {p.name}", "— No product —")
        self.fields["category"].choices = _choices(categories, empty="— No category —")


class SubmitForm(IdeaFieldsForm):
    """An idea filed for a customer after a sales or support call."""

    portal = forms.TypedChoiceField(coerce=int)
    contact = forms.EmailField(
        required=False,
        max_length=254,
        label="Contact's email",
        help_text="A contact of your customer list; they hear what becomes of the idea.",
    )
    company = forms.CharField(
        required=False,
        max_length=200,
        help_text="The customer company, by name (the contact's company if empty).",
        widget=forms.TextInput(attrs={"list": "company-names", "autocomplete": "off"}),
    )
    importance = forms.ChoiceField(choices=Importance.choices, initial=Importance.IMPORTANT)
    audience = forms.ChoiceField(choices=Audience.choices, initial=Audience.CUSTOMER)

    field_order = ["portal", "title", "description", "product", "category", "contact", "company", "importance"]

    def __init__(self, *args: Any, portals: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["portal"].choices = _choices(portals)


class EditForm(IdeaFieldsForm):
    audience = forms.ChoiceField(choices=Audience.choices)


class CommentForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}), label="Comment", help_text=MARKDOWN_HELP
    )
    internal = forms.TypedChoiceField(
        choices=[("1", "Internal note (team only)"), ("0", "Public reply (official, tells followers)")],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
        label="Who sees it",
    )


class StatusForm(ServiceErrorsMixin, forms.Form):
    status = forms.TypedChoiceField(coerce=int)
    message = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Public message",
        help_text="Optional. Sent to the submitter, voters and followers with the new status.",
    )

    def __init__(self, *args: Any, statuses: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(
            statuses,
            lambda s: s.name if s.name == s.get_category_display() else f"{s.name} ({s.get_category_display()})",
        )


class ProxyVoteForm(ServiceErrorsMixin, forms.Form):
    company = forms.CharField(
        max_length=200,
        help_text="The customer company you vote for, by name.",
        widget=forms.TextInput(attrs={"list": "company-names", "autocomplete": "off"}),
    )
    contact = forms.EmailField(required=False, max_length=254, label="Contact's email", help_text="Optional.")
    importance = forms.ChoiceField(choices=Importance.choices, initial=Importance.IMPORTANT)


class MergeForm(ServiceErrorsMixin, forms.Form):
    target = forms.IntegerField(min_value=1, label="Merge into idea")


class PromoteForm(ServiceErrorsMixin, forms.Form):
    product = forms.TypedChoiceField(coerce=int)
    title = forms.CharField(required=False, max_length=200, help_text="The idea's title if empty.")

    def __init__(self, *args: Any, products: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _choices(products, lambda p: f"{p.key} · {p.name}")


class LinkFeatureForm(ServiceErrorsMixin, forms.Form):
    ref = forms.CharField(max_length=24, label="Feature", widget=forms.TextInput(attrs={"placeholder": "e.g. PAY-12"}))


class LinkIdeaForm(ServiceErrorsMixin, forms.Form):
    """On a feature's page: an idea to link, by its number."""

    idea = forms.CharField(max_length=14, label="Idea", widget=forms.TextInput(attrs={"placeholder": "e.g. #42"}))

    def clean_idea(self) -> int:
        value = self.cleaned_data["idea"].strip().lstrip("#")
        if not value.isdigit() or len(value) > 12:
            raise forms.ValidationError("Give the idea's number, such as #42.")
        return int(value)


# --- settings ------------------------------------------------------------------------------------


class PortalForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.CharField(
        max_length=50,
        label="Address",
        help_text="Lower-case letters, digits and dashes: the portal opens at /p/<address>/.",
    )
    intro = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Introduction",
        help_text="Shown at the top of the portal. " + MARKDOWN_HELP,
    )
    accent_color = forms.CharField(
        max_length=7, initial="#4f46e5", label="Accent colour", widget=forms.TextInput(attrs={"type": "color"})
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.PUBLIC)
    allowed_domains = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "example.com"}),
        label="Allowed email domains",
        help_text="Private portals: people with an address at one of these domains may sign up (one per line).",
    )
    require_approval = forms.BooleanField(
        required=False,
        label="Approve new ideas",
        help_text="Ideas from people outside the workspace wait for approval.",
    )
    products = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, help_text="What this portal's ideas are about."
    )

    def __init__(self, *args: Any, products: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = _choices(products, lambda p: f"{p.key} · {p.name}")


class InviteForm(ServiceErrorsMixin, forms.Form):
    emails = forms.CharField(
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "ana@customer.example"}),
        label="Invite by email",
        help_text="One or more addresses, separated by commas, spaces or new lines.",
    )

    def clean_emails(self) -> list[str]:
        raw = self.cleaned_data["emails"].replace(",", " ").replace(";", " ").split()
        return list(dict.fromkeys(e.strip() for e in raw if e.strip()))


class IdeaStatusForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=50)
    public_label = forms.CharField(
        required=False, max_length=50, label="Public label", help_text="What portal visitors read (the name if empty)."
    )
    category = forms.ChoiceField(choices=StatusCategory.choices)


class CategoryForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=60)


_WEIGHT = {"max_digits": 6, "decimal_places": 2, "min_value": 0}


class DemandForm(ServiceErrorsMixin, forms.Form):
    nice_to_have_weight = forms.DecimalField(label="Nice to have", **_WEIGHT)
    important_weight = forms.DecimalField(label="Important", **_WEIGHT)
    critical_weight = forms.DecimalField(label="Critical", **_WEIGHT)
    company_basis = forms.ChoiceField(choices=CompanyBasis.choices, widget=forms.RadioSelect, label="Weigh companies")
    strategic_weight = forms.DecimalField(label="Strategic tier", **_WEIGHT)
    key_weight = forms.DecimalField(label="Key tier", **_WEIGHT)
    standard_weight = forms.DecimalField(label="Standard tier", **_WEIGHT)
    arr_step = forms.DecimalField(
        label="ARR per extra vote",
        max_digits=14,
        decimal_places=2,
        min_value=1,
        help_text="By ARR, a vote counts 1 + ARR ÷ this amount.",
    )
    no_company_weight = forms.DecimalField(
        label="No company", help_text="Votes of people with no company (colleagues, unknown visitors).", **_WEIGHT
    )
