"""API: scoring models, each feature's scores under them, the ranking by score, and manual pins.

Every member reads models, scores and rankings; PMs and up fill in scores and pin features in a
ranking (``PUT /features/{id}/scores/{model_id}``, ``PUT …/overrides/{feature_id}``); leaders and
admins create, change and archive models. A score's inputs are checked by the model's framework:
an error names the input (``inputs.reach``). ``GET /features/ranked`` is the ranking of the open
features by a model (the product's default, else the workspace's, when ``model`` is left out),
with pinned features at their positions; ``…/explanation`` says why a feature is where it is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, PlainValidator, WithJsonSchema

from headway.backlog import selectors as backlog_selectors
from headway.backlog.models import Feature
from headway.backlog.schemas import NOT_BLANK
from headway.core import permissions
from headway.core.api import MAX_PAGE, MAX_PAGE_SIZE, Id, StrictIn, responses, workspace_of
from headway.core.errors import HeadwayError, NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.prioritization import engine
from headway.prioritization.models import FeatureScore, RankOverride, ScoringModel
from headway.prioritization.selectors import ranking, signals
from headway.prioritization.selectors.ranking import RankedFeature
from headway.prioritization.services import scoring

router = Router(tags=["prioritization"])

# Every Framework value (a test checks these stay in step with the model).
FrameworkName = Literal["rice", "ice", "wsjf", "weighted", "value_effort", "moscow", "kano", "custom"]
ModelName = Annotated[str, Field(min_length=1, max_length=80, pattern=NOT_BLANK)]
InputKey = Annotated[str, Field(min_length=1, max_length=64)]
MAX_NUMBER, MAX_TEXT, MAX_PAIRS, MAX_ANSWER = 1e15, 100, 1000, 40
INPUT_HELP = "Give a number, a text or Kano answer pairs."


def _input_value(value: Any) -> Any:
    """One input as JSON carries it, checked in one place (so an error names the input, not a type):
    a finite number, a text, a list of [functional, dysfunctional] answers, or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(INPUT_HELP)
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise ValueError(f"Give a number between {-MAX_NUMBER:g} and {MAX_NUMBER:g}.")
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"Give at most {MAX_TEXT} characters.")
        return value
    if isinstance(value, list) and len(value) <= MAX_PAIRS:
        for pair in value:
            if not (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(a, str) and len(a) <= MAX_ANSWER for a in pair)
            ):
                raise ValueError("Give Kano answers as pairs of texts: [[functional, dysfunctional], …].")
        return value
    raise ValueError(INPUT_HELP)


_ANSWER_SCHEMA = {"type": "string", "maxLength": MAX_ANSWER}
InputValue = Annotated[
    Any,
    PlainValidator(_input_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER},
                {"type": "string", "maxLength": MAX_TEXT},
                {
                    "type": "array",
                    "maxItems": MAX_PAIRS,
                    "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": _ANSWER_SCHEMA},
                },
                {"type": "null"},
            ]
        }
    ),
]
MAX_POSITION = 1_000_000


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, never null: leave the field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


def _finite(value: float | None) -> float | None:
    """NaN and infinities (an effort not estimated, a missing score) leave as null."""
    return None if value is None or not math.isfinite(value) else float(value)


# --- schemas ----------------------------------------------------------------------------------


class ChoiceOut(Schema):
    value: str
    label: str


class InputFieldOut(Schema):
    key: str = Field(description="The name to send in a score's inputs, such as reach.")
    label: str
    kind: Literal["number", "choice", "answers"] = Field(
        description="number; choice (one of choices' values); answers (Kano: a list of [functional, "
        "dysfunctional] answer pairs)."
    )
    choices: list[ChoiceOut]
    minimum: float | None
    maximum: float | None
    help: str
    signal: str | None = Field(description="Filled in from this built-in signal (votes, demand…): not an input.")

    @staticmethod
    def resolve_choices(obj: Any) -> list[dict]:
        return [{"value": value, "label": label} for value, label in obj.choices]


