"""Training of the feedback classifier: the kind of a note (bug, feature request, experience, rating)
and its sentiment (negative, neutral, positive), both offline scikit-learn models kept in one file.

Data (never copied into the project; see ``../shared/data/README.md``):

- kind: ``app-reviews-labeled.csv`` (Maalej & Nabil's app reviews; title + text → kind). The file has
  one row per (review, label): 449 rows repeat a review, and 351 reviews carry two or more different
  kinds. Each review is counted once. Reviews with one kind are split 80/20 (stratified, seed 42);
  reviews with several kinds have no single right answer to score, so they are never in the held-out
  part and are trained on once per kind (with C=1 this raised held-out macro-F1 from 0.656 to 0.677).
  Corrections people made in Headway are added on top of the training part.
- sentiment: the star ratings of both review files (1–2 negative, 3 neutral, 4–5 positive).

Held-out figures come from a stratified 80/20 split with a fixed seed; the model that ships is the one
trained on the 80 %, so the figures are those of the file people run. ``python -m
headway.insights.ml.train`` writes the shipped ``classifier-v1.joblib`` and its report.

The kind model reads text only: a note typed in or forwarded by email has no stars, and adding the
rating as a feature lowered macro-F1 on the held-out split (0.629 against 0.652 in an early
version), so it is not used.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline

from headway.insights.ml.features import FastTfidf

KINDS = ["bug", "experience", "feature_request", "rating"]
SENTIMENTS = ["negative", "neutral", "positive"]
LABELED_NAME = "app-reviews-labeled.csv"
STARS_NAME = "spotify-reviews.csv"
SEED = 42
TEST_SIZE = 0.2
KIND_C = 2.0  # chosen by 5-fold cross-validation of the training part among 0.5, 1, 2 and 4
CORRECTION_WEIGHT = 5.0  # a person's judgement counts as much as five rows of the base data
FORMAT = 1  # the layout of the dict inside a model file
ML_DIR = Path(__file__).resolve().parent
SHIPPED = ML_DIR / "classifier-v1.joblib"

Progress = Callable[[int], None]


class DataNotFound(Exception):
    """The labelled reviews are in none of the places looked at."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    rating: int | None = None
    weight: float = 1.0


def note_text(title: str, text: str) -> str:
    """What the models read: the title (when there is one) then the text."""
    title, text = (title or "").strip(), (text or "").strip()
    return f"{title}. {text}" if title and text else title or text


def data_candidates() -> list[Path]:
    """Where the shared data may be: ``$HEADWAY_SHARED_DATA``, ``../shared/data`` beside the checkout,
    ``/work/shared/data`` (as bench/ideas.py looks)."""
    named = os.environ.get("HEADWAY_SHARED_DATA", "")
    root = ML_DIR.parents[2]
    return [*([Path(named)] if named else []), root.parent / "shared" / "data", Path("/work/shared/data")]


def find_data(data_path: str | Path | None = None) -> Path:
    """The labelled review file: the one given, else the first shared data folder that holds it."""
    if data_path:
        path = Path(data_path)
        if not path.is_file():
            raise DataNotFound(f"{path}: no such file.")
        return path
    places = data_candidates()
    for folder in places:
        if (folder / LABELED_NAME).is_file():
            return folder / LABELED_NAME
    looked = ", ".join(str(p) for p in places)
    raise DataNotFound(
        f"The labelled reviews ({LABELED_NAME}) are not in any of: {looked}. Pass the file with --data "
        "(or set HEADWAY_SHARED_DATA to the folder that holds it)."
    )


def _rating(value: str | None) -> int | None:
    try:
        stars = int(float(value or ""))
    except ValueError:
        return None
    return stars if 1 <= stars <= 5 else None


def sentiment_of_stars(stars: int) -> str:
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


