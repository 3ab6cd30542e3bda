"""HTML forms: they only parse input. The services decide what is valid and report it per field."""

from __future__ import annotations

from typing import Any

from django import forms

from headway.backlog.models import EffortUnit, StatusCategory
from headway.core.errors import HeadwayError

MARKDOWN_HELP = "Markdown: **bold**, _italic_, lists, links."


class ServiceErrorsMixin:
    """Show a service's ``HeadwayError`` on the fields it names, or above the form."""

    def add_service_error(self, exc: HeadwayError) -> None:
        fields = exc.fields or {"__all__": [exc.message]}
        for name, errors in fields.items():
            self.add_error(name if name in self.fields else None, errors)  # type: ignore[attr-defined]


def _choices(items: list[Any], label: Any = str, empty: str | None = None) -> list[tuple[Any, str]]:
    choices = [(item.pk, label(item)) for item in items]
    return [("", empty), *choices] if empty is not None else choices


class FeatureForm(ServiceErrorsMixin, forms.Form):
    product = forms.TypedChoiceField(coerce=int)
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="The problem, the outcome, notes. " + MARKDOWN_HELP,
    )
    status = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    component = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, help_text="A component of the chosen product."
    )
    initiative = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    objectives = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Objectives served",
        help_text="Which objectives this feature moves. Work that serves none shows in the alignment report.",
    )
    effort = forms.DecimalField(required=False, min_value=0, max_digits=8, decimal_places=2)
    target_release = forms.CharField(
        required=False, max_length=100, label="Target release", help_text="Free text for now, e.g. “2026.3” or “Q3”."
    )
    tags = forms.CharField(required=False, max_length=1000, help_text="Separate tags with commas.")

    def __init__(
        self,
        *args: Any,
        products: list[Any],
        statuses: list[Any],
        members: list[Any],
        components: list[Any],
        initiatives: list[Any],
        objectives: list[Any],
        effort_unit: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _choices(products)
        self.fields["status"].choices = _choices(statuses, empty="— Default status —")
        self.fields["owner"].choices = _choices(members, lambda u: f"{u.display_name} · {u.email}", "— No owner —")
        by_product: dict[str, list[tuple[int, str]]] = {}
        for c in components:
            by_product.setdefault(str(c.product), []).append((c.pk, c.name))
        self.fields["component"].choices = [("", "— No component —"), *by_product.items()]
        self.fields["initiative"].choices = _choices(initiatives, empty="— No initiative —")
        self.fields["objectives"].choices = _choices(objectives)
        self.fields["effort"].label = f"Effort ({EffortUnit(effort_unit).label.lower()})"
        self.fields["effort"].help_text = "Leave empty while not estimated."

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]


class RequirementForm(ServiceErrorsMixin, forms.Form):
    story = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "As a … I want … so that …"}),
        label="User story",
    )
    acceptance_criteria = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Given … when … then …"}),
        label="Acceptance criteria",
    )


class DependencyForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(choices=[("blocked_by", "Blocked by"), ("blocks", "Blocks")], label="Relation")
    ref = forms.CharField(max_length=24, label="Feature", widget=forms.TextInput(attrs={"placeholder": "e.g. PAY-12"}))


class CommentForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}), label="Comment", help_text=MARKDOWN_HELP
    )


class LinkForm(ServiceErrorsMixin, forms.Form):
    url = forms.CharField(max_length=2000, label="Address", widget=forms.URLInput(attrs={"placeholder": "https://…"}))
    title = forms.CharField(required=False, max_length=200)


class StatusForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=40)
    category = forms.ChoiceField(choices=StatusCategory.choices)


class SavedViewForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=80, label="View name")
    shared = forms.BooleanField(required=False, label="Share with the workspace")


class MoveForm(forms.Form):
    """Drag and drop sends the new neighbours (``before``/``after``); the arrow buttons a ``direction``."""

    before = forms.IntegerField(min_value=1, required=False)
    after = forms.IntegerField(min_value=1, required=False)
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("direction") and data.get("before") is None and data.get("after") is None:
            raise forms.ValidationError("Say where to move it: before or after another feature, or up or down.")
        return data
