"""The reports pages: index, the alignment page (full page and htmx fragment) and its CSV export."""

import csv
import io
import json

import pytest

pytestmark = pytest.mark.django_db
PAGE = "/w/acme/reports/alignment/"
EXPORT = "/w/acme/reports/alignment/export.csv"


def test_index_links_to_the_alignment_report(web_client, viewer, workspace):
    response = web_client(viewer).get("/w/acme/reports/")
    assert response.status_code == 200
    assert b'href="/w/acme/reports/alignment/"' in response.content
    assert b"Strategy alignment" in response.content


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
def test_every_member_sees_the_page(alignment, web_client, member, role):
    response = web_client(member(role, email=f"r-{role}@example.com")).get(PAGE, {"period": "2026-Q1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Q1 2026</strong>" in html
    assert "effort in person-weeks · 6 objectives in this period" in html
    assert '<div class="label">Serves an objective</div><div class="value">52.8%</div>' in html


def test_page_tables_and_chart_data(alignment, web_client, viewer):
    html = web_client(viewer).get(PAGE, {"period": "2026-Q1"}).content.decode()
    assert '<div class="label">Planned and in progress</div><div class="value">36</div>' in html
    assert '<div class="label">Serves no objective</div><div class="value">5</div>' in html
    assert '<div class="label">Objectives without work</div><div class="value">2</div>' in html
    assert "1 feature has no estimate yet" in html
    f3 = alignment["features"]["F3"]
    assert f'<a href="/w/acme/backlog/features/{f3.pk}/"><span class="muted nowrap">CHK-3</span> Dark mode</a>' in html
    o7 = alignment["objectives"][6]
    assert f'<a href="/w/acme/strategy/objectives/{o7.pk}/"><strong>Enterprise readiness</strong></a>' in html
    assert "Objectives with no work behind them (2)" in html
    script = '<script id="alignment-chart-data" type="application/json">'
    chart = json.loads(html.split(script)[1].split("</script>")[0])
    assert chart["unit"] == "person-weeks"
    assert [(r["name"], r["planned"], r["in_progress"]) for r in chart["objectives"]] == [
        ("Grow revenue", 0, 2.0),
        ("· Payments conversion", 3.0, 0),
        ("· · Faster checkout", 0, 10.0),
        ("· Analytics adoption", 4.0, 0),
        ("· · Dashboard NPS", 0, 0),
        ("Enterprise readiness", 0, 0),
        ("Serves no objective", 5.0, 0),
        ("Serves only objectives outside this period", 9.0, 3.0),
    ]
    assert chart["products"] == [
        {"name": "Checkout", "aligned": 15.0, "no_objective": 5.0, "other_objectives": 7.0},
        {"name": "Insights", "aligned": 4.0, "no_objective": 0, "other_objectives": 5.0},
    ]
    assert "vendor/echarts.min.js" in html


def test_htmx_filter_returns_only_the_report_fragment(alignment, web_client, viewer):
    _, p2 = alignment["products"]
    response = web_client(viewer).get(PAGE, {"period": "2026-Q1", "product": p2.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="alignment-filters"' not in html
    assert '<div class="label">Planned and in progress</div><div class="value">9</div>' in html
    assert f'href="/w/acme/reports/alignment/export.csv?period=2026-Q1&amp;product={p2.pk}"' in html


def test_a_bad_period_falls_back_to_the_current_quarter_with_a_message(alignment, web_client, viewer, monkeypatch):
    import datetime as dt

    monkeypatch.setattr("headway.reports.selectors.today", lambda: dt.date(2026, 2, 1))
    html = web_client(viewer).get(PAGE, {"period": "2026-Q9", "starts_on": "nope"}).content.decode()
    assert "“2026-Q9”: Use a quarter (2026-Q1), a half (2026-H2) or a year (2026). Showing the current quarter." in html
    assert "The start date “nope” is not a date (use YYYY-MM-DD); it was ignored." in html
    assert "<strong>Q1 2026</strong>" in html


def test_custom_dates_count_only_with_the_custom_period(alignment, web_client, viewer):
    client = web_client(viewer)
    html = client.get(PAGE, {"period": "custom", "starts_on": "2026-02-01", "ends_on": "2026-02-28"}).content.decode()
    assert "<strong>1 Feb 2026 – 28 Feb 2026</strong>" in html
    html = client.get(PAGE, {"period": "2026-Q2", "starts_on": "2026-02-01", "ends_on": "2026-02-28"}).content.decode()
    assert "<strong>Q2 2026</strong>" in html


def test_empty_workspace_shows_the_empty_state(web_client, viewer, workspace):
    html = web_client(viewer).get(PAGE).content.decode()
    assert "Nothing to align yet" in html
    assert 'href="/w/acme/strategy/"' in html
    assert "alignment-chart-data" not in html


def test_objectives_but_no_work(alignment, web_client, viewer, workspace):
    from headway.backlog.models import Feature

    Feature.objects.filter(workspace=workspace).delete()
    html = web_client(viewer).get(PAGE, {"period": "2026-Q1"}).content.decode()
    assert "No planned or in-progress work" in html
    assert "Objectives with no work behind them (6)" in html
    assert "Everything serves an objective" in html


def test_outsiders_get_404(alignment, web_client, outsider):
    client = web_client(outsider)
    for url in ("/w/acme/reports/", PAGE, EXPORT):
        assert client.get(url).status_code == 404, url


def test_unknown_product_is_404(alignment, web_client, viewer):
    assert web_client(viewer).get(PAGE, {"product": "999999"}).status_code == 404


def test_csv_export(alignment, web_client, viewer):
    response = web_client(viewer).get(EXPORT, {"period": "2026-Q1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="acme-alignment-2026-Q1.csv"'
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["section"] for r in rows] == (
        ["summary"] * 4 + ["objective"] * 6 + ["initiative"] * 4 + ["product"] * 2 + ["pm"] * 3 + ["not_aligned"] * 4
    )
    assert [(r["name"], r["total"], r["features"], r["share_of_all_work_percent"]) for r in rows[:4]] == [
        ("All planned and in-progress work", "36.0", "9", "100.0"),
        ("Serves an objective of the period", "19.0", "5", "52.8"),
        ("Serves no objective", "5.0", "1", "13.9"),
        ("Serves only objectives outside this period", "12.0", "3", "33.3"),
    ]
    o2 = rows[5]
    assert (o2["name"], o2["level"], o2["parent"], o2["owner"], o2["product"], o2["status"]) == (
        "Payments conversion", "1", "Grow revenue", "Pat PM", "Checkout (CHK)", "On track",
    )  # fmt: skip
    assert (o2["planned"], o2["in_progress"], o2["total"], o2["rolled_up_total"], o2["rolled_up_features"]) == (
        "3.0", "0.0", "3.0", "13.0", "3",
    )  # fmt: skip
    assert rows[8]["note"] == "no planned or in-progress work"
    pm_row = rows[16]
    assert (pm_row["name"], pm_row["total"], pm_row["aligned_total"], pm_row["other_objectives_total"]) == (
        "Pat PM", "27.0", "15.0", "7.0",
    )  # fmt: skip
    last = rows[-1]
    assert (last["ref"], last["name"], last["status"], last["total"], last["note"]) == (
        "INS-4", "Legacy exporter", "Ready (Planned)", "2.0",
        "Serves only objectives outside this period: Abandoned idea",
    )  # fmt: skip
