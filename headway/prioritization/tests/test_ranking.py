"""Rankings: order by score with pins, closed and archived features, search and pages, "why is this
#3" with exact numbers, history, the grid, the matrix, and who may read them."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from django.utils import timezone

from headway.backlog.models import Feature, WorkflowStatus
from headway.backlog.tests import factories as backlog
from headway.core.errors import NotFound
from headway.ideas.tests import factories as ideas
from headway.prioritization import frameworks
from headway.prioritization.models import FeatureScoreChange, ProductScoringModel, RankOverride
from headway.prioritization.selectors import ranking
from headway.prioritization.tests.factories import FeatureScoreFactory, ScoringModelFactory


def rice_inputs(reach, impact=1, confidence=100, effort=1):
    return {"reach": reach, "impact": impact, "confidence": confidence, "effort": effort}


@pytest.fixture
def board(workspace, leader):
    """PAY with six features under a RICE model: scores 400, 100, 50, 200; one unscored; one
    released (score 900); one archived (score 1000). Backlog order is creation order."""
    product = backlog.product(leader, workspace, "PAY")
    a, b, c, d, unscored, released, archived = (
        backlog.feature(leader, product, title) for title in ("Alpha", "Beta", "Gamma", "Delta", "Eps", "Zeta", "Eta")
    )
    model = ScoringModelFactory(workspace=workspace, name="RICE", framework="rice", is_default=True)
    FeatureScoreFactory(feature=a, scoring_model=model, inputs=rice_inputs(500, 2, 80, 2))  # 400
    FeatureScoreFactory(feature=b, scoring_model=model, inputs=rice_inputs(100))  # 100
    FeatureScoreFactory(feature=c, scoring_model=model, inputs=rice_inputs(100, 0.5))  # 50
    FeatureScoreFactory(feature=d, scoring_model=model, inputs=rice_inputs(200))  # 200
    FeatureScoreFactory(feature=unscored, scoring_model=model, inputs={"reach": 10})  # incomplete
    FeatureScoreFactory(feature=released, scoring_model=model, inputs=rice_inputs(900))
    FeatureScoreFactory(feature=archived, scoring_model=model, inputs=rice_inputs(1000))
    Feature.objects.filter(pk=released.pk).update(
        status=WorkflowStatus.objects.get(workspace=workspace, name="Released")
    )
    Feature.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    return {
        "product": product,
        "model": model,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "unscored": unscored,
        "released": released,
        "archived": archived,
    }


def titles(result: ranking.Ranking) -> list[str]:
    return [item.feature.title for item in result.items]


def test_ranked_by_score_unscored_last(board, viewer, workspace, django_assert_num_queries):
    # roles, candidates, stored scores, pins, the page's features and inputs (RICE reads no signal)
    with django_assert_num_queries(6):
        result = ranking.ranked_features(user=viewer, workspace=workspace, model=board["model"])
    assert titles(result) == ["Alpha", "Delta", "Beta", "Gamma", "Eps"]
    assert [item.position for item in result.items] == [1, 2, 3, 4, 5]
    assert [item.score for item in result.items] == [400.0, 200.0, 100.0, 50.0, None]
    assert [item.score_position for item in result.items] == [1, 2, 3, 4, None]
    assert (result.total, result.unscored, result.page, result.pages) == (5, 1, 1, 1)
    first = result.items[0]
    assert first.inputs == rice_inputs(500, 2, 80, 2)
    assert first.feature.product.key == "PAY" and first.feature.status.name == "New"
    assert first.signals == {} and first.pinned is None


def test_closed_and_archived(board, leader, viewer, workspace):
    result = ranking.ranked_features(user=viewer, workspace=workspace, model=board["model"], include_closed=True)
    assert titles(result) == ["Zeta", "Alpha", "Delta", "Beta", "Gamma", "Eps"]  # archived never
    other = backlog.product(leader, workspace, "OPS")
    backlog.feature(leader, other, "Elsewhere")
    only = ranking.ranked_features(user=viewer, workspace=workspace, model=board["model"], product_id=other.pk)
    assert titles(only) == ["Elsewhere"]
    assert (only.total, only.unscored) == (1, 1)


def test_pins_hold_their_place(board, leader, viewer, workspace):
    model = board["model"]
    RankOverride.objects.create(workspace=workspace, scoring_model=model, feature=board["c"], position=1, reason="CEO")
    RankOverride.objects.create(workspace=workspace, scoring_model=model, feature=board["unscored"], position=3)
    result = ranking.ranked_features(user=viewer, workspace=workspace, model=model)
    assert titles(result) == ["Gamma", "Alpha", "Eps", "Delta", "Beta"]
    assert [item.score_position for item in result.items] == [4, 1, None, 2, 3]
    assert result.items[0].pinned.reason == "CEO"
    assert result.items[2].pinned.position == 3


def test_pins_beyond_the_end_sit_last(board, viewer, workspace):
    model = board["model"]
    RankOverride.objects.create(workspace=workspace, scoring_model=model, feature=board["a"], position=40)
    RankOverride.objects.create(workspace=workspace, scoring_model=model, feature=board["b"], position=9)
    result = ranking.ranked_features(user=viewer, workspace=workspace, model=model)
    assert titles(result) == ["Delta", "Gamma", "Eps", "Beta", "Alpha"]


def test_search_keeps_positions_and_pages(board, viewer, workspace):
    model = board["model"]
    found = ranking.ranked_features(user=viewer, workspace=workspace, model=model, q="ta")  # Delta, Beta
    assert [(item.position, item.feature.title) for item in found.items] == [(2, "Delta"), (3, "Beta")]
    assert (found.total, found.unscored) == (2, 0)
    by_ref = ranking.ranked_features(user=viewer, workspace=workspace, model=model, q=board["c"].ref.lower())
    assert [(item.position, item.feature.title) for item in by_ref.items] == [(4, "Gamma")]
    second = ranking.ranked_features(user=viewer, workspace=workspace, model=model, page=2, per_page=2)
    assert [(item.position, item.feature.title) for item in second.items] == [(3, "Beta"), (4, "Gamma")]
    assert (second.page, second.pages, second.total) == (2, 3, 5)
    beyond = ranking.ranked_features(user=viewer, workspace=workspace, model=model, page=99, per_page=2)
    assert beyond.page == 3 and titles(beyond) == ["Eps"]
    everything = ranking.ranked_features(user=viewer, workspace=workspace, model=model, per_page=None)
    assert len(everything.items) == 5 and everything.pages == 1


def test_a_model_reading_signals_scores_afresh(board, leader, viewer, workspace, django_assert_num_queries):
    portal = ideas.portal(leader, workspace)
    from headway.ideas.services.features import idea_link_feature

    for title in ("One", "Two", "Three"):
        idea_link_feature(actor=leader, idea=ideas.idea(leader, portal, title), feature=board["c"])  # 3 votes
    idea_link_feature(actor=leader, idea=ideas.idea(leader, portal, "Four"), feature=board["b"])  # 1 vote
    Feature.objects.filter(pk__in=[board["b"].pk, board["c"].pk]).update(effort=2)
    model = ScoringModelFactory(
        workspace=workspace, framework="custom", config={"formula": "votes * 10 / effort", "inputs": []}
    )
    with django_assert_num_queries(10):  # also the inputs and the signals it reads, for every candidate
        result = ranking.ranked_features(user=viewer, workspace=workspace, model=model)
    assert titles(result) == ["Gamma", "Beta", "Alpha", "Delta", "Eps"]
    assert [item.score for item in result.items] == [15.0, 5.0, None, None, None]
    assert result.unscored == 3
    assert result.items[0].signals["votes"] == 3.0


def test_rank_order_matches_the_frameworks_rank():
    rng = random.Random(7)
    for _ in range(200):
        count = rng.randint(1, 12)
        scores = [rng.choice([None, float(rng.randint(0, 5))]) for _ in range(count)]
        positions = rng.sample(range(count), rng.randint(0, count))
        pins = dict(zip(rng.sample(range(count), len(positions)), positions, strict=True))
        array = np.array([math.nan if s is None else s for s in scores])
        assert ranking.rank_order(array, pins) == frameworks.rank(scores, pins)


def test_explanation_of_a_rice_score(board, viewer, workspace, django_assert_num_queries):
    with django_assert_num_queries(13):
        why = ranking.score_explanation(user=viewer, workspace=workspace, model=board["model"], feature=board["d"])
    assert (why["position"], why["total"], why["score"], why["method"]) == (2, 5, 200.0, "log")
    logs = {"reach": math.log(200), "impact": 0.0, "confidence": 0.0, "effort": 0.0}
    assert [(row["key"], row["label"], row["value"]) for row in why["rows"]] == [
        ("reach", "Reach", 200),
        ("impact", "Impact", 1),
        ("confidence", "Confidence", 100),
        ("effort", "Effort", 1),
    ]
    assert [row["contribution"] for row in why["rows"]] == pytest.approx([200.0, 1.0, 1.0, 1.0])
    assert [row["share"] for row in why["rows"]] == [1.0, 0.0, 0.0, 0.0]
    assert why["above"].feature.title == "Alpha" and why["above"].position == 1
    assert why["below"].feature.title == "Beta" and why["below"].position == 3
    assert why["sentences"] == [
        "200 reach × 1 impact × 100% confidence ÷ 1 person-months = 200",
        "Reach moves the score most: it multiplies it by 200.",
    ]
    assert logs["reach"] == pytest.approx(math.log(why["rows"][0]["contribution"]))


def test_explanation_shares_and_pins(board, viewer, workspace):
    model = board["model"]
    RankOverride.objects.create(
        workspace=workspace, scoring_model=model, feature=board["a"], position=4, reason="Waits"
    )
    why = ranking.score_explanation(user=viewer, workspace=workspace, model=model, feature=board["a"])
    # 500 × 2 × 0.8 / 2: ln 500, ln 2, ln 0.8, −ln 2
    sizes = [math.log(500), math.log(2), -math.log(0.8), math.log(2)]
    assert [row["share"] for row in why["rows"]] == pytest.approx([s / sum(sizes) for s in sizes])
    assert [row["contribution"] for row in why["rows"]] == pytest.approx([500, 2, 0.8, 0.5])
    assert why["position"] == 4 and why["pinned"].reason == "Waits"
    assert why["sentences"][-1] == "Pinned at #4 (Waits); its score alone would put it at #1."
    assert why["above"].feature.title == "Gamma" and why["below"].feature.title == "Eps"


def test_explanation_of_an_unscored_feature(board, viewer, workspace):
    why = ranking.score_explanation(user=viewer, workspace=workspace, model=board["model"], feature=board["unscored"])
    assert (why["position"], why["score"], why["rows"], why["method"]) == (5, None, [], "none")
    assert why["sentences"] == ["Not scored yet: Impact, Confidence, Effort are missing."]
    assert why["below"] is None and why["above"].feature.title == "Gamma"


def test_explanation_of_additive_scores(workspace, leader, viewer):
    product = backlog.product(leader, workspace, "WS")
    feature = backlog.feature(leader, product, "Weighted")
    model = ScoringModelFactory(workspace=workspace, framework="weighted")
    FeatureScoreFactory(feature=feature, scoring_model=model, inputs={"value": 4, "cost": 2})
    why = ranking.score_explanation(user=viewer, workspace=workspace, model=model, feature=feature)
    assert why["method"] == "additive" and why["score"] == pytest.approx(75.0)
    assert [(row["label"], row["value"]) for row in why["rows"]] == [("Customer value", 4), ("Cost", 2)]
    assert [row["contribution"] for row in why["rows"]] == pytest.approx([50.0, 25.0])
    assert [row["share"] for row in why["rows"]] == pytest.approx([2 / 3, 1 / 3])


def test_default_model(board, workspace, leader, viewer):
    model = board["model"]
    other = ScoringModelFactory(workspace=workspace, name="Alpha WSJF", framework="wsjf")
    assert ranking.default_model(user=viewer, workspace=workspace) == model
    assert ranking.default_model(user=viewer, workspace=workspace, product_id=board["product"].pk) == model
    ProductScoringModel.objects.create(workspace=workspace, product=board["product"], scoring_model=other)
    assert ranking.default_model(user=viewer, workspace=workspace, product_id=board["product"].pk) == other
    model.is_default = False
    model.save()
    assert ranking.default_model(user=viewer, workspace=workspace) == other  # first by name
    ScoringModelFactory(workspace=workspace, name="Archived", archived_at=timezone.now())
    assert [m.name for m in ranking.scoring_models(user=viewer, workspace=workspace)] == ["Alpha WSJF", "RICE"]
    assert len(ranking.scoring_models(user=viewer, workspace=workspace, include_archived=True)) == 3
    assert ranking.scoring_model_get(user=viewer, workspace=workspace, model_id=other.pk) == other


def test_no_model(workspace, viewer):
    assert ranking.default_model(user=viewer, workspace=workspace) is None


def test_other_workspaces_and_outsiders(board, workspace, other_workspace, outsider, viewer, leader):
    model = board["model"]
    theirs = ScoringModelFactory(workspace=other_workspace)
    with pytest.raises(NotFound):
        ranking.scoring_model_get(user=viewer, workspace=workspace, model_id=theirs.pk)
    with pytest.raises(NotFound):
        ranking.ranked_features(user=viewer, workspace=workspace, model=theirs)
    with pytest.raises(NotFound):
        ranking.ranked_features(user=outsider, workspace=workspace, model=model)
    with pytest.raises(NotFound):
        ranking.scoring_models(user=outsider, workspace=workspace)
    portal = ideas.portal(leader, workspace)
    customer = ideas.portal_user(portal)
    for call in (
        lambda: ranking.ranked_features(user=customer, workspace=workspace, model=model),
        lambda: ranking.score_explanation(user=customer, workspace=workspace, model=model, feature=board["a"]),
        lambda: ranking.score_grid(user=customer, workspace=workspace, model=model),
        lambda: ranking.matrix_points(user=customer, workspace=workspace, model=model),
        lambda: ranking.score_history(user=customer, workspace=workspace, feature=board["a"]),
        lambda: ranking.default_model(user=customer, workspace=workspace),
    ):
        with pytest.raises(NotFound):
            call()
    elsewhere = backlog.feature(outsider, backlog.product(outsider, other_workspace, "GLX"), "Theirs")
    with pytest.raises(NotFound):
        ranking.score_explanation(user=viewer, workspace=workspace, model=model, feature=elsewhere)


def test_history_newest_first(board, workspace, leader, viewer, django_assert_num_queries):
    model = board["model"]
    for value, previous in ((1.0, None), (2.0, 1.0), (3.0, 2.0)):
        FeatureScoreChange.objects.create(
            workspace=workspace, feature=board["a"], scoring_model=model, value=value, previous_value=previous,
            actor=leader,
        )  # fmt: skip
    with django_assert_num_queries(2):
        rows = ranking.score_history(user=viewer, workspace=workspace, feature=board["a"], limit=2)
        assert [(r.value, r.previous_value, r.actor.full_name, r.scoring_model.name) for r in rows] == [
            (3.0, 2.0, "Lee Leader", "RICE"),
            (2.0, 1.0, "Lee Leader", "RICE"),
        ]
    other = ScoringModelFactory(workspace=workspace, framework="ice")
    assert ranking.score_history(user=viewer, workspace=workspace, feature=board["a"], model=other) == []


def test_grid_rows(board, workspace, viewer, django_assert_num_queries):
    with django_assert_num_queries(10):
        grid = ranking.score_grid(user=viewer, workspace=workspace, model=board["model"], per_page=3)
    assert [row["feature"].title for row in grid["rows"]] == ["Alpha", "Beta", "Gamma"]
    assert (grid["total"], grid["pages"], grid["page"]) == (5, 2, 1)
    assert grid["rows"][0]["inputs"] == rice_inputs(500, 2, 80, 2) and grid["rows"][0]["value"] == 400.0
    assert grid["spec"].framework == "rice" and set(grid["rows"][0]["signals"]) == set(frameworks.SIGNALS)
    last = ranking.score_grid(user=viewer, workspace=workspace, model=board["model"], per_page=3, page=2)
    assert [(row["feature"].title, row["value"]) for row in last["rows"]] == [("Delta", 200.0), ("Eps", None)]
    found = ranking.score_grid(user=viewer, workspace=workspace, model=board["model"], q="gam")
    assert [row["feature"].title for row in found["rows"]] == ["Gamma"]


def test_matrix_points(workspace, leader, viewer):
    product = backlog.product(leader, workspace, "MX")
    quick, bet, sink, fill, _ = (
        backlog.feature(leader, product, title, effort=effort)
        for title, effort in (("Quick", 2), ("Bet", 8), ("Sink", 9), ("Fill", 1), ("No value", 3))
    )
    backlog.feature(leader, product, "No estimate")
    model = ScoringModelFactory(workspace=workspace, framework="value_effort")
    for feature, value in ((quick, 9), (bet, 7), (sink, 2), (fill, 3)):
        FeatureScoreFactory(feature=feature, scoring_model=model, inputs={"value": value})
    points = ranking.matrix_points(user=viewer, workspace=workspace, model=model)
    assert [(p["title"], p["value"], p["effort"], p["quadrant"], p["score"]) for p in points] == [
        ("Quick", 9.0, 2.0, "quick_win", 4.5),
        ("Bet", 7.0, 8.0, "big_bet", 0.875),
        ("Sink", 2.0, 9.0, "time_sink", 2 / 9),
        ("Fill", 3.0, 1.0, "fill_in", 3.0),
    ]
    assert points[0]["ref"] == "MX-1" and points[0]["url"] == f"/w/acme/backlog/features/{quick.pk}/"
    assert points[0]["demand"] == 0.0


def test_matrix_of_rice_uses_the_numerator_and_median_effort(board, workspace, viewer):
    Feature.objects.filter(pk__in=[board["a"].pk, board["b"].pk, board["c"].pk]).update(effort=3)
    Feature.objects.filter(pk=board["d"].pk).update(effort=13)
    points = ranking.matrix_points(user=viewer, workspace=workspace, model=board["model"])
    # values: 500 × 2 × 0.8 = 800, 100, 50, 200; value line: their median 150; effort line: median 3
    assert [(p["title"], p["value"], p["quadrant"]) for p in points] == [
        ("Alpha", 800.0, "quick_win"),
        ("Beta", 100.0, "fill_in"),
        ("Gamma", 50.0, "fill_in"),
        ("Delta", 200.0, "big_bet"),
    ]


def test_explanation_of_kano_and_a_formula(workspace, leader, viewer):
    product = backlog.product(leader, workspace, "KX")
    feature = backlog.feature(leader, product, "Survey", effort=2)
    kano = ScoringModelFactory(workspace=workspace, framework="kano")
    answers = [["like", "dislike"], ["like", "dislike"], ["like", "neutral"], ["expect", "dislike"]]
    FeatureScoreFactory(feature=feature, scoring_model=kano, inputs={"answers": answers})
    why = ranking.score_explanation(user=viewer, workspace=workspace, model=kano, feature=feature)
    assert (why["method"], why["label"], why["score"]) == ("share", "O", 0.75)
    assert [(row["key"], row["label"], row["value"], row["share"]) for row in why["rows"]] == [
        ("M", "Must be", 1.0, 0.25),
        ("O", "One dimensional", 2.0, 0.5),
        ("A", "Attractive", 1.0, 0.25),
        ("I", "Indifferent", 0.0, 0.0),
        ("R", "Reverse", 0.0, 0.0),
        ("Q", "Questionable", 0.0, 0.0),
    ]
    custom = ScoringModelFactory(
        workspace=workspace, framework="custom", config={"formula": "reach * 3 + 10 / effort", "inputs": ["reach"]}
    )
    FeatureScoreFactory(feature=feature, scoring_model=custom, inputs={"reach": 4})
    why = ranking.score_explanation(user=viewer, workspace=workspace, model=custom, feature=feature)
    assert (why["method"], why["score"]) == ("sensitivity", 17.0)
    # reach adds 12 (17 − 5); effort cannot be set to 0 (10 / 0): left out
    assert [(row["key"], row["label"], row["value"], row["contribution"]) for row in why["rows"]] == [
        ("reach", "Reach", 4, 12.0),
        ("effort", "Effort estimate", 2.0, None),
    ]
