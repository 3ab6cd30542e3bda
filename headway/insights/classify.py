"""Classify feedback notes: their kind (bug, feature request, experience, rating) and sentiment.

The model is a file: the newest ``<VAR_DIR>/models/classifier-v<N>.joblib`` that ``headway insights
retrain`` wrote, else the one shipped with Headway (``ml/classifier-v1.joblib``). It is loaded once per
process, on first use, under a lock; the models folder is looked at again at most every few seconds,
so a retrain in another process is picked up without a restart.

Only Headway's own model files are ever loaded (joblib unpickles them); nothing uploaded is.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from django.conf import settings

from headway.insights.ml.train import SHIPPED, file_hash, sentiment_of_stars

_MODEL_NAME = re.compile(r"^classifier-v(\d+)\.joblib$")
_RECHECK_SECONDS = 5.0
EMPTY_CONFIDENCE = 0.25  # an empty text: "rating" (nothing said beyond a mark), as unsure as a guess of four


@dataclass(frozen=True)
class Prediction:
    kind: str
    kind_confidence: float  # the model's probability of ``kind``, 0..1
    sentiment: str
    sentiment_score: float  # P(positive) − P(negative), −1..1


@dataclass
class _Loaded:
    path: Path
    version: str  # "v2-3f9a2c1d"
    model: dict[str, Any]


_lock = threading.Lock()
_loaded: _Loaded | None = None
_checked_at = 0.0


def models_dir() -> Path:
    """Where retrained models are written: ``<HEADWAY_VAR_DIR>/models``."""
    return Path(settings.VAR_DIR) / "models"


def model_files() -> list[tuple[int, Path]]:
    """Retrained model files, oldest version first."""
    folder = models_dir()
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _MODEL_NAME.match(p.name)) and p.is_file()]
    return sorted(found)


def active_path() -> Path:
    files = model_files()
    return files[-1][1] if files else SHIPPED


def _load() -> _Loaded:
    """The active model, loaded once (and again only when a newer file appears)."""
    global _loaded, _checked_at
    now = time.monotonic()
    current = _loaded
    if current is not None and now - _checked_at < _RECHECK_SECONDS:
        return current
    with _lock:
        path = active_path()
        if _loaded is None or _loaded.path != path:
            model = joblib.load(path)
            version = f"v{model['version']}-{file_hash(path)}"
            _loaded = _Loaded(path=path, version=version, model=model)
        _checked_at = time.monotonic()
        return _loaded


def reload() -> None:
    """Forget the loaded model: the next call loads the active file again (after a retrain)."""
    global _loaded
    with _lock:
        _loaded = None


def model_version() -> str:
    """The active model: its version and the short hash of its file, e.g. ``v1-3f9a2c1d``."""
    return _load().version


def model_report() -> dict[str, Any]:
    """The held-out figures stored in the active model file."""
    return dict(_load().model.get("report") or {})


def predict(texts: list[str], ratings: list[int | None] | None = None) -> list[Prediction]:
    """Kind and sentiment of each text. A rating (1–5 stars), when the channel gave one, decides the
    sentiment class (the training labels are stars) and is averaged into the score; the kind reads the
    text only. An empty text is a "rating" of neutral sentiment with low confidence."""
    if ratings is not None and len(ratings) != len(texts):
        raise ValueError("ratings must be as long as texts")
    model = _load().model
    out: list[Prediction | None] = [None] * len(texts)
    idx = [i for i, t in enumerate(texts) if t and t.strip()]
    if idx:
        batch = [texts[i] for i in idx]
        kind_model, sentiment_model = model["kind"], model["sentiment"]
        kind_p = kind_model.predict_proba(batch)
        kind_best = kind_p.argmax(axis=1)
        kind_classes = list(kind_model.classes_)
        sent_p = sentiment_model.predict_proba(batch)
        sent_classes = list(sentiment_model.classes_)
        score = sent_p[:, sent_classes.index("positive")] - sent_p[:, sent_classes.index("negative")]
        sent_best = sent_p.argmax(axis=1)
        for row, i in enumerate(idx):
            sentiment = str(sent_classes[int(sent_best[row])])
            value = float(score[row])
            stars = ratings[i] if ratings is not None else None
            if stars is not None and 1 <= stars <= 5:
                sentiment = sentiment_of_stars(stars)
                value = (value + (stars - 3) / 2) / 2
            out[i] = Prediction(
                kind=str(kind_classes[int(kind_best[row])]),
                kind_confidence=round(float(kind_p[row, kind_best[row]]), 4),
                sentiment=sentiment,
                sentiment_score=round(float(np.clip(value, -1.0, 1.0)), 4),
            )
    for i, p in enumerate(out):
        if p is None:
            stars = ratings[i] if ratings is not None else None
            if stars is not None and 1 <= stars <= 5:
                out[i] = Prediction("rating", EMPTY_CONFIDENCE, sentiment_of_stars(stars), (stars - 3) / 2)
            else:
                out[i] = Prediction("rating", EMPTY_CONFIDENCE, "neutral", 0.0)
    return [p for p in out if p is not None]
