"""Similar feedback across channels: notes and portal ideas, the per-workspace cache, display."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from headway.core.errors import NotFound
from headway.ideas import services as ideas
from headway.ideas.tests import factories as f
from headway.insights import similarity
from headway.insights.models import FeedbackNote, NoteState, Source
from headway.insights.similarity import Match, similar_feedback, similar_to_note
from headway.insights.tests.factories import note

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _empty_cache():
    similarity.clear_cache()
    yield
    similarity.clear_cache()


@pytest.fixture
def portal(admin, workspace):
    return f.portal(admin, workspace, slug="music")


def _unmirrored(idea):
    """The idea as before a portal sync: no mirror note (ingest may add one when an idea is made)."""
    FeedbackNote.objects.filter(idea=idea).delete()
    return idea


def _mirror(idea, **fields):
    """The idea's mirror note, as the portal sync makes it (kept if ingest already made one)."""
    existing = FeedbackNote.objects.filter(idea=idea).first()
    if existing is not None:
        return existing
    text = f"{idea.title}\n{idea.description}".strip()
    return note(idea.workspace, text, source=Source.PORTAL, channel="Portal", idea=idea, **fields)


@pytest.fixture
def fixture(workspace, admin, portal):
    ads_email = note(workspace, "Too many ads between songs, I want fewer ads", source=Source.EMAIL, channel="Email")
    ads_review = note(workspace, "Way too many ads between songs", source=Source.IMPORT, channel="App Store")
    offline = note(workspace, "Please let me download podcasts for offline listening", channel="Sales call")
    lyrics = note(workspace, "Show the lyrics while a song plays", source=Source.API, channel="Zendesk")
    mirrored = ideas.idea_create(actor=admin, portal=portal, title="Fewer ads between songs")
    mirror = _mirror(mirrored)
    pending = _unmirrored(ideas.idea_create(actor=admin, portal=portal, title="Offline downloads for podcasts"))
    return {
        "ads_email": ads_email,
        "ads_review": ads_review,
        "offline": offline,
        "lyrics": lyrics,
        "mirrored": mirrored,
        "mirror": mirror,
        "pending": pending,
    }


def _kinds(matches):
    return [(m.kind, m.id) for m in matches]


def test_notes_and_ideas_across_channels_in_order(workspace, fixture):
    found = similar_feedback(workspace=workspace, text="too many ads between songs")
    assert _kinds(found) == [
        ("note", fixture["ads_review"].pk),
        ("idea", fixture["mirrored"].pk),
        ("note", fixture["ads_email"].pk),
    ]
    assert all(isinstance(m, Match) and 0 < m.score <= 1 for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)

    offline = similar_feedback(workspace=workspace, text="download podcasts offline")
    assert _kinds(offline) == [("note", fixture["offline"].pk), ("idea", fixture["pending"].pk)]


def test_mirrored_idea_reported_once_as_the_idea(workspace, fixture):
    found = similar_feedback(workspace=workspace, text="fewer ads between songs", limit=10)
    ids = _kinds(found)
    assert ("idea", fixture["mirrored"].pk) in ids
    assert ("note", fixture["mirror"].pk) not in ids
    assert len(ids) == len(set(ids))
    # The idea mirrored later (the portal sync ran): still one entry, still the idea.
    _mirror(fixture["pending"])
    found = similar_feedback(workspace=workspace, text="offline downloads for podcasts")
    assert _kinds(found).count(("idea", fixture["pending"].pk)) == 1
    assert [m for m in found if m.kind == "note" and m.id != fixture["offline"].pk] == []


def test_limit_and_excludes(workspace, fixture):
    found = similar_feedback(workspace=workspace, text="too many ads between songs", limit=1)
    assert _kinds(found) == [("note", fixture["ads_review"].pk)]
    found = similar_feedback(
        workspace=workspace,
        text="too many ads between songs",
        exclude_note_ids=[fixture["ads_review"].pk],
        exclude_idea_ids=[fixture["mirrored"].pk],
    )
    assert _kinds(found) == [("note", fixture["ads_email"].pk)]
    assert similar_feedback(workspace=workspace, text="zz") == []
    assert similar_feedback(workspace=workspace, text="quantum chromodynamics lattice") == []