class ScoringModelOut(Schema):
    id: int
    name: str
    framework: FrameworkName
    description: str
    config: dict[str, Any] = Field(description="What the framework needs beyond its name (see POST).")
    is_default: bool = Field(description="The workspace's default model (a product may choose another).")
    fields: list[InputFieldOut] = Field(description="The inputs a feature's score is made of, in order.")
    signals: list[str] = Field(description="The built-in signals the model reads (votes, demand, arr…).")
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_fields(obj: Any) -> list[Any]:
        return list(engine.spec_of(obj).fields)

    @staticmethod
    def resolve_signals(obj: Any) -> list[str]:
        return sorted(engine.spec_of(obj).signals)


class ScoringModelFilters(Schema):
    include_archived: bool = False


CONFIG_HELP = (
    'rice {"sources": {input: signal}}; ice {"mode": "average"|"product"}; wsjf {}; weighted {"criteria": '
    '[{"key", "label", "weight", "scale": {"kind": "range", "minimum", "maximum", "step"} | {"kind": '
    '"fibonacci"} | {"kind": "custom", "values": […]}, "direction": "benefit"|"cost"}]}; value_effort '
    '{"value_max": 10}; moscow {}; kano {}; custom {"formula": "reach * impact / max(effort, 1)", "inputs": '
    '["reach", "impact"]}. Left out: the framework\'s defaults.'
)


class ScoringModelIn(StrictIn):
    name: ModelName
    framework: FrameworkName
    description: str = Field("", max_length=2000)
    config: dict[str, Any] | None = Field(None, description=CONFIG_HELP)
    is_default: bool = Field(False, description="Make it the workspace's default model.")


class ScoringModelPatch(StrictIn):
    name: ModelName = _optional()
    description: Annotated[str, Field(max_length=2000)] = _optional()
    config: Annotated[dict[str, Any], Field(description="Changing it rescores every feature.")] = _optional()
    is_default: bool = _optional()


class ScoredFeatureRef(Schema):
    id: int
    ref: str = Field(description="Product key and number, such as PAY-12.")
    title: str
    product_id: int


class ModelRef(Schema):
    id: int
    name: str
    framework: FrameworkName


class PinOut(Schema):
    position: int = Field(description="1 is the top of the ranking.")
    reason: str
    created_by_id: int | None
    updated_at: dt.datetime


class ModelScoreOut(Schema):
    model: ModelRef
    inputs: dict[str, Any] = Field(description="What was filled in, by input key.")
    score: float | None = Field(description="Null while inputs are missing.")
    label: str = Field(description="A category where the framework has one (quadrant, Kano, MoSCoW).")
    position: int | None = Field(
        description="Its place in the model's ranking of its product's features (the open ones, and the closed ones "
        "when it is closed itself); null when archived."
    )
    score_position: int | None = Field(description="Where the score alone would put it (differs when pins move it).")
    total: int = Field(description="How many features that ranking holds.")
    pinned: PinOut | None


class FeatureScoresOut(Schema):
    feature: ScoredFeatureRef
    signals: dict[str, float | None] = Field(
        description="The built-in signals (votes, demand, companies, arr, objectives, objective_priority, age_days, "
        "effort); null when there is no value (effort not estimated)."
    )
    scores: list[ModelScoreOut] = Field(description="One per live scoring model, by name.")


class ScoreIn(StrictIn):
    inputs: dict[InputKey, InputValue] = Field(
        max_length=50,
        description='By input key (see the model\'s fields): numbers, or text such as "80%" or "Must"; Kano answers '
        'as [["like", "dislike"], …]. null or "" clears an input.',
    )
    replace: bool = Field(False, description="Replace every input (those left out are cleared) instead of merging.")


class ExplanationRow(Schema):
    key: str
    label: str
    value: Any = Field(description="The input's value (a number, a category or answers).")
    contribution: float | None = Field(
        description="Read with method: additive, what it adds to the score; log, the factor it multiplies the score "
        "by (below 1 for a divisor); share, Kano's share of answers; sensitivity, the score minus the score without it."
    )
    share: float | None = Field(description="Its part of all the contributions' sizes, 0–1.")


class NeighbourOut(Schema):
    feature: ScoredFeatureRef
    position: int
    score: float | None


