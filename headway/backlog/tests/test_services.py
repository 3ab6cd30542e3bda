"""Backlog writes: exact results, audit rows, clear errors; refused writes change nothing."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from headway.backlog import ranking, services
from headway.backlog.models import (
    BacklogSettings,
    Feature,
    FeatureComment,
    FeatureDependency,
    FeatureLink,
    FeatureStatusChange,
    FeatureTag,
    Requirement,
    SavedView,
    Tag,
    WorkflowStatus,
)
from headway.backlog.tests import factories as f
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def order(product):
    return list(Feature.objects.filter(product=product).order_by("rank").values_list("title", flat=True))


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def pay(admin, pm, workspace):
    return f.product(admin, workspace, key="PAY", owner=pm)


@pytest.fixture
def chk(admin, workspace):
    return f.product(admin, workspace, key="CHK")


@pytest.fixture
def five(admin, pay):
    return f.features(admin, pay, 5)


@pytest.fixture
def statuses(admin, workspace):
    return {s.name: s for s in services.workflow_ensure_defaults(actor=admin, workspace=workspace)}


# --- workflow ---------------------------------------------------------------------------------


def test_default_workflow_is_created_once_with_categories(viewer, workspace):
    created = services.workflow_ensure_defaults(actor=viewer, workspace=workspace)
    assert [(s.name, s.category, s.position, s.is_default) for s in created] == [
        ("New", "not_started", 0, True),
        ("Discovery", "not_started", 1, False),
        ("Ready", "not_started", 2, False),
        ("In progress", "active", 3, False),
        ("Released", "done", 4, False),
        ("Parked", "closed", 5, False),
        ("Won't do", "closed", 6, False),
    ]
    again = services.workflow_ensure_defaults(actor=viewer, workspace=workspace)
    assert [s.pk for s in again] == [s.pk for s in created]
    assert WorkflowStatus.objects.count() == 7
    [event] = events("workflow.create_defaults")
    assert event.actor == viewer
    assert event.changes == {"statuses": [None, "New, Discovery, Ready, In progress, Released, Parked, Won't do"]}


def test_outsider_cannot_create_defaults(outsider, workspace):
    with pytest.raises(NotFound):
        services.workflow_ensure_defaults(actor=outsider, workspace=workspace)
    assert WorkflowStatus.objects.count() == 0


def test_status_create_default_switch_move_and_delete(leader, workspace, statuses):
    review = services.workflow_status_create(
        actor=leader, workspace=workspace, name=" In review ", category="active", is_default=True
    )
    assert (review.name, review.position, review.is_default) == ("In review", 7, True)
    assert list(WorkflowStatus.objects.filter(is_default=True).values_list("name", flat=True)) == ["In review"]
    services.workflow_status_move(actor=leader, status=review, position=4)
    assert list(WorkflowStatus.objects.order_by("position").values_list("name", flat=True)) == [
        "New", "Discovery", "Ready", "In progress", "In review", "Released", "Parked", "Won't do",
    ]  # fmt: skip
    assert events("workflow_status.move")[-1].changes == {"position": [8, 5]}
    services.workflow_status_update(actor=leader, status=statuses["New"], is_default=True)
    review.refresh_from_db()
    assert not review.is_default
    services.workflow_status_update(actor=leader, status=review, name="Review", category="not_started")
    assert events("workflow_status.update")[-1].changes == {
        "name": ["In review", "Review"],
        "category": ["In progress", "Not started"],
    }
    services.workflow_status_delete(actor=leader, status=review)
    assert list(WorkflowStatus.objects.order_by("position").values_list("name", "position")) == [
        ("New", 0), ("Discovery", 1), ("Ready", 2), ("In progress", 3), ("Released", 4), ("Parked", 5), ("Won't do", 6),
    ]  # fmt: skip


def test_status_rules(leader, workspace, statuses, pay):
    with pytest.raises(Conflict) as exc:
        services.workflow_status_create(actor=leader, workspace=workspace, name="new", category="active")
    assert exc.value.fields == {"name": ["The workflow already has a status named “New”."]}
    with pytest.raises(ValidationFailed) as exc:
        services.workflow_status_create(actor=leader, workspace=workspace, name="X", category="doing")
    assert exc.value.fields == {"category": ["Choose one of not_started, active, done, closed."]}
    with pytest.raises(ValidationFailed):
        services.workflow_status_update(actor=leader, status=statuses["New"], is_default=False)
    with pytest.raises(Conflict) as exc:
        services.workflow_status_delete(actor=leader, status=statuses["New"])
    assert exc.value.message == "“New” is the default status. Make another status the default first."
    feature = f.feature(leader, pay, "Export", status=statuses["Ready"])
    with pytest.raises(Conflict) as exc:
        services.workflow_status_delete(actor=leader, status=statuses["Ready"])
    assert exc.value.message == "1 feature is in “Ready”. Move them to another status first."
    services.feature_update(actor=leader, feature=feature, status=statuses["Parked"])
    with pytest.raises(Conflict) as exc:
        services.workflow_status_delete(actor=leader, status=statuses["Ready"])
    assert "their history needs it" in exc.value.message
    assert WorkflowStatus.objects.count() == 7


@pytest.mark.parametrize("role", ["pm", "contributor", "viewer"])
def test_workflow_changes_are_for_leaders(member, workspace, statuses, role):
    actor = member(role)
    before = list(WorkflowStatus.objects.values())
    for call in (
        lambda: services.workflow_status_create(actor=actor, workspace=workspace, name="X", category="active"),
        lambda: services.workflow_status_update(actor=actor, status=statuses["Ready"], name="Y"),
        lambda: services.workflow_status_move(actor=actor, status=statuses["Ready"], position=0),
        lambda: services.workflow_status_delete(actor=actor, status=statuses["Parked"]),
        lambda: services.backlog_settings_update(actor=actor, workspace=workspace, effort_unit="person_weeks"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert list(WorkflowStatus.objects.values()) == before
    assert BacklogSettings.objects.count() == 0


def test_effort_unit(leader, workspace):
    settings_row = services.backlog_settings_update(actor=leader, workspace=workspace, effort_unit="person_weeks")
    assert settings_row.effort_unit == "person_weeks"
    assert events("backlog_settings.update")[-1].changes == {"effort_unit": ["Story points", "Person-weeks"]}
    with pytest.raises(ValidationFailed):
        services.backlog_settings_update(actor=leader, workspace=workspace, effort_unit="days")


# --- create and update ------------------------------------------------------------------------


def test_feature_create_numbers_ranks_and_records(pm, workspace, pay, contributor):
    objective = f.objective(workspace)
    initiative = f.initiative(workspace)
    component = services_component(pm, pay)
    first = services.feature_create(
        actor=pm,
        workspace=workspace,
        product=pay,
        title="  Export invoices  ",
        description="As **CSV**",
        component=component,
        initiative=initiative,
        objectives=[objective, objective.pk],
        owner=contributor.pk,
        effort="2.5",
        target_release="2026.3",
        tags=["Finance", "finance ", "  export  "],
    )
    second = f.feature(pm, pay, "Import")
    assert (first.ref, first.number, first.rank) == ("PAY-1", 1, "i0000i")
    assert (second.ref, second.rank) == ("PAY-2", "i0001i")
    assert (first.title, first.effort, first.owner, first.status.name) == (
        "Export invoices", Decimal("2.50"), contributor, "New",
    )  # fmt: skip
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Finance", "export"]
    assert list(first.objective_links.values_list("objective_id", flat=True)) == [objective.pk]
    [change] = FeatureStatusChange.objects.filter(feature=first)
    assert (change.from_status, change.to_status.name, change.actor) == (None, "New", pm)
    event = AuditEvent.objects.get(action="feature.create", target_id=first.pk)
    assert event.changes == {
        "title": [None, "Export invoices"],
        "description": [None, "As **CSV**"],
        "product": [None, "PAY Product PAY"],
        "component": [None, "Web"],
        "initiative": [None, "Self-serve onboarding"],
        "owner": [None, str(contributor)],
        "status": [None, "New"],
        "effort": [None, "2.50"],
        "target_release": [None, "2026.3"],
        "objectives": [None, "Grow revenue"],
        "tags": [None, "Finance, export"],
    }


def services_component(actor, product, name="Web"):
    from headway.portfolio.services import component_create

    return component_create(actor=actor, product=product, name=name)


def test_feature_create_refusals_change_nothing(admin, pm, workspace, pay, chk, other_workspace, outsider):
    web = services_component(admin, chk)
    too_long = "Ensure this value has at most 200 characters (it has 201)."
    cases = [
        (dict(title=""), ValidationFailed, {"title": ["This field cannot be blank."]}),
        (dict(title="x" * 201), ValidationFailed, {"title": [too_long]}),
        (dict(title="A", component=web), ValidationFailed,
         {"component": ["“Web” is a component of another product, not of PAY."]}),
        (dict(title="A", effort=-1), ValidationFailed, {"effort": ["Effort cannot be negative."]}),
        (dict(title="A", effort="1.234"), ValidationFailed, {"effort": ["Use at most two decimals."]}),
        (dict(title="A", owner=outsider), NotFound,
         {"owner": [f"User {outsider.pk} is not a member of this workspace."]}),
        (dict(title="A", objectives=[99999]), NotFound, {"objectives": ["No objective 99999 in this workspace."]}),
        (dict(title="A", tags=["x" * 41]), ValidationFailed,
         {"tags": [f"“{'x' * 40}…” is longer than 40 characters."]}),
    ]  # fmt: skip
    for fields, error, expected in cases:
        with pytest.raises(error) as exc:
            services.feature_create(actor=pm, workspace=workspace, product=pay, **fields)
        assert exc.value.fields == expected, fields
    with pytest.raises(PermissionDenied):  # a PM edits the features of their own products only
        services.feature_create(actor=pm, workspace=workspace, product=chk, title="A")
    with pytest.raises(NotFound):
        services.feature_create(actor=outsider, workspace=workspace, product=pay, title="A")
    assert Feature.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="feature").exists()


def test_feature_update_records_only_changes_and_status_history(pm, pay, statuses, workspace):
    feature = f.feature(pm, pay, "Export", tags=["a", "b"])
    services.feature_update(actor=pm, feature=feature, title="Export", tags=["B", "a"])
    assert not events("feature.update")  # nothing changed
    services.feature_update(
        actor=pm, feature=feature, status=statuses["In progress"], effort=3, tags=["a", "c"], owner=pm
    )
    assert events("feature.update")[-1].changes == {
        "owner": [None, str(pm)],
        "status": ["New", "In progress"],
        "effort": [None, "3.00"],
        "tags": ["a, b", "a, c"],
    }
    assert list(feature.status_changes.order_by("id").values_list("to_status__name", flat=True)) == [
        "New", "In progress",
    ]  # fmt: skip
    assert sorted(FeatureTag.objects.filter(feature=feature).values_list("tag__name", flat=True)) == ["a", "c"]
    with pytest.raises(ValidationFailed) as exc:
        services.feature_update(actor=pm, feature=feature, rank="0")
    assert exc.value.fields == {"rank": ["Use feature_move to reorder the backlog."]}


def test_moving_a_feature_to_another_product_renumbers_it_at_the_bottom(admin, pay, chk, five):
    web = services_component(admin, pay)
    services.feature_update(actor=admin, feature=five[1], component=web)
    f.feature(admin, chk, "Guest checkout")
    moved = services.feature_update(actor=admin, feature=five[1], product=chk)
    assert (moved.ref, moved.component) == ("CHK-2", None)
    assert order(chk) == ["Guest checkout", "F2"]
    assert order(pay) == ["F1", "F3", "F4", "F5"]
    assert events("feature.update")[-1].changes == {
        "product": ["PAY Product PAY", "CHK Product CHK"],
        "component": ["Web", None],
        "ref": ["PAY-2", "CHK-2"],
    }
    assert f.feature(admin, pay, "F6").ref == "PAY-6"  # numbers are never reused


def test_pm_cannot_move_a_feature_into_a_product_they_do_not_own(pm, pay, chk, five):
    with pytest.raises(PermissionDenied):
        services.feature_update(actor=pm, feature=five[0], product=chk)
    five[0].refresh_from_db()
    assert five[0].product == pay


def test_archive_and_restore_keep_the_place(pm, pay, five):
    services.feature_archive(actor=pm, feature=five[1])
    with pytest.raises(Conflict):
        services.feature_update(actor=pm, feature=five[1], title="Y")
    with pytest.raises(Conflict):
        services.feature_move(actor=pm, feature=five[1], before=five[0])
    services.feature_move(actor=pm, feature=five[4], after=five[0])  # lands between F1 and archived F2
    services.feature_restore(actor=pm, feature=five[1])
    assert order(pay) == ["F1", "F5", "F2", "F3", "F4"]
    assert [e.action for e in AuditEvent.objects.filter(target_id=five[1].pk, target_type="backlog.feature")] == [
        "feature.restore", "feature.archive", "feature.create",
    ]  # fmt: skip


# --- ranking ----------------------------------------------------------------------------------


def test_moves_give_the_exact_order(pm, pay, five):
    f1, f2, f3, f4, f5 = five
    services.feature_move(actor=pm, feature=f5, before=f1)
    assert order(pay) == ["F5", "F1", "F2", "F3", "F4"]
    services.feature_move(actor=pm, feature=f1, after=f3)
    assert order(pay) == ["F5", "F2", "F3", "F1", "F4"]
    services.feature_move(actor=pm, feature=f5, after=f4)  # to the bottom
    assert order(pay) == ["F2", "F3", "F1", "F4", "F5"]
    services.feature_move(actor=pm, feature=f4, before=f2)  # to the top
    assert order(pay) == ["F4", "F2", "F3", "F1", "F5"]
    services.feature_move(actor=pm, feature=f3, after=f4, before=f2)  # both neighbours, as drag and drop sends
    assert order(pay) == ["F4", "F3", "F2", "F1", "F5"]
    assert events("feature.move")[-1].changes == {"rank": [None, "after PAY-4 · before PAY-2"]}
    assert events("feature.move")[2].changes == {"rank": [None, "after PAY-4 · bottom"]}
    assert events("feature.move")[3].changes == {"rank": [None, "top · before PAY-2"]}


def test_a_move_writes_one_row(pm, pay, five, django_assert_num_queries):
    f1, _, f3, _, f5 = five
    with CaptureQueriesContext(connection) as queries:
        services.feature_move(actor=pm, feature=f5, after=f1)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert '"rank"' in updates[0] and f'"id" = {f5.pk}' in updates[0].replace("%s", "")
    # Neighbours, lock, check again, the update and the audit row (plus two savepoints, each opened and
    # released), whatever the backlog's length; the actor's role is cached from the first move.
    with django_assert_num_queries(9):
        services.feature_move(actor=pm, feature=f3, before=f1)
    assert order(pay) == ["F3", "F1", "F5", "F2", "F4"]


def test_a_move_to_where_it_already_is_writes_nothing(pm, pay, five):
    with CaptureQueriesContext(connection) as queries:
        services.feature_move(actor=pm, feature=five[1], after=five[0])
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert not events("feature.move")


def test_move_refusals(pm, admin, pay, chk, five):
    other = f.feature(admin, chk, "Guest checkout")
    with pytest.raises(ValidationFailed) as exc:
        services.feature_move(actor=pm, feature=five[0])
    assert set(exc.value.fields) == {"before", "after"}
    with pytest.raises(Conflict) as exc:
        services.feature_move(actor=pm, feature=five[0], before=five[0])
    assert exc.value.fields == {"before": ["PAY-1 cannot be placed next to itself."]}
    with pytest.raises(ValidationFailed) as exc:
        services.feature_move(actor=pm, feature=five[0], after=other)
    assert exc.value.fields == {
        "after": ["CHK-1 belongs to another product; features are ranked within their product's backlog."]
    }
    with pytest.raises(Conflict) as exc:
        services.feature_move(actor=pm, feature=five[0], after=five[3], before=five[2])
    assert exc.value.fields == {"before": ["PAY-3 ranks above PAY-4; give neighbours in backlog order."]}
    with pytest.raises(PermissionDenied):
        services.feature_move(actor=pm, feature=other, before=other)
    assert order(pay) == ["F1", "F2", "F3", "F4", "F5"]


def test_keys_that_grow_too_long_are_respaced_once(pm, pay, five, monkeypatch):
    monkeypatch.setattr(ranking, "MAX_LENGTH", 8)
    f1, f2 = five[0], five[1]
    movers = five[2:]
    for i in range(12):  # keep squeezing features right under F1
        services.feature_move(actor=pm, feature=movers[i % 3], after=f1)
    expected = ["F1", "F5", "F4", "F3", "F2"]
    assert order(pay) == expected
    ranks = list(Feature.objects.filter(product=pay).values_list("rank", flat=True))
    assert max(len(r) for r in ranks) <= 8
    assert len(set(ranks)) == 5
    del f2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_keep_a_total_unique_order(admin, pm, workspace):
    """Two people drop features into the same gap at the same moment, many times over, on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    pay = f.product(admin, workspace, key="PAY", owner=pm)
    features = f.features(admin, pay, 12)
    target = features[0]
    errors = []

    def worker(movers, barrier):
        try:
            for mover in movers:
                barrier.wait(timeout=10)
                feature = Feature.objects.select_related("product", "workspace").get(pk=mover.pk)
                anchor = Feature.objects.select_related("product").get(pk=target.pk)
                services.feature_move(actor=pm, feature=feature, after=anchor)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    barrier = threading.Barrier(2)
    left, right = features[1:6], features[6:11]
    threads = [threading.Thread(target=worker, args=(movers, barrier)) for movers in (left, right)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ranks = list(Feature.objects.filter(product=pay).order_by("rank").values_list("title", "rank"))
    assert len({r for _, r in ranks}) == 12
    titles = [t for t, _ in ranks]
    assert titles[0] == "F1" and titles[-1] == "F12"
    # Every move put its feature directly under F1, so the later of each pair of moves is nearer F1.
    assert sorted(titles[1:11]) == sorted(f"F{i}" for i in range(2, 12))
    assert [t for t in titles if t in {m.title for m in left}] == [m.title for m in reversed(left)]
    assert [t for t in titles if t in {m.title for m in right}] == [m.title for m in reversed(right)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_moves_into_one_gap_from_both_sides_queue_on_the_neighbours(admin, pm, workspace):
    """One move says "after F1", the other "before F2" (the same gap): the locks make them take turns."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    pay = f.product(admin, workspace, key="PAY", owner=pm)
    features = f.features(admin, pay, 10)
    errors = []

    def worker(movers, where, barrier):
        try:
            for mover in movers:
                barrier.wait(timeout=10)
                feature = Feature.objects.select_related("product", "workspace").get(pk=mover.pk)
                anchor = Feature.objects.select_related("product").get(pk=where[1].pk)
                services.feature_move(actor=pm, feature=feature, **{where[0]: anchor})
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    barrier = threading.Barrier(2)
    jobs = [(features[2:6], ("after", features[0])), (features[6:10], ("before", features[1]))]
    threads = [threading.Thread(target=worker, args=(movers, where, barrier)) for movers, where in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    titles = order(pay)
    assert len(set(Feature.objects.filter(product=pay).values_list("rank", flat=True))) == 10
    assert titles[0] == "F1" and titles[-1] == "F2"
    assert sorted(titles[1:9]) == sorted(f"F{i}" for i in range(3, 11))


@pytest.mark.postgres
def test_postgresql_sorts_rank_keys_as_python_does(admin, pm, workspace):
    if connection.vendor != "postgresql":
        pytest.skip("collation check for PostgreSQL")
    pay = f.product(admin, workspace, key="PAY", owner=pm)
    keys = sorted({ranking.key_between(None, None), "0001", "a", "a1", "az", "b", "z", "zz", "9", "90001", "i0000i"})
    for i, key in enumerate(reversed(keys)):
        f.feature(admin, pay, f"T{i}")
        Feature.objects.filter(product=pay, title=f"T{i}").update(rank=key)
    assert list(Feature.objects.filter(product=pay).order_by("rank").values_list("rank", flat=True)) == keys


# --- bulk edit --------------------------------------------------------------------------------


def test_bulk_update_changes_many_in_one_go(pm, workspace, pay, five, statuses, contributor):
    initiative = f.initiative(workspace)
    services.feature_update(actor=pm, feature=five[0], tags=["old"], status=statuses["Parked"])
    count = services.feature_bulk_update(
        actor=pm,
        workspace=workspace,
        features=[five[0], five[1].pk, five[2]],
        status=statuses["Parked"],
        owner=contributor,
        initiative=initiative,
        add_tags=["Q3"],
        remove_tags=["old"],
    )
    assert count == 3
    rows = Feature.objects.filter(pk__in=[x.pk for x in five[:3]]).order_by("number")
    assert [(x.status.name, x.owner, x.initiative) for x in rows] == [("Parked", contributor, initiative)] * 3
    assert sorted(FeatureTag.objects.values_list("feature__number", "tag__name")) == [(1, "Q3"), (2, "Q3"), (3, "Q3")]
    changes = {e.target_id: e.changes for e in events("feature.update")[1:]}
    assert changes[five[0].pk] == {
        "owner": [None, str(contributor)],
        "initiative": [None, "Self-serve onboarding"],
        "tags": ["old", "Q3"],
    }
    assert changes[five[1].pk]["status"] == ["New", "Parked"]
    assert FeatureStatusChange.objects.filter(to_status=statuses["Parked"]).count() == 3
    assert services.feature_bulk_update(actor=pm, workspace=workspace, features=[five[1]], add_tags=["q3"]) == 0


def test_bulk_update_is_all_or_nothing(admin, pm, workspace, pay, chk, five, statuses):
    foreign = f.feature(admin, chk, "Not mine")
    before = list(Feature.objects.order_by("pk").values())
    with pytest.raises(PermissionDenied) as exc:
        services.feature_bulk_update(
            actor=pm, workspace=workspace, features=[five[0], foreign], status=statuses["Ready"]
        )
    assert exc.value.message.startswith("You may not edit CHK-1:")
    services.feature_archive(actor=pm, feature=five[4])
    with pytest.raises(Conflict) as exc:
        services.feature_bulk_update(actor=pm, workspace=workspace, features=[five[0], five[4]], owner=None)
    assert exc.value.fields == {"features": ["PAY-5 archived. Restore first; nothing was changed."]}
    with pytest.raises(ValidationFailed) as exc:
        services.feature_bulk_update(actor=pm, workspace=workspace, features=[five[0]])
    assert exc.value.fields == {"__all__": ["Choose a change: status, owner, initiative or tags."]}
    with pytest.raises(NotFound):
        services.feature_bulk_update(actor=pm, workspace=workspace, features=[99999], owner=None)
    with pytest.raises(ValidationFailed):
        services.feature_bulk_update(actor=pm, workspace=workspace, features=[], owner=None)
    after = [row for row in Feature.objects.order_by("pk").values() if row["title"] != "F5"]
    assert after == [row for row in before if row["title"] != "F5"]
    assert not FeatureTag.objects.exists()


# --- dependencies -----------------------------------------------------------------------------


def test_dependency_cycles_are_refused_naming_the_cycle(pm, admin, pay, chk, five):
    f1, f2, f3 = five[:3]
    services.dependency_add(actor=pm, blocker=f1, blocked=f2)
    services.dependency_add(actor=pm, blocker=f2, blocked=f3)
    with pytest.raises(Conflict) as exc:
        services.dependency_add(actor=pm, blocker=f3, blocked=f1)
    assert exc.value.message == (
        "blocker: That would make a cycle: PAY-3 → PAY-1 → PAY-2 → PAY-3. A feature cannot wait, even indirectly, "
        "on itself."
    )
    with pytest.raises(Conflict) as exc:
        services.dependency_add(actor=pm, blocker=f2, blocked=f1)
    assert "PAY-2 → PAY-1 → PAY-2" in exc.value.message
    with pytest.raises(Conflict) as exc:
        services.dependency_add(actor=pm, blocker=f1, blocked=f1)
    assert exc.value.fields == {"blocker": ["PAY-1 cannot block itself."]}
    with pytest.raises(Conflict) as exc:
        services.dependency_add(actor=pm, blocker=f1, blocked=f2)
    assert exc.value.fields == {"blocker": ["PAY-1 already blocks PAY-2."]}
    other = f.feature(admin, chk, "Guest checkout")
    services.dependency_add(actor=pm, blocker=other, blocked=f3)  # across products: the PM edits f3
    with pytest.raises(Conflict) as exc:
        services.dependency_add(actor=admin, blocker=f3, blocked=other)
    assert "PAY-3 → CHK-1 → PAY-3" in exc.value.message
    assert list(FeatureDependency.objects.order_by("id").values_list("blocker__title", "blocked__title")) == [
        ("F1", "F2"), ("F2", "F3"), ("Guest checkout", "F3"),
    ]  # fmt: skip
    assert [e.target_id for e in events("dependency.create")[:2]] == [f2.pk, f1.pk]


def test_dependency_permissions(admin, viewer, contributor, pay, chk, five, other_workspace, outsider):
    a = f.feature(admin, chk, "A")
    b = f.feature(admin, chk, "B")
    for actor in (viewer, contributor):
        with pytest.raises(PermissionDenied):
            services.dependency_add(actor=actor, blocker=a, blocked=b)
    with pytest.raises(NotFound):
        services.dependency_add(actor=outsider, blocker=a, blocked=b)
    dependency = services.dependency_add(actor=admin, blocker=a, blocked=b)
    with pytest.raises(PermissionDenied):
        services.dependency_remove(actor=viewer, dependency=dependency)
    services.dependency_remove(actor=admin, dependency=dependency)
    assert not FeatureDependency.objects.exists()


# --- requirements, comments, links ------------------------------------------------------------


def test_requirements_checklist(pm, pay, five, viewer):
    feature = five[0]
    one = services.requirement_add(actor=pm, feature=feature, story="As a buyer I pay by card")
    two = services.requirement_add(actor=pm, feature=feature, story="As a buyer I pay by invoice", done=True)
    three = services.requirement_add(actor=pm, feature=feature, story="As finance I export", acceptance_criteria="CSV")
    assert [r.position for r in (one, two, three)] == [0, 1, 2]
    services.requirement_move(actor=pm, requirement=three, position=0)
    services.requirement_update(actor=pm, requirement=one, done=True)
    services.requirement_delete(actor=pm, requirement=two)
    assert list(Requirement.objects.order_by("position").values_list("story", "position", "done")) == [
        ("As finance I export", 0, False),
        ("As a buyer I pay by card", 1, True),
    ]
    history = AuditEvent.objects.filter(target_type="backlog.feature", target_id=feature.pk).order_by("id")
    assert [e.action for e in history][1:] == [
        "requirement.create", "requirement.create", "requirement.create",
        "requirement.move", "requirement.update", "requirement.delete",
    ]  # fmt: skip
    assert events("requirement.update")[0].changes == {
        "requirement": [None, "As a buyer I pay by card"], "done": [False, True],
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.requirement_add(actor=pm, feature=feature, story="  ")
    assert exc.value.fields == {"story": ["This field cannot be blank."]}
    with pytest.raises(PermissionDenied):
        services.requirement_update(actor=viewer, requirement=one, done=False)
    assert Requirement.objects.get(pk=one.pk).done is True


def test_comments_by_contributors_deleted_only_by_their_author(pm, contributor, viewer, pay, five):
    comment = services.comment_add(actor=contributor, feature=five[0], body="  Customers **need** it  ")
    assert (comment.body, comment.author) == ("Customers **need** it", contributor)
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=viewer, feature=five[0], body="Me too")
    with pytest.raises(PermissionDenied) as exc:
        services.comment_delete(actor=pm, comment=comment)
    assert exc.value.message == "Your role (Product manager) may not delete this comment (only its author may)."
    with pytest.raises(ValidationFailed):
        services.comment_add(actor=contributor, feature=five[0], body="")
    services.comment_delete(actor=contributor, comment=comment)
    assert not FeatureComment.objects.exists()
    assert [e.changes for e in events("comment.delete")] == [{"comment": ["Customers **need** it", None]}]


def test_links_must_be_web_addresses(pm, pay, five):
    link = services.link_add(actor=pm, feature=five[0], url=" https://example.com/spec ", title="Spec")
    assert (link.url, link.title) == ("https://example.com/spec", "Spec")
    for bad in ("javascript:alert(1)", "example.com", "ftp://example.com/x", ""):
        with pytest.raises(ValidationFailed) as exc:
            services.link_add(actor=pm, feature=five[0], url=bad)
        assert list(exc.value.fields) == ["url"], bad
    services.link_remove(actor=pm, link=link)
    assert not FeatureLink.objects.exists()


# --- saved views ------------------------------------------------------------------------------


def test_saved_views_belong_to_their_owner(pm, viewer, workspace, pay):
    view = services.saved_view_create(
        actor=viewer, workspace=workspace, name="Mine", filters={"product": pay.pk, "search": " csv "}, shared=True
    )
    assert view.filters == {"product": pay.pk, "search": "csv"}
    with pytest.raises(Conflict):
        services.saved_view_create(actor=viewer, workspace=workspace, name="MINE", filters={})
    services.saved_view_create(actor=pm, workspace=workspace, name="Mine", filters={})  # names are per person
    with pytest.raises(PermissionDenied):
        services.saved_view_update(actor=pm, saved_view=view, name="Hijacked")
    with pytest.raises(ValidationFailed) as exc:
        services.saved_view_update(actor=viewer, saved_view=view, filters={"colour": "red"})
    assert exc.value.fields["filters"][0].startswith("Unknown filter “colour”")
    services.saved_view_update(actor=viewer, saved_view=view, filters={"owner": 0}, shared=False)
    view.refresh_from_db()
    assert (view.name, view.filters, view.shared) == ("Mine", {"owner": 0}, False)
    services.saved_view_delete(actor=viewer, saved_view=view)
    assert list(SavedView.objects.values_list("owner__email", flat=True)) == ["pm@example.com"]


# --- the permission matrix --------------------------------------------------------------------

MATRIX = {
    # action: roles allowed (a PM only on the product they own)
    "create": {"admin", "leader", "pm"},
    "update": {"admin", "leader", "pm"},
    "move": {"admin", "leader", "pm"},
    "archive": {"admin", "leader", "pm"},
    "requirement": {"admin", "leader", "pm"},
    "comment": {"admin", "leader", "pm", "contributor"},
    "workflow": {"admin", "leader"},
}


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(member, admin, workspace, role, action):
    actor = member(role)
    mine = f.product(admin, workspace, key="PAY", owner=actor if role == "pm" else None)
    theirs = f.product(admin, workspace, key="CHK")
    targets = {"own": mine, "other": theirs}
    for which, product in targets.items():
        features = f.features(admin, product, 2, prefix=which)
        calls = {
            "create": lambda p=product: services.feature_create(
                actor=actor, workspace=workspace, product=p, title="New"
            ),
            "update": lambda x=features[0]: services.feature_update(actor=actor, feature=x, title="Changed"),
            "move": lambda x=features: services.feature_move(actor=actor, feature=x[1], before=x[0]),
            "archive": lambda x=features[0]: services.feature_archive(actor=actor, feature=x),
            "requirement": lambda x=features[0]: services.requirement_add(actor=actor, feature=x, story="S"),
            "comment": lambda x=features[0]: services.comment_add(actor=actor, feature=x, body="B"),
            "workflow": lambda: services.workflow_status_create(
                actor=actor, workspace=workspace, name=f"S {which}", category="active"
            ),
        }
        allowed = role in MATRIX[action] and (role != "pm" or which == "own" or action in ("comment",))
        before = AuditEvent.objects.count()
        if allowed:
            calls[action]()
            assert AuditEvent.objects.count() > before, (role, action, which)
        else:
            snapshot = (
                list(Feature.objects.values()),
                list(Requirement.objects.values()),
                WorkflowStatus.objects.count(),
            )
            with pytest.raises(PermissionDenied):
                calls[action]()
            after = (list(Feature.objects.values()), list(Requirement.objects.values()), WorkflowStatus.objects.count())
            assert after == snapshot, (role, action, which)
            assert AuditEvent.objects.count() == before
