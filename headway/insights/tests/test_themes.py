"""Themes: recomputation over real reviews, assignment of new notes, and people's curation
(rename, pin, merge, split, archive) surviving recomputation."""

from __future__ import annotations

import csv
import datetime as dt
import os
from functools import cache
from pathlib import Path

import pytest
from django.utils import timezone

from headway.core.audit import AuditEvent
from headway.core.errors import Conflict, PermissionDenied, ValidationFailed
from headway.insights.models import FeedbackNote, NoteState, Source, Theme, ThemeSpace
from headway.insights.services import themes as svc
from headway.insights.tests.factories import note, theme

ROOT = Path(__file__).resolve().parents[3]


class Progress:
    """Records what a job runner reports."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total, self.done = total, 0

    def advance(self, n: int = 1) -> None:
        self.done += n


def shared_data() -> Path:
    named = os.environ.get("HEADWAY_SHARED_DATA", "")
    candidates = [Path(named)] if named else []
    for candidate in [*candidates, ROOT.parent / "shared" / "data", Path("/work/shared/data")]:
        if (candidate / "spotify-reviews.csv").is_file():
            return candidate
    pytest.skip("the shared review data (spotify-reviews.csv) is not available")


@cache
def _reviews() -> tuple[str, ...]:
    with (shared_data() / "spotify-reviews.csv").open(newline="", encoding="utf-8") as f:
        return tuple(row["content"] for row in csv.DictReader(f) if row["content"].strip())


def reviews(count: int) -> list[str]:
    return list(_reviews()[:count])


def load_reviews(workspace, count: int = 2000) -> list[FeedbackNote]:
    """The first ``count`` Spotify reviews as notes, one a day going back (bulk insert, no enrichment)."""
    now = timezone.now()
    notes = [
        FeedbackNote(
            workspace=workspace,
            source=Source.IMPORT,
            channel="Play Store",
            text=text,
            received_at=now - dt.timedelta(hours=i),
        )
        for i, text in enumerate(reviews(count))
    ]
    return FeedbackNote.objects.bulk_create(notes, batch_size=1000)


def recompute(workspace, actor=None):
    progress = Progress()
    result = svc.themes_recompute(workspace=workspace, progress=progress, actor=actor)
    assert progress.done == progress.total > 0
    return result


def ads_themes(workspace) -> list[Theme]:
    """Live themes labelled first by "ads", biggest first (the reviews make two: ads with premium, ads that annoy)."""
    return [
        t
        for t in Theme.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("-note_count", "id")
        if t.auto_label.startswith("ads · ")
    ]


def theme_with(workspace, term: str) -> Theme:
    """The biggest live theme whose label starts with ``term``."""
    return ads_themes(workspace)[0] if term == "ads" else Theme.objects.get(auto_label__startswith=f"{term} · ")


@pytest.fixture
def clustered(workspace, pm):
    load_reviews(workspace)
    recompute(workspace, actor=pm)
    return workspace


# --- recomputation ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_recompute_groups_real_reviews_into_labelled_themes_with_quotes(clustered, pm):
    themes = list(Theme.objects.filter(workspace=clustered, archived_at__isnull=True))
    assert len(themes) == 22  # clamp(round(sqrt(2000 / 4)), 4, 40)
    space = ThemeSpace.objects.get(workspace=clustered)
    assert (space.version, space.note_count) == (1, 2000)
    for t in themes:
        terms = t.auto_label.split(" · ")
        assert len(terms) == 3 and all(terms), t.auto_label
        assert t.name == t.auto_label[:120]
        assert len(t.quotes) == 3
        quoted = FeedbackNote.objects.in_bulk([q["note"] for q in t.quotes])
        assert {n.theme_id for n in quoted.values()} == {t.pk}  # quotes come from the theme's notes
        assert len({q["text"] for q in t.quotes}) == 3 and all(len(q["text"]) <= 300 for q in t.quotes)
        assert len(t.centroid) == 100
        assert t.note_count == FeedbackNote.objects.filter(theme=t).count() > 0
    assigned = FeedbackNote.objects.filter(workspace=clustered, theme__isnull=False)
    assert sum(t.note_count for t in themes) == assigned.count()
    assert FeedbackNote.objects.filter(workspace=clustered, theme__isnull=True, theme_score__isnull=False).count() == 0
    assert min(assigned.values_list("theme_score", flat=True)) >= svc.THRESHOLD
    ads = theme_with(clustered, "ads")
    assert ads.note_count >= 50
    assert AuditEvent.objects.filter(action="theme.recompute", actor=pm).count() == 1


@pytest.mark.django_db
def test_recompute_is_deterministic(workspace):
    load_reviews(workspace, 1000)
    recompute(workspace)
    first = sorted(
        (t.auto_label, t.note_count, tuple(q["note"] for q in t.quotes))
        for t in Theme.objects.filter(workspace=workspace)
    )
    assignment = dict(FeedbackNote.objects.filter(workspace=workspace).values_list("id", "theme__auto_label"))
    Theme.objects.filter(workspace=workspace).delete()
    ThemeSpace.objects.filter(workspace=workspace).delete()
    recompute(workspace)
    again = sorted(
        (t.auto_label, t.note_count, tuple(q["note"] for q in t.quotes))
        for t in Theme.objects.filter(workspace=workspace)
    )
    assert again == first
    assert dict(FeedbackNote.objects.filter(workspace=workspace).values_list("id", "theme__auto_label")) == assignment


@pytest.mark.django_db
def test_recompute_again_keeps_theme_rows_and_bumps_the_space(clustered):
    before = set(Theme.objects.filter(workspace=clustered).values_list("id", flat=True))
    recompute(clustered)
    after = set(Theme.objects.filter(workspace=clustered, archived_at__isnull=True).values_list("id", flat=True))
    assert after == before  # same notes, same clusters: every cluster finds its old row
    assert ThemeSpace.objects.get(workspace=clustered).version == 2


@pytest.mark.django_db
def test_archived_notes_are_left_out(workspace):
    notes = load_reviews(workspace, 300)
    FeedbackNote.objects.filter(pk__in=[n.pk for n in notes[:100]]).update(state=NoteState.ARCHIVED)
    recompute(workspace)
    assert ThemeSpace.objects.get(workspace=workspace).note_count == 200
    assert FeedbackNote.objects.filter(pk__in=[n.pk for n in notes[:100]], theme__isnull=False).count() == 0


@pytest.mark.django_db
def test_too_few_notes_make_no_themes(workspace):
    for text in ["Great app", "Too many ads", "Crashes on start"]:
        note(workspace, text)
    assert recompute(workspace) == []
    assert not ThemeSpace.objects.filter(workspace=workspace).exists()


@pytest.mark.django_db
def test_recompute_by_a_viewer_is_refused(workspace, viewer):
    load_reviews(workspace, 50)
    with pytest.raises(PermissionDenied):
        svc.themes_recompute(workspace=workspace, progress=Progress(), actor=viewer)
    assert not Theme.objects.filter(workspace=workspace).exists()


@pytest.mark.django_db
def test_renamed_theme_keeps_its_name_through_recompute(clustered, pm):
    ads = theme_with(clustered, "ads")
    svc.theme_rename(actor=pm, theme=ads, name="Advertising")
    recompute(clustered)
    ads.refresh_from_db()
    assert (ads.name, ads.renamed, ads.archived_at) == ("Advertising", True, None)
    assert "ads" in ads.auto_label.split(" · ")
    assert ads.note_count == FeedbackNote.objects.filter(theme=ads).count() >= 50


@pytest.mark.django_db
def test_pinned_theme_is_left_exactly_as_it_was(clustered, pm):
    ads = theme_with(clustered, "ads")
    svc.theme_pin(actor=pm, theme=ads)
    members = set(FeedbackNote.objects.filter(theme=ads).values_list("id", flat=True))
    snapshot = (ads.name, ads.auto_label, ads.quotes, ads.note_count)
    extra = [note(clustered, f"Way too many ads, {i} ads between every song") for i in range(20)]
    recompute(clustered)
    ads.refresh_from_db()
    assert (ads.name, ads.auto_label, ads.quotes, ads.note_count) == snapshot
    assert ads.pinned and ads.archived_at is None
    assert set(FeedbackNote.objects.filter(theme=ads).values_list("id", flat=True)) == members
    assert FeedbackNote.objects.filter(pk__in=[n.pk for n in extra], theme=ads).count() == 0
    assert len(ads.centroid) == 100


@pytest.mark.django_db
def test_old_themes_no_cluster_matches_are_archived_not_deleted(clustered):
    stray = theme(clustered, "Old stray theme")
    n = note(clustered, "Something entirely different", theme=stray)
    recompute(clustered)
    stray.refresh_from_db()
    assert stray.archived_at is not None
    n.refresh_from_db()
    assert n.theme_id != stray.pk


# --- assignment -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_note_about_ads_is_assigned_to_the_ads_theme(clustered):
    ads = theme_with(clustered, "ads")
    new = FeedbackNote(workspace=clustered, text="Too many ads, an ad after every single song")
    off = FeedbackNote(workspace=clustered, text="zzqx")
    svc.themes_assign(clustered.pk, [new, off])
    assert new.theme_id == ads.pk
    assert new.theme_score >= svc.THRESHOLD
    assert (off.theme_id, off.theme_score) == (None, None)


def test_a_note_typed_in_counts_on_its_theme_at_once(clustered, pm):
    from headway.insights.services.notes import note_create

    ads = theme_with(clustered, "ads")
    before = ads.note_count
    created = note_create(actor=pm, workspace=clustered, text="Too many ads, an ad after every single song")
    ads.refresh_from_db()
    assert created.theme_id == ads.pk
    assert ads.note_count == before + 1 == FeedbackNote.objects.filter(theme=ads).count()


@pytest.mark.django_db
def test_assign_without_a_space_leaves_notes_untouched(workspace):
    t = theme(workspace, "Manual")
    n = FeedbackNote(workspace=workspace, text="Too many ads", theme=t, theme_score=0.9)
    svc.themes_assign(workspace.pk, [n])
    assert (n.theme_id, n.theme_score) == (t.pk, 0.9)


@pytest.mark.django_db
def test_assign_skips_archived_themes(clustered, pm):
    ads = theme_with(clustered, "ads")
    svc.theme_archive(actor=pm, theme=ads)
    new = FeedbackNote(workspace=clustered, text="Too many ads, an ad after every single song")
    svc.themes_assign(clustered.pk, [new])
    assert new.theme_id != ads.pk


@pytest.mark.django_db
def test_assign_caches_the_space_and_checks_the_version_with_queries(clustered, django_assert_num_queries):
    svc._forget(clustered.pk)
    notes = [FeedbackNote(workspace=clustered, text="Too many ads") for _ in range(3)]
    with django_assert_num_queries(3):  # version, blob, centroids
        svc.themes_assign(clustered.pk, notes)
    with django_assert_num_queries(2):  # version, centroids
        svc.themes_assign(clustered.pk, notes)


@pytest.mark.django_db
def test_assign_ten_thousand_notes_in_one_call(clustered):
    """One call places a whole import batch (its speed is measured in bench/insights.py)."""
    notes = [FeedbackNote(workspace=clustered, text=text) for text in (reviews(5000) * 2)]
    svc.themes_assign(clustered.pk, notes)
    assert sum(n.theme_id is not None for n in notes) >= 7000


# --- curation ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rename_validates_and_audits(clustered, pm):
    t = Theme.objects.filter(workspace=clustered).first()
    with pytest.raises(ValidationFailed) as exc:
        svc.theme_rename(actor=pm, theme=t, name="   ")
    assert exc.value.fields == {"name": ["Give the theme a name."]}
    with pytest.raises(ValidationFailed) as exc:
        svc.theme_rename(actor=pm, theme=t, name="x" * 121)
    assert list(exc.value.fields) == ["name"]
    with pytest.raises(ValidationFailed) as exc:
        svc.theme_rename(actor=pm, theme=t, name="a\x00b")
    assert exc.value.fields == {"name": ["Null characters are not allowed."]}
    svc.theme_rename(actor=pm, theme=t, name="  Offline mode ")
    t.refresh_from_db()
    assert (t.name, t.renamed) == ("Offline mode", True)
    event = AuditEvent.objects.get(action="theme.rename")
    assert event.changes["name"][1] == "Offline mode"


@pytest.mark.django_db
def test_viewer_cannot_rename_and_nothing_changes(workspace, viewer, contributor):
    t = theme(workspace, "Ads")
    for who in (viewer, contributor):
        with pytest.raises(PermissionDenied):
            svc.theme_rename(actor=who, theme=t, name="Hacked")
        with pytest.raises(PermissionDenied):
            svc.theme_archive(actor=who, theme=t)
    t.refresh_from_db()
    assert (t.name, t.renamed, t.archived_at) == ("Ads", False, None)


@pytest.mark.django_db
def test_merge_moves_notes_and_archives_the_source(clustered, pm):
    a, b = Theme.objects.filter(workspace=clustered, archived_at__isnull=True).order_by("id")[:2]
    a_notes = set(FeedbackNote.objects.filter(theme=a).values_list("id", flat=True))
    b_notes = set(FeedbackNote.objects.filter(theme=b).values_list("id", flat=True))
    result = svc.theme_merge(actor=pm, theme=a, into=b)
    assert result.pk == b.pk
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.archived_at is not None and a.note_count == 0
    assert b.note_count == len(a_notes) + len(b_notes)
    assert set(FeedbackNote.objects.filter(theme=b).values_list("id", flat=True)) == a_notes | b_notes
    assert FeedbackNote.objects.filter(theme=a).count() == 0
    assert len(b.centroid) == 100
    event = AuditEvent.objects.get(action="theme.merge")
    assert event.changes == {"into": [None, b.pk], "notes": [None, len(a_notes)]}
    with pytest.raises(Conflict):
        svc.theme_merge(actor=pm, theme=a, into=b)
    with pytest.raises(ValidationFailed) as exc:
        svc.theme_merge(actor=pm, theme=b, into=b)
    assert list(exc.value.fields) == ["into"]


@pytest.mark.django_db
def test_split_makes_a_new_theme_with_exact_counts(clustered, pm):
    ads = theme_with(clustered, "ads")
    members = set(FeedbackNote.objects.filter(theme=ads).values_list("id", flat=True))
    new = svc.theme_split(actor=pm, theme=ads)
    ads.refresh_from_db()
    new_members = set(FeedbackNote.objects.filter(theme=new).values_list("id", flat=True))
    kept = set(FeedbackNote.objects.filter(theme=ads).values_list("id", flat=True))
    assert new_members | kept == members and not new_members & kept
    assert (ads.note_count, new.note_count) == (len(kept), len(new_members))
    assert 0 < new.note_count <= ads.note_count
    assert len(new.quotes) == 3 and {q["note"] for q in new.quotes} <= new_members
    assert len(new.auto_label.split(" · ")) == 3 and new.name == new.auto_label
    assert len(new.centroid) == 100
    assert AuditEvent.objects.filter(action="theme.split").count() == 1


@pytest.mark.django_db
def test_split_of_a_tiny_theme_is_refused(workspace, pm):
    t = theme(workspace, "Tiny")
    note(workspace, "one", theme=t)
    with pytest.raises(Conflict) as exc:
        svc.theme_split(actor=pm, theme=t)
    assert list(exc.value.fields) == ["theme"]
    assert Theme.objects.filter(workspace=workspace).count() == 1


@pytest.mark.django_db
def test_pin_unpin_and_archive(workspace, pm):
    t = theme(workspace, "Ads", note_count=1)
    n = note(workspace, "ads", theme=t, theme_score=0.8)
    svc.theme_pin(actor=pm, theme=t)
    t.refresh_from_db()
    assert t.pinned
    svc.theme_pin(actor=pm, theme=t, pinned=False)
    t.refresh_from_db()
    assert not t.pinned
    svc.theme_archive(actor=pm, theme=t)
    t.refresh_from_db()
    n.refresh_from_db()
    assert t.archived_at is not None and t.note_count == 0
    assert (n.theme_id, n.theme_score) == (None, None)
    with pytest.raises(Conflict):
        svc.theme_pin(actor=pm, theme=t)
    assert [e.action for e in AuditEvent.objects.order_by("id")] == ["theme.pin", "theme.unpin", "theme.archive"]