class ExplanationOut(Schema):
    model: ModelRef
    feature: ScoredFeatureRef
    position: int | None
    total: int
    score: float | None
    label: str
    method: str = Field(
        description="additive (contributions add up to the score), log (they add up to ln(score)), share (Kano), "
        "sensitivity (custom formulas: the score minus the score without the input), none."
    )
    rows: list[ExplanationRow]
    sentences: list[str] = Field(description="The explanation for people, in order.")
    above: NeighbourOut | None
    below: NeighbourOut | None
    pinned: PinOut | None


class ScoreChangeOut(Schema):
    id: int
    model_id: int
    inputs: dict[str, Any]
    score: float | None
    previous_score: float | None
    actor_id: int | None
    actor_name: str
    changed_at: dt.datetime


class HistoryFilters(Schema):
    limit: int = Field(50, ge=1, le=200)


class RankedQuery(Schema):
    model: Id | None = Field(None, description="The scoring model; left out: the product's default, else the "
                                               "workspace's.")  # fmt: skip
    product: Id | None = Field(None, description="Only this product's features.")
    q: str = Field("", max_length=200, description="Only features whose title or reference contains this; "
                                                   "positions stay those of the whole ranking.")  # fmt: skip
    include_closed: bool = Field(False, description="Also rank done and cancelled features.")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class RankedOut(Schema):
    position: int = Field(description="1-based, after pins.")
    score: float | None
    label: str
    score_position: int | None = Field(description="Where the score alone would put it.")
    pinned: bool
    pin_reason: str
    feature: ScoredFeatureRef
    status: str
    owner_id: int | None
    inputs: dict[str, Any]


class RankingOut(Schema):
    model: ModelRef
    items: list[RankedOut]
    count: int = Field(description="Features ranked (after the filters).")
    unscored: int = Field(description="Of them, how many have no score yet (missing inputs): ranked last.")
    page: int
    page_size: int
    pages: int


class OverrideIn(StrictIn):
    position: int = Field(ge=1, le=MAX_POSITION, description="1 is the top of the ranking.")
    reason: str = Field("", max_length=200)


class OverrideOut(Schema):
    model_id: int
    feature_id: int
    position: int
    reason: str
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_model_id(obj: Any) -> int:
        return obj.scoring_model_id


# --- helpers ----------------------------------------------------------------------------------


_MODEL_FIELDS = ("__all__", "name", "framework", "description", "config", "is_default")
_SCORE_FIELDS = ("__all__", "inputs", "replace")


@contextmanager
def _api_fields(renames: Mapping[str, str], *, under: str = "", known: tuple[str, ...] = ()) -> Iterator[None]:
    """Service errors under the names the client sent: with ``under="inputs"``, a bad input
    ``reach`` becomes ``inputs.reach`` (where it is in the request body); with ``under="config"``,
    a model's ``formula`` becomes ``config.formula``. ``known`` names stay as they are."""
    try:
        yield
    except HeadwayError as exc:

        def rename(key: str) -> str:
            if key in renames:
                return renames[key]
            if under and key not in known:
                return f"{under}.{key}"
            return key

        exc.fields = {rename(k): v for k, v in exc.fields.items()}
        head, sep, rest = exc.message.partition(": ")
        if sep and " " not in head:
            new = rename(head)
            exc.message = rest if new == "__all__" else f"{new}: {rest}"
        raise


def _model(request: HttpRequest, model_id: int) -> ScoringModel:
    return ranking.scoring_model_get(user=request.user, workspace=workspace_of(request), model_id=model_id)


def _feature(request: HttpRequest, feature_id: int) -> Feature:
    return backlog_selectors.feature_get(actor=request.user, workspace=workspace_of(request), feature_id=feature_id)


def _model_ref(model: ScoringModel) -> dict:
    return {"id": model.pk, "name": model.name, "framework": model.framework}


def _feature_ref(feature: Feature) -> dict:
    return {"id": feature.pk, "ref": feature.ref, "title": feature.title, "product_id": feature.product_id}


def _pin(override: RankOverride | None) -> dict | None:
    if override is None:
        return None
    return {
        "position": override.position,
        "reason": override.reason,
        "created_by_id": override.created_by_id,
        "updated_at": override.updated_at,
    }


