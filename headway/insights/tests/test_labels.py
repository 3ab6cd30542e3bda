"""Label corrections: kept, never overwritten by classifying again, used by retraining; who may
correct and retrain; the classifier page."""

from __future__ import annotations

import csv
import itertools

import pytest

from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.insights import classify
from headway.insights.models import FeedbackNote, InsightJob, LabelCorrection
from headway.insights.services.jobs import job_start
from headway.insights.services.labels import note_correct_label, notes_classify, retrain
from headway.insights.tests.factories import note

WORDS = {
    "bug": ["crash", "freezes", "error", "broken", "fails", "bug"],
    "feature_request": ["please", "add", "wish", "option", "would", "support"],
    "experience": ["use", "daily", "commute", "workflow", "every", "morning"],
    "rating": ["great", "love", "awesome", "best", "nice", "good"],
}
STARS = {"bug": 1, "feature_request": 3, "experience": 4, "rating": 5}
ODD = "zebra quantum marmalade telescope"


class Progress:
    def __init__(self):
        self.total, self.done = None, 0

    def start(self, total):
        self.total = total

    def advance(self, n=1):
        self.done += n


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    classify.reload()
    yield settings.VAR_DIR
    classify.reload()


@pytest.fixture
def small_data(tmp_path):
    """A small labelled file: 15 reviews per kind made of each kind's words (stars by kind)."""
    path = tmp_path / "small.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "title", "text", "rating", "kind", "source", "date"])
        n = itertools.count(1)
        for kind, words in WORDS.items():
            for i in range(15):
                text = " ".join(words[(i + j) % len(words)] for j in range(4))
                out.writerow([next(n), "", f"{text} app {i}", STARS[kind], kind, "test", ""])
    return path


def _note_row(pk):
    return FeedbackNote.objects.values("kind", "kind_corrected", "sentiment", "sentiment_corrected").get(pk=pk)


# --- correcting a label ------------------------------------------------------------------------


def test_correction_sets_the_label_and_is_kept(workspace, pm):
    n = note(workspace, "It would be nice to export to PDF", kind="rating", kind_confidence=0.6, model_version="v1-x")
    returned = note_correct_label(actor=pm, note=n, field="kind", value="feature_request")
    assert returned.kind == "feature_request" and returned.kind_corrected is True
    assert _note_row(n.pk) == {"kind": "feature_request", "kind_corrected": True, "sentiment": "",
                               "sentiment_corrected": False}  # fmt: skip
    c = LabelCorrection.objects.get()
    assert (c.workspace_id, c.note_id, c.field, c.predicted, c.corrected, c.model_version, c.author_id) == (
        workspace.pk, n.pk, "kind", "rating", "feature_request", "v1-x", pm.pk,
    )  # fmt: skip
    assert c.text == "It would be nice to export to PDF"
    event = AuditEvent.objects.get(action="insight_note.correct_label")
    assert event.changes == {"kind": ["rating", "feature_request"]}
    assert event.target_id == n.pk


def test_sentiment_correction_sets_the_score(workspace, pm):
    n = note(workspace, "Meh", sentiment="positive", sentiment_score=0.4)
    note_correct_label(actor=pm, note=n, field="sentiment", value="negative")
    n.refresh_from_db()
    assert (n.sentiment, n.sentiment_score, n.sentiment_corrected, n.kind_corrected) == ("negative", -1.0, True, False)
    assert LabelCorrection.objects.get().predicted == "positive"


