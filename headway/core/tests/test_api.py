"""The shared API building blocks: strict inputs (with JSON Schema's integral numbers), patterns, pagination."""

from typing import Annotated

import pytest
from pydantic import Field, ValidationError

from headway.core.api import EMAIL_PATTERN, Email, Id, Matching, StrictIn, paginate
from headway.workspaces.models import Workspace


class Sample(StrictIn):
    count: int = 0
    ref: Id | None = None
    size: Annotated[int, Field(ge=0, le=10)] = 0
    ratio: float = 0.0
    flag: bool = False
    email: Email = "a@example.com"
    code: Annotated[str, Matching(r"^[A-Z]{2}$", "Two capital letters.", examples=["AB"])] = "AB"


def errors(**data) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as exc:
        Sample(**data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.value.errors()]


def test_integral_floats_are_integers_for_integer_fields_only():
    sample = Sample(count=3.0, ref=410151.0, size=10.0, ratio=2.0)
    assert (sample.count, sample.ref, sample.size, sample.ratio) == (3, 410151, 10, 2.0)
    assert (type(sample.count), type(sample.ref), type(sample.size), type(sample.ratio)) == (int, int, int, float)


def test_other_numbers_strings_and_booleans_are_still_refused():
    assert errors(count=3.5) == [("count", "Input should be a valid integer")]
    assert errors(count="3") == [("count", "Input should be a valid integer")]
    assert errors(count=True) == [("count", "Input should be a valid integer")]
    assert errors(ref=False) == [("ref", "Input should be a valid integer")]
    assert errors(flag=1.0) == [("flag", "Input should be a valid boolean")]
    assert errors(flag=1) == [("flag", "Input should be a valid boolean")]
    assert errors(ref=2.0**63) == [("ref", "Input should be less than or equal to 9223372036854775807")]
    assert errors(size=11.0) == [("size", "Input should be less than or equal to 10")]


def test_unknown_fields_are_refused():
    assert errors(colour="red") == [("colour", "Extra inputs are not permitted")]


@pytest.mark.parametrize(
    "value",
    [
        *["ada@example.com", "Ada.Lovelace+news@Mail.Example.ORG", "x!#$%&'*/=?^_`{|}~-@a.io", "a@my-co.example"],
        *["a" * 64 + "@b.co", "a@" + "b" * 63 + ".co"],
    ],
)
def test_email_admits_what_django_admits(value):
    from django.core.validators import validate_email

    assert Sample(email=value).email == value
    validate_email(value.lower())


@pytest.mark.parametrize(
    "value",
    [
        *["", "0@0.0", "a@b.c", "a@localhost", " a@b.co", "a..b@c.de", '"q"@b.co', "a@-b.co", "a@kw--og.com"],
        *["a" * 65 + "@b.co", "a@" + "b" * 64 + ".co", "a@b.co\n"],
    ],
)
def test_email_refuses_what_the_schema_does_not_admit(value):
    assert errors(email=value) == [("email", "Enter a valid email address.")]


def test_matching_refuses_with_its_message_and_documents_the_pattern():
    assert errors(code="ab") == [("code", "Two capital letters.")]
    assert errors(code="AB\n") == [("code", "Two capital letters.")]
    properties = Sample.model_json_schema()["properties"]
    assert properties["code"] == {
        "default": "AB",
        "examples": ["AB"],
        "pattern": "^[A-Z]{2}$",
        "title": "Code",
        "type": "string",
    }
    assert properties["email"] == {
        "default": "a@example.com",
        "description": "An email address such as ada@example.com; stored lower-case.",
        "format": "email",
        "maxLength": 254,
        "pattern": EMAIL_PATTERN,
        "title": "Email",
        "type": "string",
    }


@pytest.mark.django_db
def test_paginate_past_the_end_is_empty_without_a_page_query(workspace, other_workspace, django_assert_num_queries):
    qs = Workspace.objects.order_by("slug")
    with django_assert_num_queries(2):
        assert paginate(qs, page=2, page_size=1) == {
            "items": [other_workspace],
            "count": 2,
            "page": 2,
            "page_size": 1,
            "pages": 2,
        }
    with django_assert_num_queries(1):  # the count only
        assert paginate(qs, page=10**6, page_size=200) == {
            "items": [],
            "count": 2,
            "page": 10**6,
            "page_size": 200,
            "pages": 1,
        }
