"""Highlights: a passage of a note linked to one feature or idea, checked, weighed and audited."""

from decimal import Decimal

import pytest

from headway.backlog.tests import factories as backlog
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.models import Tier
from headway.customers.tests.factories import CompanyFactory
from headway.ideas.services.ideas import idea_delete
from headway.ideas.tests import factories as f
from headway.insights.models import Highlight
from headway.insights.services.highlights import highlight_create, highlight_delete, highlight_update_importance
from headway.insights.tests import factories as nf

pytestmark = pytest.mark.django_db

TEXT = "We love the app. Exporting to CSV takes ages and times out on big reports."


@pytest.fixture
def feature(leader, workspace, pm):
    product = backlog.product(leader, workspace, key="PAY", owner=pm)
    return backlog.feature(leader, product, "Faster CSV export")


@pytest.fixture
def idea(leader, workspace):
    portal = f.portal(leader, workspace, slug="ideas")
    return f.idea(leader, portal, "Scheduled exports")


@pytest.fixture
def strategic(workspace):
    return CompanyFactory(workspace=workspace, name="Initech", tier=Tier.STRATEGIC, arr=Decimal("500000"))


def test_a_passage_becomes_evidence_for_a_feature(pm, workspace, feature, strategic):
    note = nf.note(workspace, TEXT, company=strategic)
    start = TEXT.index("Exporting")
    end = TEXT.index(" and times")
    made = highlight_create(actor=pm, note=note, start=start, end=end, importance="critical", feature=feature)
    stored = Highlight.objects.get(pk=made.pk)
    assert stored.quote == "Exporting to CSV takes ages"
    assert (stored.start, stored.end, stored.feature_id, stored.idea_id) == (start, end, feature.pk, None)
    assert stored.importance == "critical"
    assert stored.demand == Decimal("12.00")  # critical 4 × strategic 3 (default demand settings)
    assert stored.author_id == pm.pk and stored.workspace_id == workspace.pk
    event = AuditEvent.objects.get(action="highlight.create")
    assert event.target_id == made.pk
    assert event.changes["importance"] == [None, "critical"]


def test_a_passage_becomes_evidence_for_an_idea_by_id(pm, workspace, idea):
    note = nf.note(workspace, TEXT)
    made = highlight_create(actor=pm, note=note, start=0, end=16, importance="nice_to_have", idea=idea.pk)
    assert (made.idea_id, made.feature_id, made.quote) == (idea.pk, None, "We love the app.")
    assert made.demand == Decimal("1.00")  # nice to have 1 × no company 1


def test_offsets_count_characters_not_bytes(pm, workspace, feature):
    text = "Ça marche 😀 très bien, merci"
    note = nf.note(workspace, text)
    start = text.index("très")
    made = highlight_create(actor=pm, note=note, start=start, end=start + 9, importance="important", feature=feature)
    assert made.quote == "très bien"


def test_exactly_one_target(pm, workspace, feature, idea):
    note = nf.note(workspace, TEXT)
    for targets in ({}, {"feature": feature, "idea": idea}):
        with pytest.raises(ValidationFailed) as exc:
            highlight_create(actor=pm, note=note, start=0, end=4, importance="important", **targets)
        assert set(exc.value.fields) == {"feature", "idea"}
    assert Highlight.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (-1, 4, "start"),
        (len(TEXT), len(TEXT) + 1, "start"),
        (True, 4, "start"),
        ("0", 4, "start"),
        (4, 4, "end"),
        (5, 4, "end"),
        (0, len(TEXT) + 1, "end"),
        (16, 17, "end"),  # only a space
    ],
)
def test_offsets_are_checked(pm, workspace, feature, start, end, field):
    note = nf.note(workspace, TEXT)
    with pytest.raises(ValidationFailed) as exc:
        highlight_create(actor=pm, note=note, start=start, end=end, importance="important", feature=feature)
    assert list(exc.value.fields) == [field]
    assert Highlight.objects.count() == 0


def test_the_whole_text_may_be_highlighted(pm, workspace, feature):
    note = nf.note(workspace, TEXT)
    made = highlight_create(actor=pm, note=note, start=0, end=len(TEXT), importance="important", feature=feature)
    assert made.quote == TEXT