def _ranked_item(item: RankedFeature) -> dict:
    feature = item.feature
    return {
        "position": item.position,
        "score": _finite(item.score),
        "label": item.label or "",
        "score_position": item.score_position,
        "pinned": item.pinned is not None,
        "pin_reason": item.pinned.reason if item.pinned is not None else "",
        "feature": _feature_ref(feature),
        "status": feature.status.name,
        "owner_id": feature.owner_id,
        "inputs": item.inputs,
    }


def _model_score(request: HttpRequest, model: ScoringModel, feature: Feature) -> dict:
    """The feature's inputs, score, label and place in the model's ranking of its product's features
    (the open ones; closed ones too when it is closed itself), as ``…/explanation`` ranks it."""
    closed = feature.status.category in ranking.CLOSED_CATEGORIES
    board = ranking.ranked_features(
        user=request.user,
        workspace=workspace_of(request),
        model=model,
        product_id=feature.product_id,
        include_closed=closed,
        per_page=None,
    )
    item = next((i for i in board.items if i.feature.pk == feature.pk), None)
    if item is not None:
        return {
            "model": _model_ref(model),
            "inputs": item.inputs,
            "score": _finite(item.score),
            "label": item.label or "",
            "position": item.position,
            "score_position": item.score_position,
            "total": board.total,
            "pinned": _pin(item.pinned),
        }
    # Archived: in no ranking; what was stored at the last edit.
    stored = FeatureScore.objects.filter(scoring_model=model, feature=feature).first()
    pin = RankOverride.objects.filter(scoring_model=model, feature=feature).first()
    return {
        "model": _model_ref(model),
        "inputs": stored.inputs if stored else {},
        "score": _finite(stored.value) if stored else None,
        "label": stored.label if stored else "",
        "position": None,
        "score_position": None,
        "total": board.total,
        "pinned": _pin(pin),
    }


def _product(request: HttpRequest, product_id: int) -> Product:
    qs = permissions.scope(Product.objects.all(), request.user, workspace_of(request), Action.PRIORITY_VIEW)
    product = qs.filter(pk=product_id).first()
    if product is None:
        msg = f"No product {product_id} in this workspace."
        raise NotFound(f"product: {msg}", fields={"product": [msg]})
    return product


_MODEL_RENAMES = {"scoring_model": "__all__", "model": "__all__"}


# --- scoring models ---------------------------------------------------------------------------


@router.get(
    "/scoring-models",
    response=responses({200: list[ScoringModelOut]}),
    summary="List scoring models",
    description="By name. Archived ones only with include_archived=true.",
)
def scoring_model_list(request: HttpRequest, filters: Query[ScoringModelFilters]) -> list[ScoringModel]:
    return ranking.scoring_models(
        user=request.user, workspace=workspace_of(request), include_archived=filters.include_archived
    )


@router.post(
    "/scoring-models",
    response=responses({201: ScoringModelOut}),
    summary="Create a scoring model",
    description="Leaders and admins. The config is checked by the framework: an error names the part at fault "
    "(config, criteria, formula…). With is_default, it becomes the workspace's default model.",
)
def scoring_model_create(request: HttpRequest, data: ScoringModelIn) -> Status:
    with _api_fields({}, under="config", known=_MODEL_FIELDS):
        model = scoring.scoring_model_create(
            actor=request.user,
            workspace=workspace_of(request),
            name=data.name,
            framework=data.framework,
            config=data.config,
            description=data.description,
            is_default=data.is_default,
        )
    return Status(201, _model(request, model.pk))


@router.get("/scoring-models/{model_id}", response=responses({200: ScoringModelOut}), summary="Get a scoring model")
def scoring_model_get(request: HttpRequest, model_id: int) -> ScoringModel:
    return _model(request, model_id)


@router.patch(
    "/scoring-models/{model_id}",
    response=responses({200: ScoringModelOut}),
    summary="Change a scoring model",
    description="Leaders and admins. Send only the fields to change. A new config rescores every feature's stored "
    "score; is_default=true makes it the workspace's default (the previous one stops being it). Archived: 409.",
)
def scoring_model_update(request: HttpRequest, model_id: int, data: ScoringModelPatch) -> ScoringModel:
    model = _model(request, model_id)
    fields = data.model_dump(exclude_unset=True)
    with _api_fields({}, under="config", known=_MODEL_FIELDS):
        if fields:
            scoring.scoring_model_update(actor=request.user, model=model, **fields)
        else:
            permissions.require(request.user, Action.SCORING_MODEL_MANAGE, model.workspace_id)
    return _model(request, model_id)


