"""HTML forms: they only parse input. The services decide what is valid and report it per field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from headway.core.errors import HeadwayError
from headway.strategy.models import MAX_WEIGHT, Direction, Health, InitiativeStatus, KeyResult, ObjectiveStatus
from headway.strategy.periods import Period

MARKDOWN_HELP = "Markdown: **bold**, _italic_, lists, links."
CUSTOM = "custom"


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ServiceErrorsMixin:
    """Show a service's ``HeadwayError`` on the fields it names, or above the form."""

    def add_service_error(self, exc: HeadwayError, renames: dict[str, str] | None = None) -> None:
        renames = renames or {}
        fields = exc.fields or {"__all__": [exc.message]}
        for name, errors in fields.items():
            target = renames.get(name, name)
            self.add_error(target if target in self.fields else None, errors)  # type: ignore[attr-defined]


def _value_field(label: str, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=20,
        decimal_places=4,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )


class ObjectiveForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        max_length=200,
        widget=forms.TextInput(
            attrs={"autofocus": True, "placeholder": "e.g. Become the default checkout for EU SMBs"}
        ),
    )
    parent = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Serves",
        help_text="The objective this one contributes to. Leave empty for a top-level (company) objective.",
    )
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, help_text="A PM, leader or admin.")
    period = forms.ChoiceField(label="Period")
    starts_on = forms.DateField(required=False, label="Starts on", widget=DateInput())
    ends_on = forms.DateField(required=False, label="Ends on", widget=DateInput())
    status = forms.ChoiceField(choices=ObjectiveStatus.choices, initial=ObjectiveStatus.ON_TRACK)
    product_line = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Product line")
    product = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    weight = forms.IntegerField(
        min_value=1,
        max_value=MAX_WEIGHT,
        initial=1,
        help_text="How much it counts in the progress of the objective it serves (1 = like one key result).",
    )
    description = forms.CharField(required=False, widget=_textarea(5), help_text=MARKDOWN_HELP)

    def __init__(
        self,
        *args: Any,
        parents: list[tuple[int, str]] | None,
        owners: list[tuple[int, str]],
        periods: list[Period],
        lines: list[tuple[int, str]],
        products: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if parents is None:  # editing: the parent changes through "Move", not here
            del self.fields["parent"]
        else:
            self.fields["parent"].choices = [("", "— Nothing: a top-level objective —"), *parents]
        self.fields["owner"].choices = [("", "— No owner —"), *owners]
        self.periods = {p.key: p for p in periods}
        self.fields["period"].choices = [(p.key, p.label) for p in periods] + [(CUSTOM, "Custom dates…")]
        self.fields["product_line"].choices = [("", "— None —"), *lines]
        self.fields["product"].choices = [("", "— None —"), *products]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("period")
        if key == CUSTOM:
            for name in ("starts_on", "ends_on"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Give both dates for custom dates.")
            data["period_kind"] = CUSTOM
        elif key in self.periods:
            period = self.periods[key]
            data["period_kind"], data["starts_on"], data["ends_on"] = period.kind, period.starts_on, period.ends_on
        return data

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("period", None)
        return data


class ObjectiveMoveForm(ServiceErrorsMixin, forms.Form):
    parent = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Serves", help_text="Its children move with it."
    )

    def __init__(self, *args: Any, parents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "— Nothing: a top-level objective —"), *parents]


class KeyResultForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "e.g. Checkout conversion"}),
        help_text="What is measured.",
    )
    direction = forms.ChoiceField(
        choices=Direction.choices,
        initial=Direction.INCREASE,
        help_text="Increase/decrease: progress runs from the start value to the target. "
        "Keep at or above/below: achieved while the value stays on the right side of the target.",
    )
    start_value = _value_field("Start value", help_text="Where it stood when the objective was set.")
    target_value = _value_field("Target value")
    current_value = _value_field("Current value", required=False, help_text="Leave empty to start at the start value.")
    unit = forms.CharField(max_length=24, required=False, help_text="e.g. %, ms, customers, k USD")
    weight = forms.IntegerField(
        min_value=1, max_value=MAX_WEIGHT, initial=1, help_text="How much it counts in the objective's progress."
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["current_value"].required = True
            self.fields["current_value"].help_text = ""


class KeyResultValueForm(ServiceErrorsMixin, forms.Form):
    current_value = _value_field("Current value")


class CheckInForm(ServiceErrorsMixin, forms.Form):
    health = forms.ChoiceField(choices=Health.choices, widget=forms.RadioSelect, label="How is it going?")
    date = forms.DateField(widget=DateInput())
    comment = forms.CharField(
        required=False,
        widget=_textarea(3),
        help_text="What moved, what is in the way, what you need. " + MARKDOWN_HELP,
    )

    def __init__(self, *args: Any, key_results: list[KeyResult], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self.key_result_fields = []
        for kr in key_results:
            name = f"kr_{kr.pk}"
            unit = f" ({kr.unit})" if kr.unit else ""
            self.fields[name] = _value_field(f"{kr.title}{unit}", required=False)
            self.fields[name].initial = format(kr.current_value.normalize(), "f")
            self.key_result_fields.append(name)

    def values(self) -> dict[int, Any]:
        return {
            int(name[3:]): self.cleaned_data[name]
            for name in self.key_result_fields
            if self.cleaned_data.get(name) is not None
        }

    def key_result_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.key_result_fields]


class InitiativeForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "e.g. One-click checkout"}),
    )
    problem = forms.CharField(
        required=False,
        widget=_textarea(4),
        label="Problem statement",
        help_text="The problem this bet solves, for whom, and how you will know. " + MARKDOWN_HELP,
    )
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(choices=InitiativeStatus.choices, initial=InitiativeStatus.PROPOSED)
    starts_on = forms.DateField(required=False, label="Starts on", widget=DateInput())
    ends_on = forms.DateField(required=False, label="Ends on", widget=DateInput())
    objectives = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Objectives it serves",
        widget=forms.CheckboxSelectMultiple,
    )
    products = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Products it touches", widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        owners: list[tuple[int, str]],
        objectives: list[tuple[int, str]],
        products: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "— No owner —"), *owners]
        self.fields["objectives"].choices = objectives
        self.fields["products"].choices = products


class VisionForm(ServiceErrorsMixin, forms.Form):
    statement = forms.CharField(
        required=False,
        label="Vision statement",
        widget=_textarea(3),
        help_text="Where we are going, in a sentence or two a customer would understand.",
    )
    mission = forms.CharField(required=False, widget=_textarea(3), help_text="Why we exist and what we do every day.")
    target_customers = forms.CharField(
        required=False, label="Target customers", widget=_textarea(4), help_text="Who we serve first. " + MARKDOWN_HELP
    )
    value_proposition = forms.CharField(
        required=False,
        label="Value proposition",
        widget=_textarea(4),
        help_text="What they get from us that they cannot get elsewhere. " + MARKDOWN_HELP,
    )
    principles = forms.CharField(
        required=False,
        widget=_textarea(6),
        help_text="How we decide when it is hard: one per line or a list. " + MARKDOWN_HELP,
    )