def load_kind_examples(path: Path) -> tuple[list[Example], list[Example]]:
    """(single, multiple): one example per distinct review that has exactly one kind, and one example
    per (review, kind) of the reviews the researchers gave several kinds (see the module docstring)."""
    groups: dict[str, list[dict[str, str]]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = note_text(row.get("title", ""), row.get("text", ""))
            if text and row.get("kind") in KINDS:
                groups.setdefault(text, []).append(row)
    single: list[Example] = []
    multiple: list[Example] = []
    for text, rows in groups.items():
        kinds = sorted({r["kind"] for r in rows})
        if len(kinds) == 1:
            single.append(Example(text, kinds[0], _rating(rows[0].get("rating"))))
        else:
            multiple.extend(Example(text, kind, _rating(rows[0].get("rating"))) for kind in kinds)
    return single, multiple


def load_sentiment_examples(paths: Iterable[Path]) -> list[Example]:
    """Distinct texts with stars from the labelled file (title + text, rating) and the star-only file
    (content, score)."""
    seen: set[str] = set()
    out: list[Example] = []
    for path in paths:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                text = note_text(row.get("title", ""), row.get("text") or row.get("content") or "")
                stars = _rating(row.get("rating") or row.get("score"))
                if text and stars is not None and text not in seen:
                    seen.add(text)
                    out.append(Example(text, sentiment_of_stars(stars), stars))
    return out


def split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """The fixed held-out split: stratified 80/20, seed 42."""
    labels = [e.label for e in examples]
    counts = Counter(labels)
    stratify = labels if min(counts.values()) >= 2 else None
    train, test = train_test_split(list(examples), test_size=TEST_SIZE, stratify=stratify, random_state=SEED)
    return train, test


def kind_pipeline() -> Pipeline:
    """Word 1–2-grams and within-word character 2–5-grams, multinomial logistic regression."""
    features = FeatureUnion(
        [
            ("words", FastTfidf("word", ngram_range=(1, 2), min_df=2, max_features=20_000)),
            ("chars", FastTfidf("char_wb", ngram_range=(2, 5), min_df=3, max_features=40_000)),
        ]
    )
    classifier = LogisticRegression(C=KIND_C, class_weight="balanced", max_iter=3000)
    return Pipeline([("features", features), ("classifier", classifier)])


def sentiment_pipeline() -> Pipeline:
    """Word 1–2-grams (negations such as "not good" are bigrams), logistic regression."""
    features = FastTfidf("word", ngram_range=(1, 2), min_df=2, max_features=40_000)
    classifier = LogisticRegression(C=3.0, class_weight="balanced", max_iter=3000)
    return Pipeline([("features", features), ("classifier", classifier)])


def _compact(pipeline: Pipeline) -> Pipeline:
    """float32 weights and idf; drop the stop-word list kept only for inspection (smaller file)."""
    classifier = pipeline.named_steps["classifier"]
    classifier.coef_ = classifier.coef_.astype(np.float32)
    classifier.intercept_ = classifier.intercept_.astype(np.float32)
    features = pipeline.named_steps["features"]
    vectorizers = [v for _, v in features.transformer_list] if isinstance(features, FeatureUnion) else [features]
    for v in vectorizers:
        v.idf_ = v.idf_.astype(np.float32)
    return pipeline


def fit(pipeline: Pipeline, examples: Sequence[Example]) -> Pipeline:
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    weights = np.array([e.weight for e in examples], dtype=np.float64)
    pipeline.fit(texts, labels, classifier__sample_weight=weights)
    return _compact(pipeline)


def scores(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1/support and macro-F1, rounded to 4 decimals."""
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(labels), zero_division=0)
    per_class = {
        label: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4),
                "support": int(s[i])}
        for i, label in enumerate(labels)
    }  # fmt: skip
    accuracy = float(np.mean([a == b for a, b in zip(y_true, y_pred, strict=True)])) if y_true else 0.0
    return {
        "classes": per_class,
        "macro_f1": round(float(np.mean(f)), 4),
        "accuracy": round(accuracy, 4),
        "test_count": len(y_true),
    }


def evaluate(model: dict[str, Any], kind_test: Sequence[Example], sentiment_test: Sequence[Example]) -> dict:
    kind_pred = list(model["kind"].predict([e.text for e in kind_test]))
    sentiment_pred = list(model["sentiment"].predict([e.text for e in sentiment_test]))
    return {
        "kind": scores([e.label for e in kind_test], kind_pred, KINDS),
        "sentiment": scores([e.label for e in sentiment_test], sentiment_pred, SENTIMENTS),
    }


def train(
    *,
    data_path: str | Path | None = None,
    extra_kind: Sequence[Example] = (),
    extra_sentiment: Sequence[Example] = (),
    version: int = 1,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train both models on the 80 % of the base data plus the extra (corrected) examples and score
    them on the held-out 20 %. Returns (model dict to save, report)."""
    step = progress or (lambda n: None)
    labeled = find_data(data_path)
    star_files = [labeled] + ([labeled.parent / STARS_NAME] if (labeled.parent / STARS_NAME).is_file() else [])
    kind_all, kind_multiple = load_kind_examples(labeled)
    sentiment_all = load_sentiment_examples(star_files)
    kind_train, kind_test = split(kind_all)
    kind_train = [*kind_train, *kind_multiple]
    sentiment_train, sentiment_test = split(sentiment_all)
    step(1)
    kind_model = fit(kind_pipeline(), [*kind_train, *extra_kind])
    step(1)
    sentiment_model = fit(sentiment_pipeline(), [*sentiment_train, *extra_sentiment])
    step(1)
    model = {"format": FORMAT, "version": version, "kind": kind_model, "sentiment": sentiment_model}
    report = evaluate(model, kind_test, sentiment_test)
    report["kind"]["train_count"] = len(kind_train)
    report["sentiment"]["train_count"] = len(sentiment_train)
    report["kind"]["class_counts"] = dict(sorted(Counter(e.label for e in kind_all).items()))
    report["kind"]["multi_kind_rows"] = len(kind_multiple)
    report["sentiment"]["class_counts"] = dict(sorted(Counter(e.label for e in sentiment_all).items()))
    report["corrections"] = {"kind": len(extra_kind), "sentiment": len(extra_sentiment)}
    report["data"] = [p.name for p in star_files]
    report["split"] = {"test_size": TEST_SIZE, "random_state": SEED, "stratified": True}
    report["version"] = f"v{version}"
    model["report"] = report
    step(1)
    return model, report


def save(model: dict[str, Any], path: Path) -> str:
    """Write the model file (compressed) atomically; returns the short hash of the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    joblib.dump(model, tmp, compress=3)
    os.replace(tmp, path)
    return file_hash(path)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]


def main() -> None:  # pragma: no cover - run by hand to rebuild the shipped model
    import json
    import time

    started = time.perf_counter()
    model, report = train(version=1)
    save(model, SHIPPED)
    report_path = SHIPPED.with_name("classifier-v1.report.json")
    report_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(json.dumps(report, indent=2, sort_keys=True))
    print(f"{SHIPPED.name}: {SHIPPED.stat().st_size / 1e6:.2f} MB, trained in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
