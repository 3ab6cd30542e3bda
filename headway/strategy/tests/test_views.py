"""Strategy pages: what each role sees, forms with errors on their fields, htmx fragments, isolation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from headway.core.models import AuditEvent
from headway.strategy import services
from headway.strategy.models import CheckIn, Initiative, KeyResult, Objective, Vision
from headway.strategy.periods import quarter_of
from headway.strategy.tests.conftest import Q2, YEAR

pytestmark = pytest.mark.django_db
BASE = "/w/acme/strategy"


@pytest.fixture
def plan(workspace, leader, pm, product, company, pm_objective):
    services.vision_create(
        actor=leader, workspace=workspace, statement="Paid in **one** click", mission="Remove friction"
    )
    initiative = services.initiative_create(
        actor=leader, workspace=workspace, title="Wallets", objectives=[pm_objective], products=[product]
    )
    return {
        "company": company,
        "objective": pm_objective,
        "kr": pm_objective.key_results.get(),
        "initiative": initiative,
    }


def pages(p):
    o, kr, i = p["objective"].pk, p["kr"].pk, p["initiative"].pk
    return {
        "read": [
            f"{BASE}/",
            f"{BASE}/?period=all",
            f"{BASE}/goals/",
            f"{BASE}/objectives/{o}/",
            f"{BASE}/initiatives/",
            f"{BASE}/initiatives/{i}/",
            f"{BASE}/vision/",
            f"{BASE}/vision/share/",
            f"{BASE}/vision/history/",
            f"{BASE}/vision/products/CHK/",
            f"{BASE}/vision/products/chk/history/",
        ],
        "manage": [
            f"{BASE}/objectives/new/",
            f"{BASE}/objectives/{o}/edit/",
            f"{BASE}/objectives/{o}/move/",
            f"{BASE}/objectives/{o}/key-results/new/",
            f"{BASE}/key-results/{kr}/edit/",
            f"{BASE}/initiatives/new/",
            f"{BASE}/initiatives/{i}/edit/",
            f"{BASE}/vision/edit/",
            f"{BASE}/vision/products/CHK/edit/",
        ],
    }


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
def test_every_role_reads_every_page_and_only_leaders_open_the_forms(web_client, member, plan, role):
    client = web_client(member(role))
    for url in pages(plan)["read"]:
        assert client.get(url).status_code == 200, url
    for url in pages(plan)["manage"]:
        response = client.get(url)
        assert response.status_code == (200 if role in ("admin", "leader") else 403), url


def test_overview_shows_vision_cascade_progress_and_status(web_client, viewer, plan):
    html = web_client(viewer).get(f"{BASE}/?period=all").content.decode()
    assert "Paid in <strong>one</strong> click" in html
    assert html.index("Win EU SMB payments") < html.index("Effortless checkout")
    assert (
        'aria-label="Progress of Effortless checkout" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"' in html
    )
    assert '<span class="tag st-on_track">On track</span>' in html
    assert "New objective" not in html  # a viewer gets no create button


def test_overview_filters_by_period_and_answers_htmx_with_the_fragment(web_client, leader, plan):
    client = web_client(leader)
    q3 = client.get(f"{BASE}/", {"period": "quarter:2026-07-01:2026-09-30"}, HTTP_HX_REQUEST="true")
    html = q3.content.decode()
    assert html.startswith('\n<div id="cascade">') or html.lstrip().startswith('<div id="cascade">')
    assert "<html" not in html
    assert "Win EU SMB payments" in html and "Effortless checkout" not in html
    tampered = client.get(f"{BASE}/", {"period": "quarter:not-a-date"})
    assert tampered.status_code == 200 and "Effortless checkout" in tampered.content.decode()


def test_overview_defaults_to_what_runs_today(web_client, leader, workspace):
    today = timezone.localdate()
    quarter = quarter_of(today)
    services.objective_create(
        actor=leader, workspace=workspace, title="Now", starts_on=quarter.starts_on, ends_on=quarter.ends_on
    )
    services.objective_create(
        actor=leader, workspace=workspace, title="Long ago", period_kind="custom",
        starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 2, 1),
    )  # fmt: skip
    html = web_client(leader).get(f"{BASE}/").content.decode()
    assert "Now" in html and "Long ago" not in html
    assert '<option value="current" selected>Running today</option>' in html


def test_empty_states(web_client, leader, viewer):
    html = web_client(leader).get(f"{BASE}/").content.decode()
    assert "No objectives yet" in html and "Set the first objective" in html
    assert "No vision written yet." in html
    viewer_html = web_client(viewer).get(f"{BASE}/initiatives/").content.decode()
    assert "No initiatives yet" in viewer_html and "Create the first initiative" not in viewer_html


def test_create_an_objective_with_a_preset_period(web_client, leader, pm, company):
    client = web_client(leader)
    response = client.post(
        f"{BASE}/objectives/new/",
        {"title": "Grow Europe", "parent": company.pk, "owner": pm.pk, "period": "half:2026-07-01:2026-12-31",
         "status": "on_track", "weight": 2},
    )  # fmt: skip
    objective = Objective.objects.get(title="Grow Europe")
    assert response.status_code == 302 and response["Location"] == f"{BASE}/objectives/{objective.pk}/"
    assert (objective.parent, objective.owner, objective.period_kind, objective.starts_on, objective.ends_on) == (
        company,
        pm,
        "half",
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 31),
    )
    assert objective.weight == 2


def test_objective_form_errors_show_on_their_fields(web_client, leader):
    client = web_client(leader)
    empty = client.post(f"{BASE}/objectives/new/", {})
    assert empty.status_code == 422
    assert empty.context["form"].errors["title"] == ["This field is required."]
    custom = client.post(
        f"{BASE}/objectives/new/",
        {"title": "x", "period": "custom", "starts_on": "2026-05-01", "ends_on": "2026-04-01", "status": "on_track",
         "weight": 1},
    )  # fmt: skip
    assert custom.status_code == 422
    assert custom.context["form"].errors["ends_on"] == [
        "The end date (2026-04-01) must be on or after the start (2026-05-01)."
    ]
    no_dates = client.post(
        f"{BASE}/objectives/new/", {"title": "x", "period": "custom", "status": "on_track", "weight": 1}
    )
    assert no_dates.context["form"].errors["starts_on"] == ["Give both dates for custom dates."]
    assert Objective.objects.count() == 0


def test_edit_keeps_a_past_period_selectable(web_client, leader, workspace):
    old = services.objective_create(
        actor=leader, workspace=workspace, title="Old", starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2024, 3, 31)
    )
    html = web_client(leader).get(f"{BASE}/objectives/{old.pk}/edit/").content.decode()
    assert '<option value="quarter:2024-01-01:2024-03-31" selected>Q1 2024</option>' in html


def test_move_form_offers_no_descendant_and_reports_the_move(web_client, leader, company, pm_objective):
    client = web_client(leader)
    html = client.get(f"{BASE}/objectives/{company.pk}/move/").content.decode()
    assert "Effortless checkout" not in html.split('name="parent"')[1].split("</select>")[0]
    forged = client.post(f"{BASE}/objectives/{company.pk}/move/", {"parent": pm_objective.pk})
    assert forged.status_code == 422  # not among the choices: refused by the form
    response = client.post(f"{BASE}/objectives/{pm_objective.pk}/move/", {"parent": ""})
    assert response.status_code == 302
    pm_objective.refresh_from_db()
    assert pm_objective.parent is None


def test_the_owner_checks_in_from_the_objective_page(web_client, pm, plan):
    client = web_client(pm)
    objective, kr = plan["objective"], plan["kr"]
    page = client.get(f"{BASE}/objectives/{objective.pk}/").content.decode()
    assert 'class="st-check-in"' in page and f'name="kr_{kr.pk}"' in page
    response = client.post(
        f"{BASE}/objectives/{objective.pk}/check-in/",
        {"health": "off_track", "comment": "Blocked on PSP", "date": "2026-05-02", f"kr_{kr.pk}": "24"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#check-ins")
    check_in = CheckIn.objects.get()
    assert (check_in.health, check_in.progress, check_in.date) == ("off_track", Decimal("0.2"), dt.date(2026, 5, 2))
    html = client.get(f"{BASE}/objectives/{objective.pk}/").content.decode()
    assert "Blocked on PSP" in html and "progress 20%" in html


def test_check_in_form_errors_come_back_on_the_page(web_client, pm, plan):
    response = web_client(pm).post(f"{BASE}/objectives/{plan['objective'].pk}/check-in/", {"date": "2026-05-02"})
    assert response.status_code == 422
    assert response.context["check_in_form"].errors["health"] == ["This field is required."]
    assert CheckIn.objects.count() == 0


def test_other_people_cannot_check_in(web_client, member, plan, leader):
    other_pm = member("pm", full_name="Quinn PM")
    client = web_client(other_pm)
    page = client.get(f"{BASE}/objectives/{plan['objective'].pk}/").content.decode()
    assert 'class="st-check-in"' not in page and "st-value-form" not in page
    response = client.post(f"{BASE}/objectives/{plan['objective'].pk}/check-in/", {"health": "on_track"})
    assert response.status_code == 403
    value = client.post(f"{BASE}/key-results/{plan['kr'].pk}/value/", {"current_value": "39"})
    assert value.status_code == 403
    assert CheckIn.objects.count() == 0 and KeyResult.objects.get().current_value == Decimal("20")


def test_quick_value_update_returns_the_measures_fragment(web_client, pm, plan):
    client = web_client(pm)
    response = client.post(
        f"{BASE}/key-results/{plan['kr'].pk}/value/", {"current_value": "30"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section class="card" id="measures"')
    assert 'aria-valuenow="50"' in html
    bad = client.post(
        f"{BASE}/key-results/{plan['kr'].pk}/value/", {"current_value": "1.234567"}, HTTP_HX_REQUEST="true"
    )
    assert "Ensure that there are no more than 4 decimal places." in bad.content.decode()
    assert KeyResult.objects.get().current_value == Decimal("30")


def test_key_result_forms(web_client, leader, plan):
    client = web_client(leader)
    objective = plan["objective"]
    wrong = client.post(
        f"{BASE}/objectives/{objective.pk}/key-results/new/",
        {"title": "Latency", "direction": "decrease", "start_value": "300", "target_value": "400", "weight": 1},
    )
    assert wrong.status_code == 422
    assert wrong.context["form"].errors["target_value"] == [
        "To decrease, the target must be below the start value (300)."
    ]
    created = client.post(
        f"{BASE}/objectives/{objective.pk}/key-results/new/",
        {"title": "Latency", "direction": "decrease", "start_value": "300", "target_value": "200", "unit": "ms",
         "weight": 1, "another": "1"},
    )  # fmt: skip
    assert created["Location"] == f"{BASE}/objectives/{objective.pk}/key-results/new/"
    latency = KeyResult.objects.get(title="Latency")
    assert latency.current_value == Decimal("300")
    edit = client.get(f"{BASE}/key-results/{latency.pk}/edit/").content.decode()
    assert 'value="300"' in edit and "Delete key result" in edit
    client.post(f"{BASE}/key-results/{latency.pk}/delete/")
    assert not KeyResult.objects.filter(pk=latency.pk).exists()


def test_archive_and_restore_from_the_page(web_client, leader, plan):
    client = web_client(leader)
    company, objective = plan["company"], plan["objective"]
    client.post(f"{BASE}/objectives/{company.pk}/archive/")
    company.refresh_from_db()
    assert company.archived_at is None  # refused while it has a child; the message says why
    client.post(f"{BASE}/objectives/{objective.pk}/archive/")
    page = client.get(f"{BASE}/objectives/{objective.pk}/").content.decode()
    assert "This objective is archived" in page and "Restore" in page and 'class="st-check-in"' not in page
    client.post(f"{BASE}/objectives/{objective.pk}/restore/")
    objective.refresh_from_db()
    assert objective.archived_at is None


def test_pm_goals_page_groups_by_pm(web_client, leader, member, plan):
    member("pm", email="quiet@example.com", full_name="Abe Quiet")
    html = web_client(leader).get(f"{BASE}/goals/?period=all").content.decode()
    assert html.index(">Abe Quiet</h2>") < html.index(">Pat PM</h2>") < html.index(">Lee Leader</h2>")
    assert "No objectives in this period." not in html  # "all": no period
    assert "No objectives yet." in html


def test_initiative_pages(web_client, leader, plan, company, product):
    client = web_client(leader)
    response = client.post(
        f"{BASE}/initiatives/new/",
        {"title": "Fraud shield", "status": "active", "objectives": [company.pk], "products": [product.pk],
         "starts_on": "2026-04-01", "ends_on": "2026-03-01"},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.context["form"].errors["ends_on"] == [
        "The end date (2026-03-01) must be on or after the start (2026-04-01)."
    ]
    response = client.post(
        f"{BASE}/initiatives/new/",
        {"title": "Fraud shield", "status": "active", "objectives": [company.pk], "products": [product.pk]},
    )
    initiative = Initiative.objects.get(title="Fraud shield")
    assert response["Location"] == f"{BASE}/initiatives/{initiative.pk}/"
    listing = client.get(f"{BASE}/initiatives/", {"q": "fraud"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Fraud shield" in listing and "Wallets" not in listing and "<html" not in listing
    detail = client.get(f"{BASE}/initiatives/{initiative.pk}/").content.decode()
    assert "Win EU SMB payments" in detail and "CHK" in detail


def test_vision_edit_and_history_show_word_changes(web_client, leader, plan):
    client = web_client(leader)
    client.post(f"{BASE}/vision/edit/", {"statement": "Paid in **one** tap", "mission": "Remove friction"})
    html = client.get(f"{BASE}/vision/history/").content.decode()
    assert "<del>click</del><ins>tap</ins>" in html
    assert "Version 2" in html and "Version 1" in html
    product_page = client.get(f"{BASE}/vision/products/CHK/").content.decode()
    assert "No vision written yet" in product_page
    client.post(f"{BASE}/vision/products/CHK/edit/", {"statement": "One-page checkout"})
    assert Vision.objects.get(product__key="CHK").statement == "One-page checkout"
    share = client.get(f"{BASE}/vision/products/CHK/share/").content.decode()
    assert "One-page checkout" in share and 'class="sidebar"' not in share


def test_share_page_without_a_vision_goes_to_the_vision_page(web_client, viewer, workspace):
    response = web_client(viewer).get(f"{BASE}/vision/share/")
    assert response.status_code == 302 and response["Location"] == f"{BASE}/vision/"


def test_foreign_ids_are_not_found(web_client, leader, outsider, other_workspace):
    theirs = services.objective_create(actor=outsider, workspace=other_workspace, title="Theirs", **Q2)
    kr = services.key_result_create(actor=outsider, objective=theirs, title="Secret", target_value=1)
    initiative = services.initiative_create(actor=outsider, workspace=other_workspace, title="Their bet")
    client = web_client(leader)
    before = AuditEvent.objects.count()
    for url in (
        f"{BASE}/objectives/{theirs.pk}/",
        f"{BASE}/objectives/{theirs.pk}/edit/",
        f"{BASE}/key-results/{kr.pk}/edit/",
        f"{BASE}/initiatives/{initiative.pk}/",
        f"{BASE}/vision/products/NOPE/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{BASE}/objectives/{theirs.pk}/check-in/", {"health": "on_track"}).status_code == 404
    assert client.post(f"{BASE}/key-results/{kr.pk}/value/", {"current_value": "1"}).status_code == 404
    assert (
        client.post(f"{BASE}/objectives/new/", {"title": "x", "parent": theirs.pk, **{"period": "custom"}}).status_code
        == 422
    )
    assert AuditEvent.objects.count() == before


def test_outsiders_see_nothing(web_client, outsider, plan):
    client = web_client(outsider)
    for url in pages(plan)["read"] + pages(plan)["manage"]:
        assert client.get(url).status_code == 404, url


def test_overview_query_count_does_not_grow_with_the_cascade(
    web_client, leader, workspace, django_assert_max_num_queries
):
    top = services.objective_create(actor=leader, workspace=workspace, title="Top", **YEAR)
    for i in range(15):
        child = services.objective_create(
            actor=leader, workspace=workspace, title=f"C{i}", parent=top, owner=leader, **Q2
        )
        services.key_result_create(actor=leader, objective=child, title="k", target_value=4, current_value=1)
    client = web_client(leader)
    client.get(f"{BASE}/?period=all")  # warm the session and caches
    with django_assert_max_num_queries(16):
        response = client.get(f"{BASE}/?period=all")
    assert response.status_code == 200


def test_a_child_objective_starts_from_its_parents_period(web_client, leader, workspace):
    old = services.objective_create(
        actor=leader, workspace=workspace, title="Old", starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2024, 3, 31)
    )
    custom = services.objective_create(
        actor=leader, workspace=workspace, title="Custom", period_kind="custom",
        starts_on=dt.date(2026, 2, 3), ends_on=dt.date(2026, 5, 6),
    )  # fmt: skip
    client = web_client(leader)
    html = client.get(f"{BASE}/objectives/new/", {"parent": old.pk}).content.decode()
    assert '<option value="quarter:2024-01-01:2024-03-31" selected>Q1 2024</option>' in html
    form = client.get(f"{BASE}/objectives/new/", {"parent": custom.pk}).context["form"]
    assert (form["period"].value(), form["starts_on"].value(), form["ends_on"].value()) == (
        "custom",
        dt.date(2026, 2, 3),
        dt.date(2026, 5, 6),
    )
