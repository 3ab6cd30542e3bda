"""Duplicate clusters across channels, and acting on a cluster (one idea, one feature)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from headway.backlog.tests import factories as backlog
from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.ideas import services as ideas
from headway.ideas.models import Idea
from headway.ideas.tests import factories as f
from headway.insights import similarity
from headway.insights.models import FeedbackNote, Highlight, NoteState, Source
from headway.insights.selectors import duplicates as selector
from headway.insights.selectors.duplicates import duplicate_clusters, suggest_title
from headway.insights.services.duplicates import cluster_link_feature, cluster_to_idea
from headway.insights.tests.factories import note


@pytest.fixture(autouse=True)
def _empty_cache():
    similarity.clear_cache()
    selector.clear_cache()
    yield
    similarity.clear_cache()
    selector.clear_cache()


@pytest.fixture
def portal(admin, workspace):
    return f.portal(admin, workspace, slug="music")


def _unmirrored(idea):
    FeedbackNote.objects.filter(idea=idea).delete()
    return idea


def _mirror(idea):
    existing = FeedbackNote.objects.filter(idea=idea).first()
    if existing is not None:
        return existing
    text = f"{idea.title}\n{idea.description}".strip()
    return note(idea.workspace, text, source=Source.PORTAL, channel="Portal", idea=idea)


def _at(minutes):
    return timezone.now() - timezone.timedelta(minutes=minutes)


@pytest.fixture
def inbox(workspace, admin, portal):
    n = {}
    n["ads_email"] = note(
        workspace, "Too many ads between the songs.", channel="Email", source=Source.EMAIL, received_at=_at(50)
    )
    n["ads_store"] = note(
        workspace, "Way too many ads between the songs", channel="App Store", source=Source.IMPORT, received_at=_at(40)
    )
    n["ads_store2"] = note(
        workspace, "Too many ads between songs!!", channel="App Store", source=Source.IMPORT, received_at=_at(30)
    )
    # Same words but one channel only: not a cross-channel duplicate on its own.
    n["crash_a"] = note(
        workspace,
        "The app crashes when I open my playlist",
        channel="App Store",
        source=Source.IMPORT,
        received_at=_at(20),
    )
    n["crash_b"] = note(
        workspace, "App crashes when I open a playlist", channel="App Store", source=Source.IMPORT, received_at=_at(10)
    )
    # A portal idea (not mirrored yet) and a sales-call note saying the same.
    n["lyrics_idea"] = _unmirrored(
        ideas.idea_create(actor=admin, portal=portal, title="Show song lyrics while playing")
    )
    n["lyrics_call"] = note(
        workspace, "Customer asked to show song lyrics while playing", channel="Sales call", received_at=_at(5)
    )
    # Unrelated notes from other channels.
    n["podcast"] = note(
        workspace,
        "Podcast episodes download very slowly over wifi",
        channel="Zendesk",
        source=Source.API,
        received_at=_at(3),
    )
    n["family"] = note(
        workspace,
        "Family plan billing charged me twice this month",
        channel="Email",
        source=Source.EMAIL,
        received_at=_at(2),
    )
    n["short"] = note(workspace, "Great app", channel="Email", source=Source.EMAIL, received_at=_at(1))
    n["short2"] = note(workspace, "Great app", channel="App Store", source=Source.IMPORT, received_at=_at(1))
    return n  # fmt: skip


def _sets(result):
    return [{(m.kind, m.id) for m in c.members} for c in result.clusters]


def test_clusters_group_near_duplicates_across_channels_only(workspace, viewer, inbox):
    result = duplicate_clusters(user=viewer, workspace=workspace)
    assert _sets(result) == [
        {("note", inbox["lyrics_call"].pk), ("idea", inbox["lyrics_idea"].pk)},
        {("note", inbox["ads_store2"].pk), ("note", inbox["ads_store"].pk), ("note", inbox["ads_email"].pk)},
    ]
    lyrics, ads = result.clusters
    assert [m.id for m in ads.members] == [inbox["ads_store2"].pk, inbox["ads_store"].pk, inbox["ads_email"].pk]
    assert ads.channels == ["App Store", "Email"]
    assert ads.note_ids == [inbox["ads_store2"].pk, inbox["ads_store"].pk, inbox["ads_email"].pk]
    assert lyrics.idea_ids == [inbox["lyrics_idea"].pk]
    assert lyrics.title == "Show song lyrics while playing"  # the idea's own title
    assert ads.title.startswith(("Too many ads", "Way too many ads"))
    assert result.scanned == 11 and result.capped is False and result.limit == 5000


def test_mirror_note_counts_as_the_portal_channel(workspace, viewer, admin, portal, inbox):
    _mirror(inbox["lyrics_idea"])
    result = duplicate_clusters(user=viewer, workspace=workspace, fresh=True)
    mirror = FeedbackNote.objects.get(idea=inbox["lyrics_idea"])
    assert {("note", mirror.pk), ("note", inbox["lyrics_call"].pk)} in _sets(result)
    assert all(("idea", inbox["lyrics_idea"].pk) not in s for s in _sets(result))  # never twice


def test_only_the_inbox_is_clustered(workspace, viewer, inbox):
    FeedbackNote.objects.filter(pk=inbox["ads_email"].pk).update(state=NoteState.PROCESSED)
    FeedbackNote.objects.filter(pk=inbox["lyrics_call"].pk).update(state=NoteState.ARCHIVED)
    result = duplicate_clusters(user=viewer, workspace=workspace)
    assert _sets(result) == []


def test_clusters_scan_cap(workspace, viewer, inbox, monkeypatch):
    monkeypatch.setattr(selector, "SCAN_LIMIT", 4)
    result = duplicate_clusters(user=viewer, workspace=workspace)
    assert result.capped is True and result.scanned == 4
    assert _sets(result) == []  # the four newest are podcast, family, short, short2


def test_clusters_cached_until_the_inbox_changes(workspace, viewer, inbox, django_assert_num_queries):
    first = duplicate_clusters(user=viewer, workspace=workspace)
    with django_assert_num_queries(2):  # the two signature aggregates (the role is known already)
        assert duplicate_clusters(user=viewer, workspace=workspace) is first
    FeedbackNote.objects.filter(pk=inbox["ads_email"].pk).update(state=NoteState.PROCESSED, updated_at=timezone.now())
    # The e-mail was the ads cluster's only other channel: the two App Store reviews are not proposed.
    assert _sets(duplicate_clusters(user=viewer, workspace=workspace)) == [
        {("note", inbox["lyrics_call"].pk), ("idea", inbox["lyrics_idea"].pk)}
    ]


def test_clusters_outsider_404(outsider, workspace, inbox):
    with pytest.raises(NotFound):
        duplicate_clusters(user=outsider, workspace=workspace)


def test_suggest_title():
    assert suggest_title(["Too many ads. Really.", "ads ads"], ["", ""], {0: 2.0, 1: 1.0}) == "Too many ads"
    assert suggest_title(["x", "y"], ["", "Own title"], {}) == "Own title"
    assert suggest_title(["way too many ads!!", "ads"], ["", ""], {0: 1.0}) == "Way too many ads"


# --- services -------------------------------------------------------------------------------------


def _state(*notes):
    return [FeedbackNote.objects.get(pk=n.pk).state for n in notes]


def test_cluster_to_new_idea(workspace, pm, admin, portal, inbox):
    company = inbox["ads_email"].company
    notes = [inbox["ads_email"], inbox["ads_store"], inbox["ads_store2"]]
    idea = cluster_to_idea(
        actor=pm, workspace=workspace, note_ids=[n.pk for n in notes], portal=portal, title="Fewer ads between songs"
    )
    assert company is None
    assert idea.title == "Fewer ads between songs" and idea.portal_id == portal.pk
    rows = list(Highlight.objects.filter(idea=idea).order_by("note_id").values_list("note_id", "start", "end", "quote"))
    assert rows == sorted((n.pk, 0, len(n.text), n.text) for n in notes)
    assert set(Highlight.objects.filter(idea=idea).values_list("importance", flat=True)) == {"important"}
    assert _state(*notes) == ["processed"] * 3
    assert FeedbackNote.objects.get(pk=inbox["ads_email"].pk).processed_by_id == pm.pk
    event = AuditEvent.objects.get(action="insight.cluster_to_idea")
    assert event.changes["notes"] == [None, [n.pk for n in notes]]
    assert event.changes["highlights"] == [None, 3]


def test_cluster_to_existing_idea_links_without_merging(workspace, pm, admin, portal, inbox):
    mirror = _mirror(inbox["lyrics_idea"])
    target = _unmirrored(ideas.idea_create(actor=admin, portal=portal, title="Lyrics"))
    idea = cluster_to_idea(actor=pm, workspace=workspace, note_ids=[inbox["lyrics_call"].pk, mirror.pk], idea=target)
    assert idea.pk == target.pk
    assert set(Highlight.objects.filter(idea=target).values_list("note_id", flat=True)) == {
        inbox["lyrics_call"].pk,
        mirror.pk,
    }
    assert Idea.objects.get(pk=inbox["lyrics_idea"].pk).merged_into_id is None
    assert _state(inbox["lyrics_call"], mirror) == ["processed", "processed"]


def test_cluster_to_idea_merges_portal_ideas_when_asked(workspace, pm, admin, portal, inbox):
    mirror = _mirror(inbox["lyrics_idea"])
    other = _unmirrored(ideas.idea_create(actor=admin, portal=portal, title="Lyrics on screen"))
    target = cluster_to_idea(
        actor=pm,
        workspace=workspace,
        note_ids=[inbox["lyrics_call"].pk, mirror.pk],
        idea_ids=[other.pk],
        portal=portal,
        title="Song lyrics",
        merge_ideas=True,
    )
    assert Idea.objects.get(pk=inbox["lyrics_idea"].pk).merged_into_id == target.pk
    assert Idea.objects.get(pk=other.pk).merged_into_id == target.pk
    assert Highlight.objects.filter(idea=target).count() == 2


def test_cluster_to_target_idea_skips_its_own_mirror(workspace, pm, inbox):
    mirror = _mirror(inbox["lyrics_idea"])
    cluster_to_idea(
        actor=pm, workspace=workspace, note_ids=[inbox["lyrics_call"].pk, mirror.pk], idea=inbox["lyrics_idea"]
    )
    assert list(Highlight.objects.filter(idea=inbox["lyrics_idea"]).values_list("note_id", flat=True)) == [
        inbox["lyrics_call"].pk
    ]
    assert _state(mirror) == ["processed"]


def test_cluster_to_idea_atomic_on_error(workspace, pm, portal, other_workspace, inbox):
    foreign = note(other_workspace, "Too many ads between songs")
    ideas_before = Idea.objects.count()
    with pytest.raises(NotFound):
        cluster_to_idea(
            actor=pm, workspace=workspace, note_ids=[inbox["ads_email"].pk, foreign.pk], portal=portal, title="Ads"
        )
    with pytest.raises(ValidationFailed):
        cluster_to_idea(actor=pm, workspace=workspace, note_ids=[inbox["ads_email"].pk], portal=portal, title=" ")
    with pytest.raises(ValidationFailed):
        cluster_to_idea(actor=pm, workspace=workspace, note_ids=[inbox["ads_email"].pk])
    # A failure after the idea was created (a whitespace-only note cannot be highlighted... nor merged
    # ideas that are gone) rolls the new idea back too.
    gone = inbox["lyrics_idea"]
    Idea.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    with pytest.raises(NotFound):
        cluster_to_idea(
            actor=pm, workspace=workspace, note_ids=[inbox["ads_email"].pk], idea_ids=[gone.pk], portal=portal,
            title="Ads", merge_ideas=True,
        )  # fmt: skip
    assert Idea.objects.count() == ideas_before
    assert Highlight.objects.count() == 0
    assert _state(inbox["ads_email"]) == ["new"]
    assert not AuditEvent.objects.filter(action="insight.cluster_to_idea").exists()


def test_cluster_link_feature(workspace, pm, leader, inbox):
    product = backlog.product(leader, workspace, key="MUS")
    feature = backlog.feature(leader, product, "Fewer ads")
    notes = [inbox["ads_store2"], inbox["ads_email"]]
    made = cluster_link_feature(
        actor=pm, workspace=workspace, note_ids=[n.pk for n in notes], feature=feature, importance="critical"
    )
    assert [(h.note_id, h.feature_id, h.importance, h.start, h.end) for h in made] == [
        (n.pk, feature.pk, "critical", 0, len(n.text)) for n in notes
    ]
    assert all(h.demand > Decimal("0") for h in made)
    assert _state(*notes) == ["processed", "processed"]
    assert AuditEvent.objects.filter(action="insight.cluster_link_feature", target_id=feature.pk).count() == 1
    # Again: nothing doubled.
    assert cluster_link_feature(actor=pm, workspace=workspace, note_ids=[n.pk for n in notes], feature=feature) == []
    assert Highlight.objects.filter(feature=feature).count() == 2


def test_cluster_link_feature_atomic_and_checked(workspace, other_workspace, pm, leader, admin, inbox):
    product = backlog.product(leader, workspace, key="MUS")
    feature = backlog.feature(leader, product, "Fewer ads")
    with pytest.raises(NotFound):
        cluster_link_feature(actor=pm, workspace=workspace, note_ids=[inbox["ads_email"].pk, 10**9], feature=feature)
    with pytest.raises(NotFound):
        cluster_link_feature(actor=pm, workspace=workspace, note_ids=[inbox["ads_email"].pk], feature=10**9)
    with pytest.raises(ValidationFailed):
        cluster_link_feature(actor=pm, workspace=workspace, note_ids=[], feature=feature)
    with pytest.raises(ValidationFailed):
        cluster_link_feature(
            actor=pm, workspace=workspace, note_ids=[inbox["ads_email"].pk], feature=feature, importance="huge"
        )
    assert Highlight.objects.count() == 0
    assert _state(inbox["ads_email"]) == ["new"]


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_cluster_actions_denied_below_pm(request, role, workspace, portal, leader, inbox):
    user = request.getfixturevalue(role)
    product = backlog.product(leader, workspace, key="MUS")
    feature = backlog.feature(leader, product, "Fewer ads")
    ideas_before = Idea.objects.count()
    with pytest.raises(PermissionDenied):
        cluster_to_idea(actor=user, workspace=workspace, note_ids=[inbox["ads_email"].pk], portal=portal, title="Ads")
    with pytest.raises(PermissionDenied):
        cluster_link_feature(actor=user, workspace=workspace, note_ids=[inbox["ads_email"].pk], feature=feature)
    assert Idea.objects.count() == ideas_before
    assert Highlight.objects.count() == 0
    assert _state(inbox["ads_email"]) == ["new"]


def test_cluster_actions_outsider_404(outsider, workspace, portal, inbox):
    with pytest.raises(NotFound):
        cluster_to_idea(actor=outsider, workspace=workspace, note_ids=[inbox["ads_email"].pk], portal=portal, title="A")


def test_candidate_pairs_match_brute_force():
    """The chunked word product + character rows for candidates only = scoring every pair."""
    from headway.ideas.similarity import TextIndex
    from headway.insights.selectors.duplicates import candidate_pairs

    texts = [
        "Too many ads between the songs",
        "Way too many ads between songs",
        "Ads between songs are too many",
        "Offline downloads for podcasts please",
        "Please add offline podcast downloads",
        "The app crashes when I open a playlist",
        "App crashes when opening my playlist",
        "Family plan billing charged me twice",
        "Great music selection and podcasts",
        "Lyrics on screen while a song plays",
    ]
    channels = ["a", "b", "a", "b", "c", "a", "b", "c", "a", "b"]
    index = TextIndex(range(len(texts)), texts)
    for threshold in (0.55, 0.65, 0.8):
        expected = []
        for i in range(len(texts)):
            scores = index.score_texts(texts[i], texts)
            expected += [
                (i, j) for j in range(i + 1, len(texts)) if channels[i] != channels[j] and scores[j] >= threshold - 1e-6
            ]
        found = candidate_pairs(index, texts, channels, threshold)
        assert sorted((i, j) for i, j, _ in found) == expected
        assert all(threshold - 1e-6 <= s <= 1.0 + 1e-6 for _, _, s in found)
    assert {(i, j) for i, j, _ in candidate_pairs(index, texts, channels, 0.55)} >= {(0, 1), (5, 6)}