def test_new_note_found_right_after_creation(workspace, fixture):
    similar_feedback(workspace=workspace, text="lyrics")  # builds the index
    fresh = note(workspace, "Karaoke mode with lyrics on screen", channel="Twitter")
    found = similar_feedback(workspace=workspace, text="lyrics on screen")
    assert ("note", fresh.pk) in _kinds(found)
    assert _kinds(found)[0] == ("note", fresh.pk)


def test_new_idea_found_right_after_creation(workspace, admin, portal, fixture):
    similar_feedback(workspace=workspace, text="lyrics")
    idea = _unmirrored(ideas.idea_create(actor=admin, portal=portal, title="Sleep timer for audiobooks"))
    assert _kinds(similar_feedback(workspace=workspace, text="sleep timer")) == [("idea", idea.pk)]


def test_archived_notes_never_suggested(workspace, fixture):
    similar_feedback(workspace=workspace, text="ads")  # cached before the note is archived
    FeedbackNote.objects.filter(pk=fixture["ads_review"].pk).update(state=NoteState.ARCHIVED)
    found = similar_feedback(workspace=workspace, text="too many ads between songs")
    assert _kinds(found) == [("idea", fixture["mirrored"].pk), ("note", fixture["ads_email"].pk)]
    # Processed and snoozed notes still count: they were said.
    FeedbackNote.objects.filter(pk=fixture["ads_email"].pk).update(
        state=NoteState.SNOOZED, snoozed_until=timezone.now()
    )
    assert ("note", fixture["ads_email"].pk) in _kinds(similar_feedback(workspace=workspace, text="ads between songs"))


def test_deleted_and_merged_ideas_never_suggested(workspace, admin, portal, fixture):
    similar_feedback(workspace=workspace, text="ads")
    ideas.idea_delete(actor=admin, idea=fixture["pending"])
    offline = similar_feedback(workspace=workspace, text="download podcasts offline")
    assert _kinds(offline) == [("note", fixture["offline"].pk)]

    target = _unmirrored(ideas.idea_create(actor=admin, portal=portal, title="Ad free listening tier"))
    ideas.idea_merge(actor=admin, source=fixture["mirrored"], target=target)
    found = similar_feedback(workspace=workspace, text="fewer ads between songs")
    assert ("idea", fixture["mirrored"].pk) not in _kinds(found)


def test_other_workspace_never_seen(workspace, other_workspace, fixture):
    note(other_workspace, "Too many ads between songs")
    assert similar_feedback(workspace=other_workspace, text="lyrics while a song plays") == []
    found = similar_feedback(workspace=workspace, text="too many ads between songs")
    assert {m.id for m in found if m.kind == "note"} == {fixture["ads_review"].pk, fixture["ads_email"].pk}


def test_similar_to_note_loads_for_display(workspace, viewer, fixture, django_assert_max_num_queries):
    similar_feedback(workspace=workspace, text="warm")
    with django_assert_max_num_queries(8):
        items = similar_to_note(user=viewer, note=fixture["ads_email"])
    assert [(i.kind, i.id) for i in items] == [("idea", fixture["mirrored"].pk), ("note", fixture["ads_review"].pk)]
    assert items[0].channel == "Portal: Portal music"
    assert items[0].title == "Fewer ads between songs"
    assert items[1].channel == "App Store"
    assert 0 < items[1].percent <= items[0].percent <= 100
    # A mirror note's similar list never shows its own idea.
    mirror_items = similar_to_note(user=viewer, note=fixture["mirror"])
    assert ("idea", fixture["mirrored"].pk) not in [(i.kind, i.id) for i in mirror_items]


def test_similar_to_note_outsider_404(outsider, fixture):
    with pytest.raises(NotFound):
        similar_to_note(user=outsider, note=fixture["ads_email"])