def test_the_same_correction_twice_is_kept_once(workspace, pm):
    n = note(workspace, "x", kind="rating")
    note_correct_label(actor=pm, note=n, field="kind", value="bug")
    note_correct_label(actor=pm, note=n, field="kind", value="bug")
    assert LabelCorrection.objects.count() == 1
    note_correct_label(actor=pm, note=n, field="kind", value="experience")
    assert list(LabelCorrection.objects.order_by("id").values_list("predicted", "corrected")) == [
        ("rating", "bug"), ("bug", "experience"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "field,value,named",
    [
        ("kind", "complaint", "kind"),
        ("sentiment", "angry", "sentiment"),
        ("theme", "bug", "field"),
        ("kind", "", "kind"),
    ],
)
def test_bad_value_names_the_field_and_changes_nothing(workspace, pm, field, value, named):
    n = note(workspace, "x", kind="rating")
    with pytest.raises(ValidationFailed) as caught:
        note_correct_label(actor=pm, note=n, field=field, value=value)
    assert list(caught.value.fields) == [named]
    assert caught.value.message.startswith(f"{named}: ")
    assert _note_row(n.pk)["kind"] == "rating"
    assert LabelCorrection.objects.count() == 0


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_below_pm_cannot_correct_and_nothing_changes(workspace, member, role):
    n = note(workspace, "x", kind="rating")
    with pytest.raises(PermissionDenied):
        note_correct_label(actor=member(role), note=n, field="kind", value="bug")
    assert _note_row(n.pk) == {"kind": "rating", "kind_corrected": False, "sentiment": "", "sentiment_corrected": False}
    assert LabelCorrection.objects.count() == 0
    assert not AuditEvent.objects.filter(action="insight_note.correct_label").exists()


def test_outsider_cannot_see_the_note(workspace, outsider):
    n = note(workspace, "x", kind="rating")
    with pytest.raises(NotFound):
        note_correct_label(actor=outsider, note=n, field="kind", value="bug")
    assert LabelCorrection.objects.count() == 0


# --- classifying again --------------------------------------------------------------------------


def test_classify_keeps_corrected_labels(workspace, other_workspace, pm, var_dir):
    crash = note(workspace, "The app crashes every time I open it")
    corrected = note(workspace, "Please add a dark mode")
    note_correct_label(actor=pm, note=corrected, field="kind", value="experience")
    elsewhere = note(other_workspace, "The app crashes every time I open it")
    progress = Progress()
    assert notes_classify(workspace=workspace, progress=progress) == 2
    assert (progress.total, progress.done) == (2, 2)
    crash.refresh_from_db()
    corrected.refresh_from_db()
    elsewhere.refresh_from_db()
    assert crash.kind == "bug" and crash.kind_confidence > 0.5 and crash.model_version == classify.model_version()
    assert crash.sentiment == "negative"
    assert (corrected.kind, corrected.kind_corrected, corrected.kind_confidence) == ("experience", True, 1.0)
    assert corrected.sentiment != ""  # its sentiment was not corrected: classified
    assert elsewhere.kind == ""  # another workspace's notes are left alone
    assert notes_classify(workspace=workspace, progress=Progress(), note_ids=[crash.pk]) == 1


def test_classify_stale_only_and_many_ids(workspace, var_dir, monkeypatch, capsys):
    from headway.cli import main
    from headway.insights.services import labels

    monkeypatch.setattr(labels, "BATCH", 2)  # several batches of ids
    current = classify.model_version()
    fresh = note(workspace, "Crashes on start", kind="bug", model_version=current)
    old = [note(workspace, f"Please add export number {i}", model_version="v0-old") for i in range(3)]
    assert notes_classify(workspace=workspace, progress=Progress(), stale_only=True) == 3
    fresh.refresh_from_db()
    assert fresh.sentiment == ""  # the active model had classified it: left alone
    ids = [n.pk for n in old] + [fresh.pk, 999_999]
    assert notes_classify(workspace=workspace, progress=Progress(), note_ids=ids) == 4
    assert main(["insights", "classify", "--workspace", workspace.slug]) == 0
    assert f"Classified 0 notes in {workspace.slug} with model {current}." in capsys.readouterr().out
    assert main(["insights", "classify", "--workspace", workspace.slug, "--all"]) == 0
    assert "Classified 4 notes" in capsys.readouterr().out
    assert FeedbackNote.objects.filter(model_version=current).count() == 4


# --- retraining ---------------------------------------------------------------------------------


def test_retrain_uses_corrections(workspace, pm, var_dir, small_data):
    progress = Progress()
    first = retrain(data_path=str(small_data), progress=progress)
    assert (progress.total, progress.done) == (5, 5)
    assert first["version"].startswith("v2-")
    assert first["corrections"] == {"kind": 0, "sentiment": 0}
    assert set(first["kind"]["classes"]) == {"bug", "experience", "feature_request", "rating"}
    assert (var_dir / "models" / "classifier-v2.joblib").is_file()
    assert (var_dir / "models" / "classifier-v2.report.json").is_file()
    assert classify.model_version() == first["version"]
    before = classify.predict([ODD])[0].kind
    wanted = "feature_request" if before != "feature_request" else "bug"

    n = note(workspace, ODD, kind=before)
    note_correct_label(actor=pm, note=n, field="kind", value=wanted)
    second = retrain(data_path=str(small_data))
    assert second["version"].startswith("v3-")
    assert second["corrections"] == {"kind": 1, "sentiment": 0}
    assert classify.model_version() == second["version"]
    assert classify.predict([ODD])[0].kind == wanted


def test_retrain_without_data_says_where_it_looked(var_dir, monkeypatch, tmp_path, db):
    from headway.insights.ml import train as ml

    monkeypatch.setattr(ml, "data_candidates", lambda: [tmp_path / "nowhere"])
    with pytest.raises(NotFound) as caught:
        retrain()
    assert str(tmp_path / "nowhere") in caught.value.message
    assert "--data" in caught.value.message
    assert not (var_dir / "models").exists()


def test_leader_retrains_as_a_job(workspace, leader, pm, var_dir, small_data, monkeypatch):
    from headway.insights.ml import train as ml

    monkeypatch.setattr(ml, "data_candidates", lambda: [small_data.parent])
    monkeypatch.setattr(ml, "LABELED_NAME", small_data.name)
    with pytest.raises(PermissionDenied):  # a PM may correct labels but not retrain
        job_start(actor=pm, workspace=workspace, kind=InsightJob.Kind.RETRAIN)
    assert InsightJob.objects.count() == 0
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        job = job_start(actor=leader, workspace=workspace, kind=InsightJob.Kind.RETRAIN)
    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 5, 5)
    assert (var_dir / "models" / "classifier-v2.joblib").is_file()


