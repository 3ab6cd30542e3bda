"""Strategy reads: the cascade in a constant number of queries, filters, PM goals, choices."""

import datetime as dt

import pytest

from headway.core.errors import NotFound, ValidationFailed
from headway.strategy import selectors, services
from headway.strategy.periods import Period
from headway.strategy.tests.conftest import Q2, YEAR

pytestmark = pytest.mark.django_db

Q3 = {"starts_on": dt.date(2026, 7, 1), "ends_on": dt.date(2026, 9, 30)}


def titles(nodes):
    return [(o.title, o.depth, [c.title for c in o.tree_children]) for o in nodes]


def _grow(workspace, leader, pm, n=3):
    """A top objective with ``n`` product objectives, each with two key results at 50 % and 100 %."""
    top = services.objective_create(actor=leader, workspace=workspace, title="Top", **YEAR)
    for i in range(n):
        child = services.objective_create(
            actor=leader, workspace=workspace, title=f"Child {i}", parent=top, owner=pm, **Q2
        )
        services.key_result_create(actor=leader, objective=child, title="a", target_value=10, current_value=5)
        services.key_result_create(actor=leader, objective=child, title="b", target_value=10, current_value=10)
    return top


@pytest.mark.parametrize("size", [1, 12])
def test_the_tree_takes_the_same_queries_whatever_its_size(
    workspace, leader, pm, viewer, size, django_assert_num_queries
):
    top = _grow(workspace, leader, pm, n=size)
    # role of the viewer, objectives (with owner, product, product line), key results
    with django_assert_num_queries(3):
        cascade = selectors.objective_tree(actor=viewer, workspace=workspace)
        assert [o.title for o in cascade.roots] == ["Top"]
        assert len(cascade.roots[0].tree_children) == size
        assert cascade.roots[0].progress == 0.75
        assert [c.owner.display_name for c in cascade.roots[0].tree_children] == ["Pat PM"] * size
        assert cascade.progress[top.pk] == 0.75


def test_period_and_owner_filters_hang_objectives_under_their_nearest_shown_ancestor(workspace, leader, pm):
    year = services.objective_create(actor=leader, workspace=workspace, title="Year", **YEAR)
    q2 = services.objective_create(actor=leader, workspace=workspace, title="Q2", parent=year, **Q2)
    services.objective_create(actor=leader, workspace=workspace, title="Q2 team", parent=q2, owner=pm, **Q2)
    services.objective_create(actor=leader, workspace=workspace, title="Q3", parent=year, **Q3)
    everything = selectors.objective_tree(actor=leader, workspace=workspace)
    assert titles(everything.roots) == [("Year", 0, ["Q2", "Q3"])]
    assert [p.label for p in everything.periods] == ["2026", "Q2 2026", "Q3 2026"]

    q3 = selectors.objective_tree(actor=leader, workspace=workspace, period=Period("quarter", **Q3))
    assert titles(q3.roots) == [("Year", 0, ["Q3"])]
    assert (q3.shown, q3.total) == (2, 4)

    mine = selectors.objective_tree(actor=leader, workspace=workspace, owner=pm)
    assert titles(mine.roots) == [("Q2 team", 0, [])]  # its ancestors are not shown: it is a root here


def test_progress_ignores_archived_objectives(workspace, leader, pm):
    top = _grow(workspace, leader, pm, n=2)
    extra = services.objective_create(actor=leader, workspace=workspace, title="Extra", parent=top, **Q2)
    services.key_result_create(actor=leader, objective=extra, title="zero", target_value=10)
    assert selectors.progress_map(actor=leader, workspace=workspace)[top.pk] == 0.5  # (0.75 + 0.75 + 0) / 3
    services.objective_archive(actor=leader, objective=extra)
    assert selectors.progress_map(actor=leader, workspace=workspace) == {
        top.pk: 0.75,
        **{o.pk: 0.75 for o in top.children.filter(archived_at__isnull=True)},
    }


def test_objective_detail_in_a_fixed_number_of_queries(workspace, leader, pm, viewer, django_assert_num_queries):
    top = _grow(workspace, leader, pm, n=2)
    child = top.children.first()
    services.check_in_create(actor=pm, objective=child, health="at_risk", date=dt.date(2026, 5, 1))
    services.initiative_create(actor=leader, workspace=workspace, title="Bet", objectives=[child])
    # role; objective; progress (objectives, key results); key results; children; check-ins; initiatives;
    # ancestors
    with django_assert_num_queries(9):
        detail = selectors.objective_detail(actor=viewer, workspace=workspace, objective_id=child.pk)
        assert (detail.progress, [a.title for a in detail.ancestors]) == (0.75, ["Top"])
        assert [kr.progress for kr in detail.key_results] == [0.5, 1.0]
        assert [(c.health, c.author.display_name) for c in detail.check_ins] == [("at_risk", "Pat PM")]
        assert [i.title for i in detail.initiatives] == ["Bet"]


