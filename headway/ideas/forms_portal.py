"""Forms of the portal pages: they only parse input. The services decide what is valid and say so
per field (``add_service_error``)."""

from __future__ import annotations

from typing import Any

from django import forms

from headway.core.errors import HeadwayError
from headway.ideas.models import IdeaCategory, Importance, Portal, StatusCategory
from headway.portfolio.models import Product

MARKDOWN_HELP = "Markdown: **bold**, _italic_, lists, links."
SORTS = [("votes", "Top"), ("trending", "Trending"), ("newest", "Newest")]
PAGE_SIZE = 50


class ServiceErrorsMixin:
    """Show a service's ``HeadwayError`` on the fields it names, or above the form."""

    def add_service_error(self, exc: HeadwayError) -> None:
        fields = exc.fields or {"__all__": [exc.message]}
        for name, errors in fields.items():
            self.add_error(name if name in self.fields else None, errors)  # type: ignore[attr-defined]


def portal_products(portal: Portal) -> list[Product]:
    """The products this portal covers (what ideas may be filed against), in portfolio order."""
    return list(
        Product.objects.filter(pk__in=portal.portal_products.values("product_id"), archived_at__isnull=True).order_by(
            "name", "id"
        )
    )


def portal_categories(portal: Portal) -> list[IdeaCategory]:
    return list(IdeaCategory.objects.filter(workspace_id=portal.workspace_id))


def _choices(rows: list[Any], empty: str) -> list[tuple[Any, str]]:
    return [("", empty), *((row.pk, str(row)) for row in rows)]


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


class IdeaFilterForm(forms.Form):
    """The idea list's query string: sort tab, search, filters and page. Never invalid: anything
    it does not understand falls back to the default."""

    sort = forms.ChoiceField(choices=SORTS, required=False)
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(required=False)
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    product = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, data: Any, *, products: list[Product], categories: list[IdeaCategory]):
        super().__init__(data)
        self.fields["status"].choices = [("", "Any status"), *StatusCategory.choices]  # type: ignore[attr-defined]
        self.fields["category"].choices = _choices(categories, "Any category")  # type: ignore[attr-defined]
        self.fields["product"].choices = _choices(products, "Any product")  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"placeholder": "Search ideas", "type": "search", "aria-label": "Search"})

    def params(self) -> dict[str, Any]:
        """What the selector takes, with the defaults for anything missing or invalid."""
        self.is_valid()
        data = self.cleaned_data
        page = _int_or_none(str(self.data.get("page", "")))
        return {
            "sort": data.get("sort") or "votes",
            "q": (data.get("q") or "").strip(),
            "status_category": data.get("status") or "",
            "category_id": data.get("category"),
            "product_id": data.get("product"),
            "page": max(1, min(page or 1, 100_000)),
            "page_size": PAGE_SIZE,
        }


class IdeaForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "One line: what would you like?"}),
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "What are you trying to do? What gets in the way?"}),
        help_text=MARKDOWN_HELP,
    )
    product = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    importance = forms.ChoiceField(
        choices=Importance.choices,
        initial=Importance.IMPORTANT,
        widget=forms.RadioSelect,
        label="How important is it to you?",
    )
    # A honeypot: people never see it, bots fill it in. The service refuses ideas that have it.
    website = forms.CharField(
        required=False,
        label="Website (leave empty)",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        products: list[Product],
        categories: list[IdeaCategory],
        with_importance: bool = True,
        **kwargs: Any,
    ):
        super().__init__(data, **kwargs)
        self.products = {p.pk: p for p in products}
        self.categories = {c.pk: c for c in categories}
        self.fields["product"].choices = _choices(products, "Not sure")  # type: ignore[attr-defined]
        self.fields["category"].choices = _choices(categories, "None")  # type: ignore[attr-defined]
        if not products:
            del self.fields["product"]
        if not categories:
            del self.fields["category"]
        if not with_importance:
            del self.fields["importance"]
            del self.fields["website"]
        for field in self.fields.values():
            # The submit page splits the form around the similar ideas (forms of their own).
            field.widget.attrs["form"] = "idea-form"

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data with ids turned into the portal's own objects."""
        data = dict(self.cleaned_data)
        if "product" in data:
            data["product"] = self.products.get(data["product"]) if data["product"] else None
        if "category" in data:
            data["category"] = self.categories.get(data["category"]) if data["category"] else None
        return data


class CommentForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Add a comment"}),
        help_text=MARKDOWN_HELP,
    )
    internal = forms.BooleanField(required=False, label="Internal – only your team sees this")


class SignupForm(ServiceErrorsMixin, forms.Form):
    full_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters.",
    )


class SigninForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
