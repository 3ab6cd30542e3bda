"""Scoring services: models, scores with history and audit, pasting (all or nothing, errors naming
row and column), pins, re-ranking the backlog, and who may do each."""

from __future__ import annotations

import pytest
from django.utils import timezone

from headway.backlog.models import Feature, WorkflowStatus
from headway.backlog.tests import factories as backlog
from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.prioritization.models import (
    FeatureScore,
    FeatureScoreChange,
    ProductScoringModel,
    RankOverride,
    ScoringModel,
)
from headway.prioritization.services import scoring
from headway.prioritization.tests.factories import FeatureScoreFactory, ScoringModelFactory

RICE = {"reach": "500", "impact": "high", "confidence": "80%", "effort": "2"}


@pytest.fixture
def product(workspace, leader):
    return backlog.product(leader, workspace, "PAY")


@pytest.fixture
def rice(workspace):
    return ScoringModelFactory(workspace=workspace, name="RICE", framework="rice")


def audits(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# ── models ────────────────────────────────────────────────────────────────────────────────────


def test_create_a_model(workspace, leader):
    model = scoring.scoring_model_create(
        actor=leader, workspace=workspace, name="  Growth   ICE ", framework="ice", config={"mode": "product"}
    )
    assert (model.name, model.framework, model.config, model.is_default) == (
        "Growth ICE",
        "ice",
        {"mode": "product", "sources": {}},
        False,
    )
    assert model.created_by == leader
    rice = scoring.scoring_model_create(actor=leader, workspace=workspace, name="RICE", framework="rice")
    assert rice.config == {"sources": {}}
    [event] = audits("scoring_model.create")[:1]
    assert (event.actor, event.target_id, event.changes) == (
        leader,
        model.pk,
        {"framework": [None, "ice"], "is_default": [False, False]},
    )


def test_one_default_per_workspace(workspace, leader):
    first = scoring.scoring_model_create(actor=leader, workspace=workspace, name="A", framework="rice", is_default=True)
    second = scoring.scoring_model_create(
        actor=leader, workspace=workspace, name="B", framework="wsjf", is_default=True
    )
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    scoring.scoring_model_update(actor=leader, model=first, is_default=True)
    second.refresh_from_db()
    assert list(ScoringModel.objects.filter(is_default=True)) == [first]


def test_model_errors_name_the_field(workspace, leader, rice):
    cases = [
        (dict(name="rice", framework="rice"), "name: A scoring model named 'rice' already exists."),
        (dict(name=" ", framework="rice"), "name: Enter a name."),
        (dict(name="X", framework="magic"),
         "framework: Choose one of rice, ice, wsjf, weighted, value_effort, moscow, kano, custom."),
        (dict(name="X", framework="weighted", config={"criteria": [{"key": "a", "weight": -1}]}),
         "criteria: weight must be more than 0 for 'A'."),
        (dict(name="X", framework="custom", config={"formula": "reach +", "inputs": ["reach"]}),
         "formula: The formula ends too early; expected a number, a name or '(' at position 7"),
    ]  # fmt: skip
    for arguments, message in cases:
        with pytest.raises(ValidationFailed) as caught:
            scoring.scoring_model_create(actor=leader, workspace=workspace, **arguments)
        assert caught.value.message == message
    assert ScoringModel.objects.count() == 1


def test_update_rescores_stored_scores(workspace, leader, product):
    model = scoring.scoring_model_create(actor=leader, workspace=workspace, name="ICE", framework="ice")
    feature = backlog.feature(leader, product, "Exports")
    FeatureScoreFactory(feature=feature, scoring_model=model, inputs={"impact": 8, "confidence": 6, "ease": 4})
    assert FeatureScore.objects.get().value == 6.0
    scoring.scoring_model_update(actor=leader, model=model, config={"mode": "product"}, description="Multiplied")
    stored = FeatureScore.objects.get()
    assert stored.value == 192.0
    change = FeatureScoreChange.objects.get()
    assert (change.previous_value, change.value, change.actor) == (6.0, 192.0, leader)
    [event] = audits("scoring_model.update")
    assert event.changes["config"] == [{"mode": "average", "sources": {}}, {"mode": "product", "sources": {}}]
    assert event.changes["rescored"] == [0, 1]
    assert model.description == "Multiplied"
    with pytest.raises(ValidationFailed) as caught:
        scoring.scoring_model_update(actor=leader, model=model, framework="rice")
    assert caught.value.message.startswith("framework: Not something you can change")
    scoring.scoring_model_update(actor=leader, model=model, config={"mode": "product"})  # the same: nothing
    assert len(audits("scoring_model.update")) == 1


def test_archive_and_product_default(workspace, leader, product, rice):
    scoring.product_scoring_model_set(actor=leader, product=product, model=rice)
    assert ProductScoringModel.objects.get().scoring_model == rice
    assert audits("product.scoring_model")[0].changes == {"scoring_model": [None, rice.pk]}
    rice.is_default = True
    rice.save()
    scoring.scoring_model_archive(actor=leader, model=rice)
    rice.refresh_from_db()
    assert rice.archived_at is not None and rice.is_default is False
    assert not ProductScoringModel.objects.exists()
    with pytest.raises(ValidationFailed):
        scoring.product_scoring_model_set(actor=leader, product=product, model=rice)
    other = ScoringModelFactory(workspace=workspace, framework="wsjf")
    scoring.product_scoring_model_set(actor=leader, product=product, model=other)
    scoring.product_scoring_model_set(actor=leader, product=product, model=None)
    assert not ProductScoringModel.objects.exists()
    assert [e.changes for e in audits("product.scoring_model")][1:] == [
        {"scoring_model": [None, other.pk]},
        {"scoring_model": [other.pk, None]},
    ]


# ── scores ────────────────────────────────────────────────────────────────────────────────────


def test_score_a_feature_with_history_and_audit(pm, product, rice, leader):
    feature = backlog.feature(leader, product, "Exports")
    score = scoring.feature_score_set(actor=pm, model=rice, feature=feature, inputs=RICE)
    assert (score.inputs, score.value, score.updated_by) == (
        {"reach": 500, "impact": 2, "confidence": 80, "effort": 2},
        400.0,
        pm,
    )
    scoring.feature_score_set(actor=pm, model=rice, feature=feature, inputs={"effort": "4"})  # merged
    scoring.feature_score_set(actor=pm, model=rice, feature=feature, inputs={"effort": "4.0"})  # unchanged
    scoring.feature_score_set(actor=pm, model=rice, feature=feature, inputs={"impact": ""})  # cleared
    stored = FeatureScore.objects.get()
    assert (stored.inputs, stored.value) == ({"reach": 500, "confidence": 80, "effort": 4}, None)
    history = list(FeatureScoreChange.objects.order_by("id").values_list("previous_value", "value"))
    assert history == [(None, 400.0), (400.0, 200.0), (200.0, None)]
    events = audits("feature_score.set")
    assert len(events) == 3 and events[1].target_id == feature.pk
    assert events[1].changes["value"] == [400.0, 200.0]
    scoring.feature_score_set(actor=pm, model=rice, feature=feature, inputs={"reach": "10"}, replace=True)
    assert FeatureScore.objects.get().inputs == {"reach": 10}


def test_labels_are_stored(pm, product, workspace, leader):
    model = ScoringModelFactory(workspace=workspace, framework="moscow")
    feature = backlog.feature(leader, product, "Exports")
    score = scoring.feature_score_set(actor=pm, model=model, feature=feature, inputs={"category": "Must have"})
    assert (score.value, score.label) == (3.0, "must")


def test_bad_inputs_store_nothing(pm, product, rice, leader):
    feature = backlog.feature(leader, product, "Exports")
    with pytest.raises(ValidationFailed) as caught:
        scoring.feature_score_set(actor=pm, model=rice, feature=feature, inputs={"reach": "5", "impact": "huge"})
    assert caught.value.fields == {"impact": ["Choose one of 3, 2, 1, 0.5, 0.25."]}
    assert not FeatureScore.objects.exists() and not FeatureScoreChange.objects.exists()
    nothing = scoring.feature_score_set(actor=pm, model=rice, feature=feature, inputs={"reach": ""})
    assert nothing.pk is None and not FeatureScore.objects.exists()


def test_scores_of_signal_models_read_the_signals(pm, product, workspace, leader):
    model = ScoringModelFactory(workspace=workspace, framework="value_effort")
    feature = backlog.feature(leader, product, "Exports", effort=4)
    score = scoring.feature_score_set(actor=pm, model=model, feature=feature, inputs={"value": "8"})
    assert (score.value, score.label) == (2.0, "quick_win")


def test_other_workspace_and_archived_model(pm, product, rice, leader, other_workspace, outsider):
    elsewhere = backlog.feature(outsider, backlog.product(outsider, other_workspace, "GLX"), "Theirs")
    with pytest.raises(NotFound):
        scoring.feature_score_set(actor=pm, model=rice, feature=elsewhere, inputs=RICE)
    with pytest.raises(NotFound):
        scoring.feature_score_set(actor=outsider, model=rice, feature=elsewhere, inputs=RICE)
    rice.archived_at = timezone.now()
    rice.save()
    with pytest.raises(ValidationFailed) as caught:
        scoring.feature_score_set(actor=pm, model=rice, feature=backlog.feature(leader, product, "X"), inputs=RICE)
    assert caught.value.message == "model: This scoring model is archived."


@pytest.mark.parametrize(
    ("role", "score", "manage"),
    [("viewer", False, False), ("contributor", False, False), ("pm", True, False), ("leader", True, True),
     ("admin", True, True)],
)  # fmt: skip
def test_permissions(member, workspace, leader, product, rice, role, score, manage):
    person = member(role)
    feature = backlog.feature(leader, product, "Exports")
    attempts = {
        "score": lambda: scoring.feature_score_set(actor=person, model=rice, feature=feature, inputs=RICE),
        "paste": lambda: scoring.feature_scores_paste(actor=person, model=rice, text=f"{feature.ref}\t1\t1\t100\t1"),
        "pin": lambda: scoring.rank_override_set(actor=person, model=rice, feature=feature, position=1),
        "unpin": lambda: scoring.rank_override_clear(actor=person, model=rice, feature=feature),
    }
    for name, attempt in attempts.items():
        if score:
            attempt()
        else:
            with pytest.raises(PermissionDenied):
                attempt()
    manages = {
        "create": lambda: scoring.scoring_model_create(actor=person, workspace=workspace, name="New", framework="ice"),
        "update": lambda: scoring.scoring_model_update(actor=person, model=rice, name="Renamed"),
        "product": lambda: scoring.product_scoring_model_set(actor=person, product=product, model=rice),
        "archive": lambda: scoring.scoring_model_archive(actor=person, model=rice),
    }
    for name, attempt in manages.items():
        if manage:
            attempt()
        else:
            with pytest.raises(PermissionDenied):
                attempt()
    if not score:
        assert not FeatureScore.objects.exists() and not RankOverride.objects.exists()
    if not manage:
        assert list(ScoringModel.objects.values_list("name", "archived_at")) == [("RICE", None)]
        assert not ProductScoringModel.objects.exists()


# ── paste ─────────────────────────────────────────────────────────────────────────────────────


def test_paste_with_references_and_a_header(pm, product, rice, leader):
    a, b, c = backlog.features(leader, product, 3)
    text = (
        "Feature\tTitle\tReach\tImpact\tConfidence\tEffort\n"
        f"{a.ref}\tF1\t500\thigh\t80%\t2\n"
        f"{b.ref.lower()}\tF2\t1,000\t1\t0.5\t5\n"
        "\n"
        f"{c.ref}\tF3\t\t\t\t\n"
    )
    result = scoring.feature_scores_paste(actor=pm, model=rice, text=text)
    assert (result.saved, result.unchanged, result.errors) == (2, 1, [])
    assert dict(FeatureScore.objects.values_list("feature__title", "value")) == {"F1": 400.0, "F2": 100.0}
    again = scoring.feature_scores_paste(actor=pm, model=rice, text=text)
    assert (again.saved, again.unchanged) == (0, 3)
    assert FeatureScoreChange.objects.count() == 2


def test_paste_is_all_or_nothing_and_names_row_and_column(pm, product, rice, leader):
    a, b = backlog.features(leader, product, 2)
    text = f"{a.ref},500,2,80,2\n{b.ref},lots,2,70%,2\nPAY-99,1,1,100,1\nnot a ref,1\n{a.ref},1,1,100,1,7\n"
    result = scoring.feature_scores_paste(actor=pm, model=rice, text=text)
    assert (result.saved, result.unchanged) == (0, 0)
    assert result.errors == [
        "Row 2, Reach: Enter a number.",
        "Row 2, Confidence: Choose one of 100%, 80%, 50%.",
        "Row 3: there is no feature PAY-99 in this workspace.",
        "Row 4: start the row with a feature reference such as PAY-12, not 'not a ref'.",
        "Row 5: 5 values, but the columns are Reach, Impact, Confidence, Effort.",
    ]
    assert not FeatureScore.objects.exists()


def test_paste_into_given_features(pm, product, rice, leader, workspace, other_workspace, outsider):
    a, b = backlog.features(leader, product, 2)
    model = ScoringModelFactory(workspace=workspace, framework="rice", config={"sources": {"reach": "votes"}})
    # Columns follow the typed inputs (reach comes from votes); a header may name them in any order.
    result = scoring.feature_scores_paste(
        actor=pm, model=model, text="Effort\tImpact\tConfidence\n2\t3\t100\n4\tlow\t50", feature_ids=[b.pk, a.pk]
    )
    assert result.errors == [] and result.saved == 2
    assert FeatureScore.objects.get(feature=a).inputs == {"effort": 4, "impact": 0.5, "confidence": 50}
    assert FeatureScore.objects.get(feature=b).value == 0.0  # no votes yet
    elsewhere = backlog.feature(outsider, backlog.product(outsider, other_workspace, "GLX"), "Theirs")
    result = scoring.feature_scores_paste(actor=pm, model=rice, text="1\t1\t100\t1\n2\t1\t100\t1\n3\t1\t100\t1",
                                          feature_ids=[a.pk, elsewhere.pk])  # fmt: skip
    assert result.errors == [
        f"Row 2: feature {elsewhere.pk} is not in this workspace.",
        "Row 3: there are more rows than features (2).",
    ]
    assert scoring.feature_scores_paste(actor=pm, model=rice, text="  \n").errors == ["Paste at least one row."]


# ── pins ──────────────────────────────────────────────────────────────────────────────────────


def test_pins_move_and_displace(pm, product, rice, leader):
    a, b, c = backlog.features(leader, product, 3)
    pin = scoring.rank_override_set(actor=pm, model=rice, feature=a, position=2, reason=" Promised  to Acme ")
    assert (pin.position, pin.reason, pin.created_by) == (2, "Promised to Acme", pm)
    scoring.rank_override_set(actor=pm, model=rice, feature=b, position=1)
    moved = scoring.rank_override_set(actor=pm, model=rice, feature=a, position=1)  # b is unpinned
    assert moved.pk == pin.pk
    assert list(RankOverride.objects.values_list("feature_id", "position")) == [(a.pk, 1)]
    event = audits("rank_override.set")[-1]
    assert event.changes == {"position": [2, 1], "unpinned": [b.ref, None], "reason": ["Promised to Acme", ""]}
    for bad in (0, -1, "2", True):
        with pytest.raises(ValidationFailed) as caught:
            scoring.rank_override_set(actor=pm, model=rice, feature=c, position=bad)
        assert caught.value.message == "position: Enter a position of 1 or more."
    scoring.rank_override_clear(actor=pm, model=rice, feature=a)
    scoring.rank_override_clear(actor=pm, model=rice, feature=a)  # nothing to clear
    assert not RankOverride.objects.exists()
    assert [e.changes for e in audits("rank_override.clear")] == [{"position": [1, None]}]


# ── re-rank the backlog ───────────────────────────────────────────────────────────────────────


def backlog_order(product) -> list[str]:
    return list(Feature.objects.filter(product=product).order_by("rank").values_list("title", flat=True))


def test_backlog_rerank(workspace, leader, product, rice):
    titles = ["Done", "Low", "Unscored 1", "High", "Archived", "Pinned", "Unscored 2", "Mid"]
    features = {title: backlog.feature(leader, product, title) for title in titles}
    for title, reach in (("Low", 10), ("High", 300), ("Mid", 100), ("Pinned", 1), ("Done", 999), ("Archived", 999)):
        FeatureScoreFactory(feature=features[title], scoring_model=rice,
                            inputs={"reach": reach, "impact": 1, "confidence": 100, "effort": 1})  # fmt: skip
    Feature.objects.filter(pk=features["Done"].pk).update(
        status=WorkflowStatus.objects.get(workspace=workspace, name="Released")
    )
    Feature.objects.filter(pk=features["Archived"].pk).update(archived_at=timezone.now())
    RankOverride.objects.create(workspace=workspace, scoring_model=rice, feature=features["Pinned"], position=2)
    moved = scoring.backlog_rerank(actor=leader, model=rice, product=product)
    assert backlog_order(product) == [
        "High", "Pinned", "Mid", "Low", "Unscored 1", "Unscored 2", "Done", "Archived"
    ]  # fmt: skip
    # Kept in place: the longest run already in order (Low, Unscored 1, Unscored 2 …); the rest moved.
    assert moved == 5
    assert audits("backlog.rerank")[0].changes == {"scoring_model": [None, "RICE"], "moved": [0, 5]}
    assert scoring.backlog_rerank(actor=leader, model=rice, product=product) == 0
    assert backlog_order(product)[:2] == ["High", "Pinned"]


def test_rerank_needs_the_product(workspace, member, leader, product, rice):
    backlog.features(leader, product, 2)
    other_pm = member("pm")
    with pytest.raises(PermissionDenied):
        scoring.backlog_rerank(actor=other_pm, model=rice, product=product)
    owner = member("pm")
    product.owner = owner
    product.save()
    assert scoring.backlog_rerank(actor=owner, model=rice, product=product) == 0


def test_rerank_many_moves_keep_keys_short(workspace, leader, product, rice):
    features = backlog.features(leader, product, 60)
    for i, feature in enumerate(features):
        FeatureScoreFactory(feature=feature, scoring_model=rice,
                            inputs={"reach": i, "impact": 1, "confidence": 100, "effort": 1})  # fmt: skip
    assert scoring.backlog_rerank(actor=leader, model=rice, product=product) == 59  # reversed: all but one move
    assert backlog_order(product) == [f"F{i}" for i in range(60, 0, -1)]
    assert max(len(rank) for rank in Feature.objects.values_list("rank", flat=True)) <= 12