# --- the page -----------------------------------------------------------------------------------


def test_classifier_page(workspace, viewer, leader, web_client, var_dir):
    n = note(workspace, "x", kind="rating")
    LabelCorrection.objects.create(workspace=workspace, note=n, field="kind", text="x", predicted="rating",
                                   corrected="bug")  # fmt: skip
    url = f"/w/{workspace.slug}/insights/classifier/"
    page = web_client(viewer).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert classify.model_version() in html
    assert "Retrain now" not in html
    assert 'id="clf-chart-data"' in html
    assert "Feature request" in html
    assert "0.682" in html  # the shipped model's macro-F1
    assert "Retrain now" in web_client(leader).get(url).content.decode()


def test_retrain_button_refused_below_leader(workspace, pm, web_client, var_dir):
    response = web_client(pm).post(f"/w/{workspace.slug}/insights/classifier/retrain/")
    assert response.status_code == 302
    assert InsightJob.objects.count() == 0
    assert not (var_dir / "models").exists()


def test_leader_retrains_from_the_page(
    workspace, leader, web_client, var_dir, small_data, monkeypatch, django_capture_on_commit_callbacks
):
    from headway.insights.ml import train as ml

    monkeypatch.setattr(ml, "data_candidates", lambda: [small_data.parent])
    monkeypatch.setattr(ml, "LABELED_NAME", small_data.name)
    client = web_client(leader)
    url = f"/w/{workspace.slug}/insights/classifier/retrain/"
    with django_capture_on_commit_callbacks(execute=True):  # the job runs once the request committed
        response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Last retrain:</strong> Queued" in html and 'hx-trigger="every 1s"' in html  # it polls
    assert "<html" not in html  # the fragment only
    polled = client.get(f"/w/{workspace.slug}/insights/classifier/?part=job", headers={"HX-Request": "true"})
    assert "Last retrain:</strong> Done" in polled.content.decode()
    assert "every 1s" not in polled.content.decode()  # done: it stops polling
    job = InsightJob.objects.get()
    assert (job.kind, job.status, job.started_by_id) == ("retrain", "done", leader.pk)
    page = client.get(f"/w/{workspace.slug}/insights/classifier/").content.decode()
    assert classify.model_version().startswith("v2-")
    assert classify.model_version() in page
    assert "Retrained here" in page
    assert client.post(url).status_code == 302  # without JavaScript: back to the page
