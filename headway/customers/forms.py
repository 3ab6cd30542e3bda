"""HTML forms: they only shape input; the services validate and save."""

from decimal import Decimal

from django import forms

from headway.customers.models import Health, ImportKind, Segment, Tier


class CompanyForm(forms.Form):
    name = forms.CharField(max_length=200)
    domain = forms.CharField(max_length=253, required=False, help_text="The company's web domain, such as example.com.")
    segment = forms.ChoiceField(choices=Segment.choices, initial=Segment.SMB)
    tier = forms.ChoiceField(choices=Tier.choices, initial=Tier.STANDARD)
    arr = forms.DecimalField(
        label="ARR",
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        initial=Decimal("0"),
        help_text="Annual recurring revenue, for example 125000 or 1200.50.",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )
    currency = forms.CharField(
        max_length=3,
        initial="USD",
        help_text="Three-letter code such as USD, EUR or GBP.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "style": "text-transform:uppercase"}),
    )
    health = forms.ChoiceField(choices=Health.choices, initial=Health.NEUTRAL)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254)
    role = forms.CharField(max_length=100, required=False, label="Role", help_text="Job title or part they play.")


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds", choices=ImportKind.choices, initial=ImportKind.COMPANIES, widget=forms.RadioSelect
    )
    file = forms.FileField(label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