@router.delete(
    "/scoring-models/{model_id}",
    response=responses({200: ScoringModelOut}),
    summary="Archive a scoring model",
    description="Leaders and admins. It leaves the lists and rankings; its scores and history are kept and GET "
    "still answers it. The workspace's default model cannot be archived (409): make another the default first.",
)
def scoring_model_archive(request: HttpRequest, model_id: int) -> ScoringModel:
    model = _model(request, model_id)
    with _api_fields({}):
        scoring.scoring_model_archive(actor=request.user, model=model)
    return _model(request, model_id)


# --- scores -----------------------------------------------------------------------------------


# /features/ranked must be matched before the backlog's /features/{feature_id} (config/api.py's order).
@router.get(
    "/features/ranked",
    response=responses({200: RankingOut}),
    summary="Rank features by score",
    description="The open features (include_closed for all) ranked by a scoring model, highest score first, with "
    "pinned features at their positions; features without a score come last. Without model: the product's default "
    "model, else the workspace's, else the first by name (422 when there is none).",
)
def features_ranked(request: HttpRequest, filters: Query[RankedQuery]) -> dict:
    workspace = workspace_of(request)
    product_id = _product(request, filters.product).pk if filters.product else None
    if filters.model:
        try:
            model = _model(request, filters.model)
        except NotFound as exc:
            msg = f"No scoring model {filters.model} in this workspace."
            raise NotFound(f"model: {msg}", fields={"model": [msg]}) from exc
    else:
        found = ranking.default_model(user=request.user, workspace=workspace, product_id=product_id)
        if found is None:
            raise ValidationFailed.on("model", "There is no default scoring model: choose one with model=<id>.")
        model = found
    board = ranking.ranked_features(
        user=request.user,
        workspace=workspace,
        model=model,
        product_id=product_id,
        q=filters.q.strip(),
        include_closed=filters.include_closed,
        page=filters.page,
        per_page=filters.page_size,
    )
    past_the_end = filters.page > board.pages  # an empty page, as every list answers (the selector clamps)
    return {
        "model": _model_ref(model),
        "items": [] if past_the_end else [_ranked_item(item) for item in board.items],
        "count": board.total,
        "unscored": board.unscored,
        "page": filters.page,
        "page_size": filters.page_size,
        "pages": board.pages,
    }


@router.get(
    "/features/{feature_id}/scores",
    response=responses({200: FeatureScoresOut}),
    summary="A feature's scores under every model",
    description="Its inputs, score, label and position under each live scoring model, and the built-in signals "
    "(votes, demand, companies, ARR…) models can read.",
)
def feature_scores(request: HttpRequest, feature_id: int) -> dict:
    feature = _feature(request, feature_id)
    workspace = workspace_of(request)
    models = ranking.scoring_models(user=request.user, workspace=workspace)
    row = signals.feature_signals(workspace_id=workspace.pk, feature_ids=[feature.pk]).row(feature.pk)
    return {
        "feature": _feature_ref(feature),
        "signals": {name: _finite(value) for name, value in row.items()},
        "scores": [_model_score(request, model, feature) for model in models],
    }


@router.put(
    "/features/{feature_id}/scores/{model_id}",
    response=responses({200: ModelScoreOut}),
    summary="Fill in a feature's score",
    description="PMs and up. The inputs given are merged into those stored (replace "
    'to send them all); null or "" clears one. Each value is checked by the framework: errors name the input '
    "(inputs.reach) and nothing is saved. Archived models: 409.",
)
def feature_score_set(request: HttpRequest, feature_id: int, model_id: int, data: ScoreIn) -> dict:
    feature = _feature(request, feature_id)
    model = _model(request, model_id)
    inputs = {key: ("" if value is None else value) for key, value in data.inputs.items()}
    with _api_fields(_MODEL_RENAMES, under="inputs", known=_SCORE_FIELDS):
        scoring.feature_score_set(actor=request.user, model=model, feature=feature, inputs=inputs, replace=data.replace)
    return _model_score(request, model, feature)


