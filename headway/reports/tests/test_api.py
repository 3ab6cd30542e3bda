"""GET /api/v1/reports/alignment: every member reads it; figures from the hand-computed fixture."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/alignment"


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
def test_every_member_reads_the_report(alignment, api_client, member, role):
    user = member(role, email=f"reader-{role}@example.com")
    response = api_client(user).get(URL, {"period": "2026-Q1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == {"planned": 21.0, "in_progress": 15.0, "total": 36.0, "features": 9, "unestimated": 1}
    assert body["aligned_share"] == round(19 / 36, 4)


def test_report_shape_and_figures(alignment, api_client, viewer):
    body = api_client(viewer).get(URL, {"period": "2026-q1", "not_aligned_limit": 2}).json()
    o = alignment["objectives"]
    assert body["period"] == {
        "value": "2026-Q1", "label": "Q1 2026", "starts_on": "2026-01-01", "ends_on": "2026-03-31",
    }  # fmt: skip
    assert (body["product_id"], body["effort_unit"], body["objectives_in_period"]) == (None, "person-weeks", 6)
    assert body["no_objective"] == {"planned": 5.0, "in_progress": 0.0, "total": 5.0, "features": 1, "unestimated": 0}
    assert body["other_objectives"]["total"] == 12.0
    first = body["objectives"][0]
    assert first == {
        "id": o[0].pk, "title": "Grow revenue", "parent_id": None, "depth": 0, "owner_id": o[0].owner_id,
        "owner": "Lee Leader", "status": "on_track", "starts_on": "2026-01-01", "ends_on": "2026-03-31",
        "product_id": None,
        "direct": {"planned": 0.0, "in_progress": 2.0, "total": 2.0, "features": 1, "unestimated": 0},
        "rolled_up": {"planned": 7.0, "in_progress": 12.0, "total": 19.0, "features": 5, "unestimated": 1},
        "share": round(2 / 36, 4), "has_work": True,
    }  # fmt: skip
    assert body["objectives_without_work"] == [o[7].pk, o[6].pk]
    assert [(i["title"], i["effort"]["total"], i["aligned"]["total"]) for i in body["initiatives"]] == [
        ("Checkout revamp", 14.0, 14.0), ("Self-serve insights", 3.0, 0.0), ("Idle bet", 0.0, 0.0),
        ("No initiative", 19.0, 5.0),
    ]  # fmt: skip
    assert [(g["name"], g["total"]["total"], g["aligned_share"]) for g in body["owners"]] == [
        ("Pat PM", 27.0, round(15 / 27, 4)), ("Max PM", 5.0, 0.0), ("No owner", 4.0, 1.0),
    ]  # fmt: skip
    f = alignment["features"]
    assert body["not_aligned"] == [
        {"id": f["F10"].pk, "ref": "CHK-6", "title": "Archived objective", "product_id": f["F10"].product_id,
         "product": "Checkout", "owner_id": f["F10"].owner_id, "owner": "Pat PM", "stage": "planned", "status": "New",
         "effort": 7.0, "reason": "other_objectives", "objectives": ["Archived goal"]},
        {"id": f["F3"].pk, "ref": "CHK-3", "title": "Dark mode", "product_id": f["F3"].product_id,
         "product": "Checkout", "owner_id": f["F3"].owner_id, "owner": "Pat PM", "stage": "planned",
         "status": "Discovery", "effort": 5.0, "reason": "no_objective", "objectives": []},
    ]  # fmt: skip
    assert body["not_aligned_count"] == 4


def test_product_filter_and_custom_dates(alignment, api_client, viewer):
    _, p2 = alignment["products"]
    body = api_client(viewer).get(URL, {"product": p2.pk, "starts_on": "2026-03-31", "ends_on": "2026-02-01"}).json()
    assert body["period"] == {
        "value": "custom", "label": "1 Feb 2026 – 31 Mar 2026", "starts_on": "2026-02-01", "ends_on": "2026-03-31",
    }  # fmt: skip
    assert (body["product_id"], body["total"]["total"], body["aligned"]["total"]) == (p2.pk, 9.0, 4.0)
    assert [g["name"] for g in body["products"]] == ["Insights"]


def test_default_period_is_the_current_quarter(alignment, api_client, viewer, monkeypatch):
    import datetime as dt

    monkeypatch.setattr("headway.reports.selectors.today", lambda: dt.date(2026, 5, 2))
    body = api_client(viewer).get(URL).json()
    assert body["period"]["value"] == "2026-Q2"
    assert [o["title"] for o in body["objectives"]] == ["Next quarter"]
    # Q2: F4 and F9 serve "Next quarter"; everything else serves Q1 objectives only.
    assert body["aligned"]["total"] == 4.0


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"period": "2026-Q5"}, "period", "Use a quarter (2026-Q1), a half (2026-H2) or a year (2026)."),
        ({"period": "1899"}, "period", "Use a quarter (2026-Q1), a half (2026-H2) or a year (2026)."),
        ({"starts_on": "2026-02-30"}, "starts_on", ["Value error, “2026-02-30” is not a date."]),
        ({"starts_on": "0"}, "starts_on", ["Value error, Give a date as YYYY-MM-DD."]),  # not a Unix time
        ({"ends_on": "2026-3-1"}, "ends_on", ["Value error, Give a date as YYYY-MM-DD."]),
        ({"not_aligned_limit": "10001"}, "not_aligned_limit", "Input should be less than or equal to 10000"),
        ({"product": "0"}, "product", "Input should be greater than or equal to 1"),
    ],
)
def test_bad_filters_are_422_naming_the_field(alignment, api_client, viewer, query, field, message):
    response = api_client(viewer).get(URL, query)
    assert response.status_code == 422
    error = response.json()["error"]
    assert list(error["fields"]) == [field]
    if message:
        assert error["fields"][field] == (message if isinstance(message, list) else [message])


def test_unknown_or_foreign_product_is_404(alignment, api_client, viewer, other_workspace):
    from headway.portfolio.tests.factories import ProductFactory, ProductLineFactory

    foreign = ProductFactory(product_line=ProductLineFactory(workspace=other_workspace))
    for pk in (foreign.pk, 10**12):
        response = api_client(viewer).get(URL, {"product": pk})
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "No product matches that id in this workspace."


def test_an_outsider_sees_only_their_own_workspace(alignment, api_client, outsider, other_workspace):
    body = api_client(outsider, ws=other_workspace).get(URL, {"period": "2026-Q1"}).json()
    assert body["total"]["features"] == 0
    assert (body["objectives"], body["initiatives"], body["not_aligned"], body["products"]) == ([], [], [], [])


def test_anonymous_is_401(alignment):
    assert Client().get(URL).status_code == 401