def test_unknown_importance_is_refused(pm, workspace, feature):
    note = nf.note(workspace, TEXT)
    with pytest.raises(ValidationFailed) as exc:
        highlight_create(actor=pm, note=note, start=0, end=4, importance="urgent", feature=feature)
    assert list(exc.value.fields) == ["importance"]


def test_targets_of_another_workspace_are_not_found(pm, workspace, other_workspace, member):
    other_leader = member("leader", ws=other_workspace)
    product = backlog.product(other_leader, other_workspace, key="GLX")
    foreign_feature = backlog.feature(other_leader, product, "Theirs")
    foreign_idea = f.idea(other_leader, f.portal(other_leader, other_workspace, slug="glx"), "Their idea")
    note = nf.note(workspace, TEXT)
    with pytest.raises(NotFound) as exc:
        highlight_create(actor=pm, note=note, start=0, end=4, importance="important", feature=foreign_feature)
    assert list(exc.value.fields) == ["feature"]
    with pytest.raises(NotFound) as exc:
        highlight_create(actor=pm, note=note, start=0, end=4, importance="important", idea=foreign_idea.pk)
    assert list(exc.value.fields) == ["idea"]
    with pytest.raises(NotFound):
        highlight_create(actor=pm, note=note, start=0, end=4, importance="important", feature=999_999)
    assert Highlight.objects.count() == 0


def test_a_deleted_idea_is_not_found(pm, leader, workspace, idea):
    idea_delete(actor=leader, idea=idea)
    note = nf.note(workspace, TEXT)
    with pytest.raises(NotFound):
        highlight_create(actor=pm, note=note, start=0, end=4, importance="important", idea=idea)


def test_the_same_passage_twice_for_one_target_is_a_conflict(pm, leader, workspace, feature):
    note = nf.note(workspace, TEXT)
    highlight_create(actor=pm, note=note, start=0, end=4, importance="important", feature=feature)
    with pytest.raises(Conflict):
        highlight_create(actor=pm, note=note, start=0, end=4, importance="critical", feature=feature)
    other = backlog.feature(leader, feature.product, "Another")
    highlight_create(actor=pm, note=note, start=0, end=4, importance="important", feature=other)
    highlight_create(actor=pm, note=note, start=0, end=5, importance="important", feature=feature)
    assert Highlight.objects.count() == 3


def test_delete_and_change_importance(pm, workspace, feature, strategic):
    note = nf.note(workspace, TEXT, company=strategic)
    made = highlight_create(actor=pm, note=note, start=0, end=4, importance="nice_to_have", feature=feature)
    assert made.demand == Decimal("3.00")
    highlight_update_importance(actor=pm, highlight=made, importance="critical")
    assert Highlight.objects.get(pk=made.pk).demand == Decimal("12.00")
    assert made.importance == "critical"
    highlight_delete(actor=pm, highlight=made)
    assert Highlight.objects.count() == 0
    assert list(
        AuditEvent.objects.filter(target_type="insights.highlight").order_by("id").values_list("action", flat=True)
    ) == [
        "highlight.create",
        "highlight.update",
        "highlight.delete",
    ]


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
def test_permission_matrix(member, pm, workspace, feature, role):
    actor = member(role)
    note = nf.note(workspace, TEXT)
    existing = highlight_create(actor=pm, note=note, start=0, end=4, importance="important", feature=feature)
    allowed = role in {"admin", "leader", "pm"}
    events = AuditEvent.objects.count()

    def create():
        return highlight_create(actor=actor, note=note, start=5, end=9, importance="important", feature=feature)

    if allowed:
        create()
        highlight_update_importance(actor=actor, highlight=existing, importance="critical")
        highlight_delete(actor=actor, highlight=existing)
        assert list(Highlight.objects.values_list("start", flat=True)) == [5]
        return
    for run in (
        create,
        lambda: highlight_update_importance(actor=actor, highlight=existing, importance="critical"),
        lambda: highlight_delete(actor=actor, highlight=existing),
    ):
        with pytest.raises(PermissionDenied):
            run()
    assert list(Highlight.objects.values_list("pk", "importance")) == [(existing.pk, "important")]
    assert AuditEvent.objects.count() == events


def test_outsiders_cannot_highlight(outsider, workspace, feature):
    note = nf.note(workspace, TEXT)
    with pytest.raises(NotFound):
        highlight_create(actor=outsider, note=note, start=0, end=4, importance="important", feature=feature)
    assert Highlight.objects.count() == 0
