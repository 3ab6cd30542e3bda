"""Labels of feedback notes: people's corrections, classifying notes again, retraining the model.

A correction sets the note's label and marks it as corrected (classifying again never changes it),
and is kept as a :class:`LabelCorrection` with the text as it was judged. ``retrain`` adds every
correction to the base data (each weighing as much as several base rows) and writes the next model
version into ``<VAR_DIR>/models``; from then on every process classifies with it.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Q

from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.insights import classify
from headway.insights.ml import train as ml
from headway.insights.models import FeedbackNote, Kind, LabelCorrection, Sentiment
from headway.workspaces.models import Workspace

BATCH = 2000
_CHOICES: dict[str, Any] = {"kind": Kind, "sentiment": Sentiment}


def _input_text(note: FeedbackNote) -> str:
    from headway.insights.services.notes import note_input_text

    return note_input_text(note.title, note.text)


def note_correct_label(*, actor: Any, note: FeedbackNote, field: str, value: str) -> FeedbackNote:
    """Set a note's kind or sentiment as a person judged it; keep the correction for retraining."""
    permissions.require(actor, Action.INSIGHT_MANAGE, note.workspace_id, note)
    if field not in _CHOICES:
        raise ValidationFailed("field: Choose kind or sentiment.", fields={"field": ["Choose kind or sentiment."]})
    choices = _CHOICES[field]
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        message = f"Choose one of {allowed}."
        raise ValidationFailed(f"{field}: {message}", fields={field: [message]})
    with transaction.atomic():
        locked = FeedbackNote.objects.select_for_update().get(pk=note.pk)
        before = getattr(locked, field)
        already = getattr(locked, f"{field}_corrected")
        if already and before == value:
            return locked
        setattr(locked, field, value)
        setattr(locked, f"{field}_corrected", True)
        update = [field, f"{field}_corrected", "updated_at"]
        if field == "sentiment":
            # the score follows the person's class: −1, 0 or +1
            locked.sentiment_score = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}[value]
            update.append("sentiment_score")
        else:
            locked.kind_confidence = 1.0
            update.append("kind_confidence")
        locked.save(update_fields=update)
        LabelCorrection.objects.create(
            workspace_id=locked.workspace_id, note=locked, field=field, text=_input_text(locked),
            predicted=before, corrected=value, model_version=locked.model_version, author=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, workspace=locked.workspace, action="insight_note.correct_label", target=locked,
            changes={field: [before, value]},
        )  # fmt: skip
    for name in (field, f"{field}_corrected", "kind_confidence", "sentiment_score", "updated_at"):
        setattr(note, name, getattr(locked, name))
    return note


def notes_classify(
    *, workspace: Workspace, progress: Any, note_ids: list[int] | None = None, stale_only: bool = False
) -> int:
    """Classify the workspace's notes again with the active model (job runner); a corrected label
    stays. ``note_ids`` limits it to those notes, ``stale_only`` to notes the active model has not
    classified yet. Returns how many notes were classified."""
    version = classify.model_version()
    qs = FeedbackNote.objects.filter(workspace=workspace).filter(Q(kind_corrected=False) | Q(sentiment_corrected=False))
    if stale_only:
        qs = qs.exclude(model_version=version)
    ids = sorted(set(note_ids)) if note_ids is not None else None
    progress.start(qs.count() if ids is None else sum(qs.filter(pk__in=c).count() for c in _chunks(ids)))
    columns = ("id", "title", "text", "rating", "kind_corrected", "sentiment_corrected")
    done, last, chunk = 0, 0, 0
    while True:
        if ids is None:
            batch = list(qs.filter(pk__gt=last).order_by("pk").only(*columns)[:BATCH])
        else:  # a bounded IN list per query (SQLite allows about 32,000 parameters)
            part = ids[chunk * BATCH : (chunk + 1) * BATCH]
            chunk += 1
            if not part:
                return done
            batch = list(qs.filter(pk__in=part).order_by("pk").only(*columns))
            if not batch:
                continue
        if not batch:
            return done
        predictions = classify.predict([_input_text(n) for n in batch], [n.rating for n in batch])
        for note, p in zip(batch, predictions, strict=True):
            if not note.kind_corrected:
                note.kind, note.kind_confidence = p.kind, p.kind_confidence
            if not note.sentiment_corrected:
                note.sentiment, note.sentiment_score = p.sentiment, p.sentiment_score
            note.model_version = version
        # a corrected label was not loaded (deferred): each group writes only what the model set
        groups: dict[tuple[str, ...], list[FeedbackNote]] = {}
        for note in batch:
            names = ["model_version"]
            if not note.kind_corrected:
                names += ["kind", "kind_confidence"]
            if not note.sentiment_corrected:
                names += ["sentiment", "sentiment_score"]
            groups.setdefault(tuple(names), []).append(note)
        with transaction.atomic():
            for group, notes in groups.items():
                FeedbackNote.objects.bulk_update(notes, list(group), batch_size=500)
        done += len(batch)
        last = batch[-1].pk
        progress.advance(len(batch))


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def _corrections() -> tuple[list[ml.Example], list[ml.Example]]:
    """The latest correction of each (text, field), newest first, as weighted training examples."""
    kind: dict[str, ml.Example] = {}
    sentiment: dict[str, ml.Example] = {}
    for field, text, corrected in LabelCorrection.objects.order_by("-created_at", "-id").values_list(
        "field", "text", "corrected"
    ):
        target = kind if field == LabelCorrection.Field.KIND else sentiment
        if text.strip() and text not in target:
            target[text] = ml.Example(text, corrected, weight=ml.CORRECTION_WEIGHT)
    return list(kind.values()), list(sentiment.values())


def retrain(*, data_path: str | None = None, progress: Any = None) -> dict[str, Any]:
    """Train the next model version on the base data plus every correction; write it (and its report)
    to ``<VAR_DIR>/models`` and make it the active model. Returns the held-out report."""
    extra_kind, extra_sentiment = _corrections()
    files = classify.model_files()
    version = max([1, *(v for v, _ in files)]) + 1
    if progress is not None:
        progress.start(5)
    step = progress.advance if progress is not None else None
    try:
        model, report = ml.train(
            data_path=data_path, extra_kind=extra_kind, extra_sentiment=extra_sentiment, version=version,
            progress=step,
        )  # fmt: skip
    except ml.DataNotFound as exc:
        raise NotFound(str(exc), code="data_not_found") from exc
    path = classify.models_dir() / f"classifier-v{version}.joblib"
    short = ml.save(model, path)
    report["version"] = f"v{version}-{short}"
    report["size_bytes"] = path.stat().st_size
    path.with_name(f"classifier-v{version}.report.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    classify.reload()
    if progress is not None:
        progress.advance(1)
    return report


def retrain_job(*, workspace: Workspace, progress: Any) -> dict[str, Any]:
    """The job runner behind "Retrain now" (who may start it is checked by ``job_start``)."""
    return retrain(progress=progress)
