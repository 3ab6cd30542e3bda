"""HTML forms: they only parse input. The services decide what is valid and report it per field."""

from __future__ import annotations

from typing import Any

from django import forms

from headway.core.errors import HeadwayError
from headway.portfolio.models import Stage

MARKDOWN_HELP = "Markdown: **bold**, _italic_, lists, links."


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ServiceErrorsMixin:
    """Show a service's ``HeadwayError`` on the fields it names, or above the form."""

    def add_service_error(self, exc: HeadwayError, renames: dict[str, str] | None = None) -> None:
        renames = renames or {}
        fields = exc.fields or {"__all__": [exc.message]}
        for name, errors in fields.items():
            target = renames.get(name, name)
            self.add_error(target if target in self.fields else None, errors)  # type: ignore[attr-defined]


class ProductLineForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autofocus": True}))
    description = forms.CharField(required=False, widget=_textarea(), help_text=MARKDOWN_HELP)


class ProductForm(ServiceErrorsMixin, forms.Form):
    product_line = forms.TypedChoiceField(coerce=int, label="Product line")
    name = forms.CharField(max_length=100)
    key = forms.CharField(
        max_length=10,
        help_text="2–10 capital letters or digits, starting with a letter. Used in references, e.g. PAY-123.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "style": "text-transform:uppercase"}),
    )
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, help_text="A product manager.")
    stage = forms.ChoiceField(choices=Stage.choices, initial=Stage.CONCEPT, label="Lifecycle stage")
    target_customers = forms.CharField(
        required=False,
        widget=_textarea(3),
        label="Target customers",
        help_text="Who buys and uses it. " + MARKDOWN_HELP,
    )
    description = forms.CharField(required=False, widget=_textarea(6), help_text=MARKDOWN_HELP)

    def __init__(
        self,
        *args: Any,
        lines: list[tuple[int, str]] | None = None,
        owners: list[tuple[int, str]],
        can_change_owner: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if lines is None:  # editing: the line changes through "Move", not here
            del self.fields["product_line"]
        else:
            self.fields["product_line"].choices = lines
        self.fields["owner"].choices = [("", "— No owner —"), *owners]
        if not can_change_owner:
            self.fields["owner"].disabled = True
            self.fields["owner"].help_text = "Only product leaders and admins change the owner."


class ComponentForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autofocus": True}))
    description = forms.CharField(required=False, widget=_textarea(), help_text=MARKDOWN_HELP)


class MoveForm(forms.Form):
    """Move buttons send ``direction``; drag and drop sends ``position`` (and maybe a new parent)."""

    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)
    position = forms.IntegerField(min_value=0, required=False)
    parent = forms.IntegerField(min_value=1, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("direction") and data.get("position") is None:
            raise forms.ValidationError("Say where to move it: a direction (up or down) or a position.")
        return data

    def target_position(self, current: int) -> int:
        direction = self.cleaned_data.get("direction")
        if direction == "up":
            return max(0, current - 1)
        if direction == "down":
            return current + 1
        return self.cleaned_data["position"]
