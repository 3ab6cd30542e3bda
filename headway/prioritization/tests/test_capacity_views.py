"""Teams pages: the list with capacity per quarter (and its empty state), one team with members,
time off and allocations; forms work without JavaScript (POST + redirect) and under htmx
(the fragment again); errors are shown naming the field; query counts are pinned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from headway.backlog.tests import factories as backlog
from headway.prioritization.models import Team, TeamAllocation, TeamMember, TimeOff
from headway.prioritization.services import capacity as services

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
# Whole-page queries (session, user, workspace, role, sidebar…); they must not grow with teams or members.
COUNT = 12  # teams page
DETAIL_COUNT = 15  # one team, for a leader (with the lists its forms offer)


def url(name, **kwargs):
    return reverse(f"prioritization:{name}", kwargs={"ws": "acme", **kwargs})


@pytest.fixture
def team(leader, workspace):
    team = services.team_create(actor=leader, workspace=workspace, name="Payments", description="Checkout and billing")
    ana = services.team_member_add(actor=leader, team=team, name="Ana")
    services.team_member_add(actor=leader, team=team, name="Bo", weekly_capacity="0.5")
    services.time_off_add(actor=leader, member=ana, starts_on="2027-02-01", ends_on="2027-02-05", note="Ski")
    product = backlog.product(leader, workspace)
    services.team_allocation_set(actor=leader, team=team, product=product, percent=60)
    return team


def test_empty_state_explains_and_offers_a_form_to_leaders(web_client, leader, viewer):
    page = web_client(leader).get(url("teams")).content.decode()
    assert "No teams yet" in page and "A team is the people who deliver features" in page
    assert 'action="/w/acme/prioritization/teams/new/"' in page
    page = web_client(viewer).get(url("teams")).content.decode()
    assert "No teams yet" in page and "teams/new/" not in page
    assert "A product leader of this workspace can create teams." in page


def test_teams_page_for_a_viewer_shows_capacity(web_client, viewer, team):
    response = web_client(viewer).get(url("teams") + "?period=2027-Q1")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page">Teams</a>' in page  # the area's tabs
    assert "Payments" in page and "Checkout and billing" in page
    assert "<strong>18.2</strong>" in page  # 11.8 (Ana, 5 days off) + 6.4 (Bo, half time)
    assert "5 days off (−1)<" in page
    assert "Product PAY · 60%" in page and "40%" not in page.split("Product PAY · 60%")[1].split("</td>")[0]
    assert '<option value="2027-Q1" selected>' in page
    assert "teams/new/" not in page  # viewers do not create teams
    assert 'id="cap-chart-data"' in page


def test_teams_page_defaults_to_the_next_quarter(web_client, viewer, team, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 22))
    page = web_client(viewer).get(url("teams")).content.decode()
    assert '<option value="2027-Q1" selected>' in page
    page = web_client(viewer).get(url("teams") + "?period=nonsense").content.decode()
    assert '<option value="2027-Q1" selected>' in page


def test_teams_page_fragment_under_htmx(web_client, viewer, team):
    response = web_client(viewer).get(url("teams") + "?period=2027-Q2", **HX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="teams">')
    assert "<html" not in page and "Payments" in page


def test_teams_page_query_count(web_client, leader, workspace, team, django_assert_num_queries):
    other = services.team_create(actor=leader, workspace=workspace, name="Growth")
    for i in range(4):
        services.team_member_add(actor=leader, team=other, name=f"G{i}")
    client = web_client(leader)
    client.get(url("teams"))  # warm up the session and the workspace lookups
    with django_assert_num_queries(COUNT) as ctx:
        client.get(url("teams") + "?period=2027-Q1")
    baseline = len(ctx.captured_queries)
    for i in range(3):
        extra = services.team_create(actor=leader, workspace=workspace, name=f"Extra {i}")
        services.team_member_add(actor=leader, team=extra, name=f"E{i}")
    with django_assert_num_queries(baseline):
        client.get(url("teams") + "?period=2027-Q1")


def test_create_team_without_js_redirects(web_client, leader, workspace):
    response = web_client(leader).post(url("team_create"), {"name": "Mobile", "description": "Apps"})
    team = Team.objects.get(name="Mobile")
    assert response.status_code == 302 and response.url == url("team_detail", pk=team.pk)


def test_create_team_error_names_the_field(web_client, leader, team):
    response = web_client(leader).post(url("team_create"), {"name": "payments"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Name: A team named “Payments” already exists in this workspace." in page
    assert 'value="payments"' in page  # what was typed is kept
    hx = web_client(leader).post(url("team_create"), {"name": ""}, **HX)
    assert hx.status_code == 200 and hx.content.decode().lstrip().startswith('<section id="new-team"')
    assert "Name: This field cannot be blank." in hx.content.decode()


def test_create_team_under_htmx_redirects(web_client, leader):
    response = web_client(leader).post(url("team_create"), {"name": "Mobile"}, **HX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("team_detail", pk=Team.objects.get(name="Mobile").pk)


def test_team_detail_for_a_viewer(web_client, viewer, team):
    response = web_client(viewer).get(url("team_detail", pk=team.pk) + "?period=2027-Q1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ana" in page and "Bo" in page
    assert "Feb 1 – Feb 5, 2027 · 5 days · Ski" in page
    assert "Product PAY" in page and "60%" in page
    assert "Add member" not in page and "Archive" not in page and "Add time off" not in page


def test_team_detail_for_a_leader_has_the_forms(web_client, leader, pm, team, workspace):
    backlog.product(leader, workspace, key="WEB")
    page = web_client(leader).get(url("team_detail", pk=team.pk)).content.decode()
    assert "Add member" in page and "Add time off" in page and "Allocate" in page and "Archive" in page
    assert f'<option value="{pm.pk}">Pat PM</option>' in page


def test_team_detail_of_another_workspace_is_404(web_client, outsider, team, other_workspace):
    response = web_client(outsider).get(url("team_detail", pk=team.pk))
    assert response.status_code == 404


def test_add_member_without_js_and_with_htmx(web_client, leader, pm, team):
    client = web_client(leader)
    response = client.post(
        url("team_member_add", pk=team.pk) + "?period=2027-Q1", {"user": str(pm.pk), "weekly_capacity": "0.5"}
    )
    assert response.status_code == 302 and response.url == url("team_detail", pk=team.pk) + "?period=2027-Q1"
    member = TeamMember.objects.get(user=pm)
    assert (member.name, str(member.weekly_capacity)) == ("Pat PM", "0.50")
    hx = client.post(url("team_member_add", pk=team.pk) + "?period=2027-Q1", {"name": "Contractor"}, **HX)
    assert hx.status_code == 200
    page = hx.content.decode()
    assert page.lstrip().startswith('<div id="team-body">')
    assert "Added Contractor to the team." in page and "Contractor" in page


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"name": ""}, "Name: Give the person&#x27;s name or choose a workspace member."),
        ({"name": "X", "weekly_capacity": "-1"}, "Capacity per week: Capacity cannot be negative."),
        ({"name": "X", "starts_on": "someday"}, "Joins on: “someday” is not a date (YYYY-MM-DD)."),
        ({"user": "abc"}, "Workspace member: Choose a workspace member from the list."),
    ],
)
def test_add_member_errors_name_the_field(web_client, leader, team, post, message):
    response = web_client(leader).post(url("team_member_add", pk=team.pk), post)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert TeamMember.objects.count() == 2


def test_inline_edit_of_weekly_capacity(web_client, leader, team):
    ana = TeamMember.objects.get(name="Ana")
    client = web_client(leader)
    response = client.post(
        url("team_member_update", pk=ana.pk), {"weekly_capacity": "0.8", "starts_on": "", "ends_on": ""}
    )
    assert response.status_code == 302
    ana.refresh_from_db()
    assert str(ana.weekly_capacity) == "0.80"
    bad = client.post(url("team_member_update", pk=ana.pk), {"weekly_capacity": "lots"}, **HX)
    assert bad.status_code == 200
    assert "Capacity per week: “lots” is not a number." in bad.content.decode()
    ana.refresh_from_db()
    assert str(ana.weekly_capacity) == "0.80"


def test_time_off_add_and_remove(web_client, leader, team):
    ana = TeamMember.objects.get(name="Ana")
    client = web_client(leader)
    response = client.post(url("time_off_add", pk=ana.pk), {"starts_on": "2027-03-01", "ends_on": "2027-03-05"}, **HX)
    assert "Added 5 working days off for Ana." in response.content.decode()
    bad = client.post(url("time_off_add", pk=ana.pk), {"starts_on": "2027-03-05", "ends_on": "2027-03-01"})
    assert bad.status_code == 422
    assert "To: The last day must be on or after the first day." in bad.content.decode()
    item = TimeOff.objects.get(starts_on=dt.date(2027, 3, 1))
    removed = client.post(url("time_off_remove", pk=item.pk))
    assert removed.status_code == 302 and TimeOff.objects.count() == 1


def test_allocations_set_and_remove(web_client, leader, workspace, team):
    initiative = backlog.initiative(workspace)
    client = web_client(leader)
    over = client.post(
        url("team_allocation_set", pk=team.pk), {"target": f"initiative:{initiative.pk}", "percent": "50"}
    )
    assert over.status_code == 422
    assert "Share: Payments already gives 60% to other work; at most 40% is left." in over.content.decode()
    ok = client.post(url("team_allocation_set", pk=team.pk), {"target": f"initiative:{initiative.pk}", "percent": "40"})
    assert ok.status_code == 302
    none = client.post(url("team_allocation_set", pk=team.pk), {"target": "", "percent": "10"})
    assert "Product or initiative: Choose a product or an initiative." in none.content.decode()
    allocation = TeamAllocation.objects.get(initiative=initiative)
    assert client.post(url("team_allocation_remove", pk=allocation.pk)).status_code == 302
    assert TeamAllocation.objects.count() == 1


def test_rename_remove_member_and_archive(web_client, leader, team):
    client = web_client(leader)
    assert client.post(url("team_update", pk=team.pk), {"name": "Billing", "description": ""}).status_code == 302
    team.refresh_from_db()
    assert team.name == "Billing"
    bo = TeamMember.objects.get(name="Bo")
    assert client.post(url("team_member_remove", pk=bo.pk)).status_code == 302
    assert TeamMember.objects.count() == 1
    response = client.post(url("team_archive", pk=team.pk))
    assert response.status_code == 302 and response.url == url("teams")
    team.refresh_from_db()
    assert team.archived_at is not None
    page = client.get(url("team_detail", pk=team.pk)).content.decode()
    assert "Archived" in page and "Restore" in page and "Add member" not in page
    client.post(url("team_restore", pk=team.pk))
    team.refresh_from_db()
    assert team.archived_at is None


@pytest.mark.parametrize("role", ["viewer", "contributor", "pm"])
def test_posts_are_refused_below_leader_and_change_nothing(web_client, member, team, role):
    client = web_client(member(role))
    ana = TeamMember.objects.get(name="Ana")
    before = (Team.objects.count(), TeamMember.objects.count(), TimeOff.objects.count(), TeamAllocation.objects.count())
    for name, kwargs, post in [
        ("team_create", {}, {"name": "New"}),
        ("team_update", {"pk": team.pk}, {"name": "New"}),
        ("team_archive", {"pk": team.pk}, {}),
        ("team_member_add", {"pk": team.pk}, {"name": "New"}),
        ("team_member_update", {"pk": ana.pk}, {"weekly_capacity": "3"}),
        ("team_member_remove", {"pk": ana.pk}, {}),
        ("time_off_add", {"pk": ana.pk}, {"starts_on": "2027-01-04", "ends_on": "2027-01-04"}),
        ("time_off_remove", {"pk": TimeOff.objects.get().pk}, {}),
        ("team_allocation_set", {"pk": team.pk}, {"target": "", "percent": "1"}),
        ("team_allocation_remove", {"pk": TeamAllocation.objects.get().pk}, {}),
    ]:
        assert client.post(url(name, **kwargs), post).status_code == 403, name
    after = (Team.objects.count(), TeamMember.objects.count(), TimeOff.objects.count(), TeamAllocation.objects.count())
    assert after == before
    team.refresh_from_db()
    assert team.name == "Payments"


def test_allocation_card_explains_why_there_is_no_form(web_client, leader, workspace):
    empty = services.team_create(actor=leader, workspace=workspace, name="Empty")
    page = web_client(leader).get(url("team_detail", pk=empty.pk)).content.decode()
    assert "This workspace has no products or initiatives yet" in page and "No members yet" in page
    product = backlog.product(leader, workspace)
    services.team_allocation_set(actor=leader, team=empty, product=product, percent=100)
    page = web_client(leader).get(url("team_detail", pk=empty.pk)).content.decode()
    assert "The team is fully allocated" in page and 'name="percent"' not in page


def test_team_detail_query_count(web_client, leader, team, django_assert_num_queries):
    client = web_client(leader)
    client.get(url("team_detail", pk=team.pk))
    with django_assert_num_queries(DETAIL_COUNT):
        client.get(url("team_detail", pk=team.pk) + "?period=2027-Q1")