@router.get(
    "/features/{feature_id}/scores/{model_id}/explanation",
    response=responses({200: ExplanationOut}),
    summary="Why a feature ranks where it does",
    description='"Why is this #3": each input\'s contribution to the score, sentences for people, the features '
    "just above and below, and the pin when a person placed it.",
)
def feature_score_explanation(request: HttpRequest, feature_id: int, model_id: int) -> dict:
    feature = _feature(request, feature_id)
    model = _model(request, model_id)
    data = ranking.score_explanation(user=request.user, workspace=workspace_of(request), model=model, feature=feature)

    def neighbour(item: RankedFeature | None) -> dict | None:
        if item is None:
            return None
        return {"feature": _feature_ref(item.feature), "position": item.position, "score": _finite(item.score)}

    return {
        "model": _model_ref(model),
        "feature": _feature_ref(feature),
        "position": data.get("position"),
        "total": data.get("total", 0),
        "score": _finite(data.get("score")),
        "label": data.get("label") or "",
        "method": data.get("method") or "none",
        "rows": [
            {
                "key": row["key"],
                "label": row.get("label", row["key"]),
                "value": _json_value(row.get("value")),
                "contribution": _finite(row.get("contribution")),
                "share": _finite(row.get("share")),
            }
            for row in data.get("rows", [])
        ],
        "sentences": list(data.get("sentences", [])),
        "above": neighbour(data.get("above")),
        "below": neighbour(data.get("below")),
        "pinned": _pin(data.get("pinned")),
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


@router.get(
    "/features/{feature_id}/scores/{model_id}/history",
    response=responses({200: list[ScoreChangeOut]}),
    summary="A feature's score changes under a model",
    description="Newest first: the inputs and the score after each edit, the score before, who made it.",
)
def feature_score_history(request: HttpRequest, feature_id: int, model_id: int, filters: Query[HistoryFilters]) -> list:
    feature = _feature(request, feature_id)
    model = _model(request, model_id)
    changes = ranking.score_history(
        user=request.user, workspace=workspace_of(request), feature=feature, model=model, limit=filters.limit
    )
    return [
        {
            "id": change.pk,
            "model_id": change.scoring_model_id,
            "inputs": change.inputs,
            "score": _finite(change.value),
            "previous_score": _finite(change.previous_value),
            "actor_id": change.actor_id,
            "actor_name": change.actor.full_name if change.actor else "",
            "changed_at": change.changed_at,
        }
        for change in changes
    ]


# --- pins -------------------------------------------------------------------------------------


@router.put(
    "/scoring-models/{model_id}/overrides/{feature_id}",
    response=responses({200: OverrideOut}),
    summary="Pin a feature at a position of a ranking",
    description="PMs and up. The feature stays at that position whatever the scores say (an existing pin of the "
    "feature moves); the reason is shown next to it. Another feature pinned at that position: 409.",
)
def rank_override_set(request: HttpRequest, model_id: int, feature_id: int, data: OverrideIn) -> RankOverride:
    model = _model(request, model_id)
    feature = _feature(request, feature_id)
    with _api_fields(_MODEL_RENAMES):
        return scoring.rank_override_set(
            actor=request.user, model=model, feature=feature, position=data.position, reason=data.reason
        )


@router.delete(
    "/scoring-models/{model_id}/overrides/{feature_id}",
    response=responses({204: None}),
    summary="Unpin a feature",
    description="PMs and up. The feature goes back to its place by score. Not pinned: 404.",
)
def rank_override_clear(request: HttpRequest, model_id: int, feature_id: int) -> Status:
    model = _model(request, model_id)
    feature = _feature(request, feature_id)
    if not RankOverride.objects.filter(scoring_model=model, feature=feature).exists():
        permissions.require(request.user, Action.SCORE_EDIT, model.workspace_id, feature)
        raise NotFound(f"{feature.ref} is not pinned in {model.name}.")
    with _api_fields(_MODEL_RENAMES):
        scoring.rank_override_clear(actor=request.user, model=model, feature=feature)
    return Status(204, None)
