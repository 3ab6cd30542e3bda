"""Teams, members, time off and allocations: the rules, the permission matrix (a denied call
changes nothing), objects of other workspaces refused, the audit trail, and the selectors
(capacity for a period in a fixed number of queries; the team each feature goes to)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from headway.backlog.tests import factories as backlog
from headway.core import permissions
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.prioritization.models import Team, TeamAllocation, TeamMember, TimeOff
from headway.prioritization.selectors import capacity as selectors
from headway.prioritization.services import capacity as services

pytestmark = pytest.mark.django_db
D = dt.date
Q1 = {"starts_on": D(2027, 1, 1), "ends_on": D(2027, 3, 31)}


@pytest.fixture
def team(leader, workspace):
    return services.team_create(actor=leader, workspace=workspace, name="Payments", description="Checkout")


def _state(workspace):
    return (
        sorted(Team.objects.filter(workspace=workspace).values_list("name", "description", "archived_at")),
        sorted(TeamMember.objects.filter(workspace=workspace).values_list("name", "weekly_capacity")),
        sorted(TimeOff.objects.filter(workspace=workspace).values_list("starts_on", "ends_on")),
        sorted(TeamAllocation.objects.filter(workspace=workspace).values_list("team_id", "percent")),
        AuditEvent.objects.filter(workspace=workspace).count(),
    )


# --- teams --------------------------------------------------------------------------------------


def test_team_create_and_audit(team, leader, workspace):
    assert (team.name, team.description, team.workspace_id) == ("Payments", "Checkout", workspace.pk)
    event = AuditEvent.objects.get(action="team.create")
    assert (event.actor_id, event.target_id, event.changes) == (
        leader.pk,
        team.pk,
        {"name": [None, "Payments"], "description": [None, "Checkout"]},
    )


def test_team_name_unique_case_insensitive(team, leader, workspace):
    with pytest.raises(Conflict) as exc:
        services.team_create(actor=leader, workspace=workspace, name="  payments ")
    assert exc.value.fields == {"name": ["A team named “Payments” already exists in this workspace."]}
    other = services.team_create(actor=leader, workspace=workspace, name="Growth")
    with pytest.raises(Conflict) as exc:
        services.team_update(actor=leader, team=other, name="PAYMENTS")
    assert list(exc.value.fields) == ["name"]
    other.refresh_from_db()
    assert other.name == "Growth"


def test_team_name_required(leader, workspace):
    with pytest.raises(ValidationFailed) as exc:
        services.team_create(actor=leader, workspace=workspace, name="   ")
    assert list(exc.value.fields) == ["name"]


def test_team_update_records_changes(team, leader):
    services.team_update(actor=leader, team=team, name="Payments core")
    event = AuditEvent.objects.get(action="team.update")
    assert event.changes == {"name": ["Payments", "Payments core"]}
    services.team_update(actor=leader, team=team, name="Payments core")  # nothing changed, nothing recorded
    assert AuditEvent.objects.filter(action="team.update").count() == 1
    with pytest.raises(ValidationFailed) as exc:
        services.team_update(actor=leader, team=team, workspace=None)
    assert list(exc.value.fields) == ["workspace"]


def test_archived_team_is_read_only_and_hidden(team, leader, workspace):
    services.team_archive(actor=leader, team=team)
    assert team.archived_at is not None
    assert selectors.teams(user=leader, workspace=workspace) == []
    assert [t.pk for t in selectors.teams(user=leader, workspace=workspace, include_archived=True)] == [team.pk]
    with pytest.raises(Conflict):
        services.team_update(actor=leader, team=team, name="New")
    with pytest.raises(Conflict):
        services.team_member_add(actor=leader, team=team, name="Ana")
    services.team_restore(actor=leader, team=team)
    assert team.archived_at is None
    assert [a for a in AuditEvent.objects.values_list("action", flat=True).order_by("id")] == [
        "team.create",
        "team.archive",
        "team.restore",
    ]


# --- members and time off ---------------------------------------------------------------------------


def test_member_from_a_workspace_user_takes_their_name(team, leader, pm, viewer):
    member = services.team_member_add(actor=leader, team=team, user=pm, weekly_capacity="0.5")
    assert (member.name, member.user_id, member.weekly_capacity) == ("Pat PM", pm.pk, Decimal("0.50"))
    with pytest.raises(Conflict) as exc:
        services.team_member_add(actor=leader, team=team, user=pm.pk)
    assert list(exc.value.fields) == ["user"]
    named = services.team_member_add(actor=leader, team=team, user=viewer, name="Vic (QA)")
    assert (named.name, named.user_id, named.weekly_capacity) == ("Vic (QA)", viewer.pk, Decimal("1.00"))


def test_member_user_must_be_in_the_workspace(team, leader, outsider):
    with pytest.raises(NotFound) as exc:
        services.team_member_add(actor=leader, team=team, user=outsider)
    assert list(exc.value.fields) == ["user"]
    assert TeamMember.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Ana", "weekly_capacity": "-1"}, "weekly_capacity"),
        ({"name": "Ana", "weekly_capacity": "abc"}, "weekly_capacity"),
        ({"name": "Ana", "weekly_capacity": 1001}, "weekly_capacity"),
        ({"name": "Ana", "weekly_capacity": "0.333"}, "weekly_capacity"),
        ({"name": "Ana", "weekly_capacity": True}, "weekly_capacity"),
        ({"name": "Ana", "starts_on": "2027-03-01", "ends_on": "2027-02-01"}, "ends_on"),
        ({"name": "Ana", "starts_on": "tomorrow"}, "starts_on"),
        ({"name": "Ana", "starts_on": "1900-01-01"}, "starts_on"),
        ({"name": "A" * 121}, "name"),
    ],
)
def test_member_validation_names_the_field(team, leader, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        services.team_member_add(actor=leader, team=team, **kwargs)
    assert list(exc.value.fields) == [field]
    assert TeamMember.objects.count() == 0


def test_member_update_and_remove(team, leader):
    member = services.team_member_add(actor=leader, team=team, name="Ana")
    services.team_member_update(actor=leader, member=member, weekly_capacity="0.8", starts_on="2027-02-01")
    member.refresh_from_db()
    assert (member.weekly_capacity, member.starts_on) == (Decimal("0.80"), D(2027, 2, 1))
    assert AuditEvent.objects.get(action="team_member.update").changes == {
        "weekly_capacity": ["1.00", "0.80"],
        "starts_on": [None, "2027-02-01"],
    }
    with pytest.raises(ValidationFailed) as exc:
        services.team_member_update(actor=leader, member=member, ends_on="2027-01-01")
    assert list(exc.value.fields) == ["ends_on"]
    assert member.ends_on is None  # the refused value is not left on the object
    services.time_off_add(actor=leader, member=member, starts_on="2027-02-10", ends_on="2027-02-12")
    services.team_member_remove(actor=leader, member=member)
    assert (TeamMember.objects.count(), TimeOff.objects.count()) == (0, 0)
    assert AuditEvent.objects.filter(action="team_member.remove").count() == 1


def test_time_off_rules(team, leader):
    member = services.team_member_add(actor=leader, team=team, name="Ana")
    item = services.time_off_add(
        actor=leader, member=member, starts_on=D(2027, 2, 1), ends_on=D(2027, 2, 5), note=" Ski "
    )
    assert (item.starts_on, item.ends_on, item.note, item.workspace_id) == (
        D(2027, 2, 1),
        D(2027, 2, 5),
        "Ski",
        team.workspace_id,
    )
    for starts_on, ends_on, field in [
        ("2027-02-05", "2027-02-01", "ends_on"),
        ("2027-01-01", "2028-01-02", "ends_on"),
        ("", "2027-02-01", "starts_on"),
        ("2027-02-01", None, "ends_on"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            services.time_off_add(actor=leader, member=member, starts_on=starts_on, ends_on=ends_on)
        assert list(exc.value.fields) == [field]
    services.time_off_remove(actor=leader, time_off=item)
    assert TimeOff.objects.count() == 0
    assert list(
        AuditEvent.objects.filter(action__startswith="time_off").order_by("id").values_list("action", flat=True)
    ) == [
        "time_off.add",
        "time_off.remove",
    ]


# --- allocations --------------------------------------------------------------------------------


def test_allocation_to_a_product_then_changed(team, leader, workspace):
    product = backlog.product(leader, workspace)
    allocation = services.team_allocation_set(actor=leader, team=team, product=product, percent=60)
    assert (allocation.product_id, allocation.initiative_id, allocation.percent) == (product.pk, None, 60)
    again = services.team_allocation_set(actor=leader, team=team, product=product, percent="80%")
    assert (again.pk, again.percent) == (allocation.pk, 80)
    assert AuditEvent.objects.get(action="team_allocation.update").changes == {"percent": [60, 80]}
    services.team_allocation_remove(actor=leader, allocation=again)
    assert TeamAllocation.objects.count() == 0


def test_team_total_over_100_is_refused(team, leader, workspace):
    product = backlog.product(leader, workspace)
    initiative = backlog.initiative(workspace)
    services.team_allocation_set(actor=leader, team=team, product=product, percent=70)
    with pytest.raises(ValidationFailed) as exc:
        services.team_allocation_set(actor=leader, team=team, initiative=initiative, percent=40)
    assert exc.value.fields == {"percent": ["Payments already gives 70% to other work; at most 30% is left."]}
    services.team_allocation_set(actor=leader, team=team, initiative=initiative, percent=30)
    # a product may take shares of several teams
    growth = services.team_create(actor=leader, workspace=workspace, name="Growth")
    services.team_allocation_set(actor=leader, team=growth, product=product, percent=100)
    assert TeamAllocation.objects.filter(product=product).count() == 2


@pytest.mark.parametrize("percent", [0, 101, -5, True, 2.5, "x", None])
def test_allocation_percent_bounds(team, leader, workspace, percent):
    product = backlog.product(leader, workspace)
    with pytest.raises(ValidationFailed) as exc:
        services.team_allocation_set(actor=leader, team=team, product=product, percent=percent)
    assert list(exc.value.fields) == ["percent"]


def test_allocation_needs_exactly_one_target(team, leader, workspace):
    product = backlog.product(leader, workspace)
    initiative = backlog.initiative(workspace)
    with pytest.raises(ValidationFailed) as exc:
        services.team_allocation_set(actor=leader, team=team, percent=50)
    assert list(exc.value.fields) == ["product"]
    with pytest.raises(ValidationFailed):
        services.team_allocation_set(actor=leader, team=team, product=product, initiative=initiative, percent=50)


def test_cross_workspace_objects_are_rejected(team, leader, workspace, other_workspace, outsider):
    foreign_product = backlog.product(outsider, other_workspace, key="GLX")
    foreign_initiative = backlog.initiative(other_workspace)
    with pytest.raises(NotFound) as exc:
        services.team_allocation_set(actor=leader, team=team, product=foreign_product, percent=10)
    assert list(exc.value.fields) == ["product"]
    with pytest.raises(NotFound) as exc:
        services.team_allocation_set(actor=leader, team=team, initiative=foreign_initiative, percent=10)
    assert list(exc.value.fields) == ["initiative"]
    # the outsider (admin elsewhere) cannot touch this workspace's team
    with pytest.raises(NotFound):
        services.team_member_add(actor=outsider, team=team, name="Eve")
    with pytest.raises(NotFound):
        services.team_create(actor=outsider, workspace=workspace, name="Eve's")
    with pytest.raises(NotFound):
        selectors.team_get(user=outsider, workspace=other_workspace, team_id=team.pk)
    assert TeamAllocation.objects.count() == 0


# --- permissions matrix -------------------------------------------------------------------------


def _writes(actor, team, member, time_off, allocation, product, workspace):
    return {
        "team_create": lambda: services.team_create(actor=actor, workspace=workspace, name="New team"),
        "team_update": lambda: services.team_update(actor=actor, team=team, name="Renamed"),
        "team_archive": lambda: services.team_archive(actor=actor, team=team),
        "member_add": lambda: services.team_member_add(actor=actor, team=team, name="Bo"),
        "member_update": lambda: services.team_member_update(actor=actor, member=member, weekly_capacity=2),
        "member_remove": lambda: services.team_member_remove(actor=actor, member=member),
        "time_off_add": lambda: services.time_off_add(
            actor=actor, member=member, starts_on="2027-03-01", ends_on="2027-03-02"
        ),
        "time_off_remove": lambda: services.time_off_remove(actor=actor, time_off=time_off),
        "allocation_set": lambda: services.team_allocation_set(actor=actor, team=team, product=product, percent=20),
        "allocation_remove": lambda: services.team_allocation_remove(actor=actor, allocation=allocation),
    }


@pytest.fixture
def setup(team, leader, workspace):
    member = services.team_member_add(actor=leader, team=team, name="Ana")
    time_off = services.time_off_add(actor=leader, member=member, starts_on="2027-02-01", ends_on="2027-02-05")
    product = backlog.product(leader, workspace)
    allocation = services.team_allocation_set(actor=leader, team=team, product=product, percent=50)
    return {"team": team, "member": member, "time_off": time_off, "allocation": allocation, "product": product}


@pytest.mark.parametrize("role", ["viewer", "contributor", "pm"])
@pytest.mark.parametrize(
    "write",
    [
        "team_create",
        "team_update",
        "team_archive",
        "member_add",
        "member_update",
        "member_remove",
        "time_off_add",
        "time_off_remove",
        "allocation_set",
        "allocation_remove",
    ],
)
def test_roles_below_leader_may_not_write(member, workspace, setup, role, write):
    actor = member(role)
    before = _state(workspace)
    with pytest.raises(PermissionDenied):
        _writes(actor, workspace=workspace, **setup)[write]()
    assert _state(workspace) == before
    # and they read everything
    assert [t.name for t in selectors.teams(user=actor, workspace=workspace)] == ["Payments"]


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_leaders_and_admins_may_write(member, workspace, setup, role):
    actor = member(role)
    for name, call in _writes(actor, workspace=workspace, **setup).items():
        if name in {"member_remove", "team_archive"}:
            continue  # below, after the others used the member and the team
        call()
    _writes(actor, workspace=workspace, **setup)["member_remove"]()
    _writes(actor, workspace=workspace, **setup)["team_archive"]()
    assert Team.objects.get(pk=setup["team"].pk).archived_at is not None
    assert AuditEvent.objects.filter(actor=actor).count() == 10


# --- selectors ----------------------------------------------------------------------------------


def test_team_capacity_for_a_quarter(team, leader, workspace, django_assert_num_queries):
    ana = services.team_member_add(actor=leader, team=team, name="Ana")
    services.team_member_add(actor=leader, team=team, name="Bo", weekly_capacity="0.5")
    services.team_member_add(actor=leader, team=team, name="Cy", starts_on="2027-03-01")
    services.team_member_add(actor=leader, team=team, name="Dee", ends_on="2026-12-31")  # gone before
    services.time_off_add(actor=leader, member=ana, starts_on="2027-02-01", ends_on="2027-02-05")
    services.time_off_add(actor=leader, member=ana, starts_on="2027-02-03", ends_on="2027-02-09")
    services.time_off_add(actor=leader, member=ana, starts_on="2027-05-03", ends_on="2027-05-07")  # outside
    empty = services.team_create(actor=leader, workspace=workspace, name="Empty")
    with django_assert_num_queries(2):
        result = selectors.team_capacity(workspace_id=workspace.pk, team_ids=[team.pk, empty.pk], **Q1)
    payments = result[team.pk]
    assert [(m.name, m.days_off, m.capacity) for m in payments.members] == [
        ("Ana", 7, 11.4),
        ("Bo", 0, 6.4),
        ("Cy", 0, 4.6),
    ]
    assert (payments.total, payments.working_days) == (22.4, 64)
    assert (result[empty.pk].total, result[empty.pk].members) == (0.0, [])


def test_team_capacity_queries_do_not_grow(leader, workspace, django_assert_num_queries):
    ids = []
    for i in range(5):
        t = services.team_create(actor=leader, workspace=workspace, name=f"T{i}")
        ids.append(t.pk)
        for j in range(3):
            m = services.team_member_add(actor=leader, team=t, name=f"M{i}{j}")
            services.time_off_add(actor=leader, member=m, starts_on="2027-01-04", ends_on="2027-01-05")
    with django_assert_num_queries(2):
        result = selectors.team_capacity(workspace_id=workspace.pk, team_ids=ids, **Q1)
    assert [result[i].total for i in ids] == [37.2] * 5


def test_teams_selector_query_count(team, leader, workspace, django_assert_num_queries):
    product = backlog.product(leader, workspace)
    services.team_allocation_set(actor=leader, team=team, product=product, percent=50)
    services.team_member_add(actor=leader, team=team, name="Ana")
    other = services.team_create(actor=leader, workspace=workspace, name="Growth")
    services.team_member_add(actor=leader, team=other, name="Bo")
    permissions.forget_roles(leader)
    with django_assert_num_queries(4):  # role, teams, members, allocations (with product and initiative)
        found = selectors.teams(user=leader, workspace=workspace)
        assert [(t.name, len(t.members.all()), [str(a.product) for a in t.allocations.all()]) for t in found] == [
            ("Growth", 1, []),
            ("Payments", 1, [str(product)]),
        ]


def test_feature_teams(leader, workspace, django_assert_num_queries):
    pay = backlog.product(leader, workspace, key="PAY")
    web = backlog.product(leader, workspace, key="WEB")
    app = backlog.product(leader, workspace, key="APP")
    onboarding = backlog.initiative(workspace)
    a = services.team_create(actor=leader, workspace=workspace, name="A")
    b = services.team_create(actor=leader, workspace=workspace, name="B")
    c = services.team_create(actor=leader, workspace=workspace, name="C")
    services.team_allocation_set(actor=leader, team=a, product=pay, percent=30)
    services.team_allocation_set(actor=leader, team=b, product=pay, percent=60)
    services.team_allocation_set(actor=leader, team=b, product=web, percent=40)
    services.team_allocation_set(actor=leader, team=a, product=web, percent=40)  # tie: lowest id (a)
    services.team_allocation_set(actor=leader, team=c, initiative=onboarding, percent=50)
    f_pay = backlog.feature(leader, pay, "Pay")
    f_web = backlog.feature(leader, web, "Web")
    f_app = backlog.feature(leader, app, "App")
    f_app_init = backlog.feature(leader, app, "App onboarding", initiative=onboarding)
    f_pay_init = backlog.feature(leader, pay, "Pay onboarding", initiative=onboarding)
    features = [f_pay, f_web, f_app, f_app_init, f_pay_init]
    with django_assert_num_queries(1):
        result = selectors.feature_teams(workspace_id=workspace.pk, features=features)
    assert result == {f_pay.pk: b.pk, f_web.pk: a.pk, f_app.pk: None, f_app_init.pk: c.pk, f_pay_init.pk: b.pk}
    services.team_archive(actor=leader, team=b)
    result = selectors.feature_teams(workspace_id=workspace.pk, features=features)
    assert (result[f_pay.pk], result[f_web.pk]) == (a.pk, a.pk)
    with django_assert_num_queries(0):
        assert selectors.feature_teams(workspace_id=workspace.pk, features=[]) == {}


def test_team_get_not_found_across_workspaces(team, leader, outsider, other_workspace, viewer, workspace):
    assert selectors.team_get(user=viewer, workspace=workspace, team_id=team.pk).pk == team.pk
    with pytest.raises(NotFound):
        selectors.team_get(user=outsider, workspace=workspace, team_id=team.pk)
    with pytest.raises(NotFound):
        selectors.team_get(user=outsider, workspace=other_workspace, team_id=team.pk)