def test_objective_history_covers_key_results_and_check_ins(workspace, leader, pm, pm_objective):
    services.check_in_create(
        actor=pm, objective=pm_objective, health="on_track", values={pm_objective.key_results.get(): 25}
    )
    actions = [e.action for e in selectors.objective_history(actor=leader, workspace=workspace, objective=pm_objective)]
    assert sorted(actions) == sorted(["objective.create", "key_result.create", "key_result.update", "check_in.create"])


def test_pm_goals_groups_every_pm_then_other_owners(workspace, leader, pm, member):
    member("pm", email="quiet@example.com", full_name="Abe Quiet")
    top = _grow(workspace, leader, pm, n=2)
    services.objective_update(actor=leader, objective=top, owner=leader)
    dropped = services.objective_create(
        actor=leader, workspace=workspace, title="Dropped", owner=pm, status="dropped", **Q2
    )
    services.key_result_create(actor=leader, objective=dropped, title="x", target_value=1)
    groups, periods = selectors.pm_goals(actor=leader, workspace=workspace)
    assert [(g.person.display_name, g.role, [o.title for o in g.objectives]) for g in groups] == [
        ("Abe Quiet", "pm", []),
        ("Pat PM", "pm", ["Child 0", "Child 1", "Dropped"]),
        ("Lee Leader", "leader", ["Top"]),
    ]
    assert groups[1].progress == 0.75  # the dropped objective is left out of the mean
    assert groups[0].progress is None
    assert [o.parent_title for o in groups[1].objectives] == ["Top", "Top", ""]
    assert [p.label for p in periods] == ["2026", "Q2 2026"]
    q3_groups, _ = selectors.pm_goals(actor=leader, workspace=workspace, period=Period("quarter", **Q3))
    assert [(g.person.display_name, len(g.objectives)) for g in q3_groups] == [
        ("Abe Quiet", 0),
        ("Pat PM", 0),
        ("Lee Leader", 1),  # the 2026 objective runs in Q3 too
    ]


def test_parent_choices_leave_out_the_objective_and_its_descendants(workspace, leader):
    a = services.objective_create(actor=leader, workspace=workspace, title="A", **YEAR)
    b = services.objective_create(actor=leader, workspace=workspace, title="B", parent=a, **YEAR)
    services.objective_create(actor=leader, workspace=workspace, title="C", parent=b, **Q2)
    services.objective_create(actor=leader, workspace=workspace, title="D", **YEAR)
    assert [(o.title, o.depth) for o in selectors.parent_choices(actor=leader, workspace=workspace)] == [
        ("A", 0),
        ("B", 1),
        ("C", 2),
        ("D", 0),
    ]
    assert [o.title for o in selectors.parent_choices(actor=leader, workspace=workspace, exclude=b)] == ["A", "D"]


def test_objective_list_filters_and_refuses_unknown_orderings(workspace, leader, pm, company, pm_objective):
    assert [o.title for o in selectors.objective_list(actor=leader, workspace=workspace, owner=pm)] == [
        "Effortless checkout"
    ]
    assert [o.title for o in selectors.objective_list(actor=leader, workspace=workspace, top_level=True)] == [
        "Win EU SMB payments"
    ]
    assert [
        o.title for o in selectors.objective_list(actor=leader, workspace=workspace, active_on=dt.date(2026, 8, 1))
    ] == ["Win EU SMB payments"]
    with pytest.raises(ValidationFailed) as exc:
        selectors.objective_list(actor=leader, workspace=workspace, ordering="owner")
    assert list(exc.value.fields) == ["ordering"]


def test_reads_are_scoped_to_the_workspace(workspace, other_workspace, leader, outsider, company):
    with pytest.raises(NotFound):
        selectors.objective_tree(actor=outsider, workspace=workspace)
    with pytest.raises(NotFound):
        selectors.objective_get(actor=outsider, workspace=other_workspace, objective_id=company.pk)
    assert selectors.objective_tree(actor=outsider, workspace=other_workspace).roots == []


def test_initiative_list_in_three_queries(workspace, leader, company, product, viewer, django_assert_num_queries):
    for i in range(5):
        services.initiative_create(
            actor=leader, workspace=workspace, title=f"Bet {i}", objectives=[company], products=[product]
        )
    with django_assert_num_queries(4):  # role, initiatives with owners, objectives, products
        items = list(selectors.initiative_list(actor=viewer, workspace=workspace))
        assert [[o.title for o in i.linked_objectives] for i in items] == [["Win EU SMB payments"]] * 5
        assert [[p.key for p in i.linked_products] for i in items] == [["CHK"]] * 5
