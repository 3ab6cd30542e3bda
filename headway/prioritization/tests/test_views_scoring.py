"""Scoring pages: the ranking (pins, applying the order to a backlog, "why"), the score grid (row
saves, pasting), scoring models (form, live formula check, product defaults, archive) and the card
on a feature's page. Every page renders for a viewer with a fixed number of queries; viewers see
no edit controls, and their POSTs answer 403 and change nothing. Forms work without htmx
(redirects) and with it (fragments)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from headway.backlog.models import Feature
from headway.backlog.tests import factories as bf
from headway.prioritization.models import (
    FeatureScore,
    FeatureScoreChange,
    ProductScoringModel,
    RankOverride,
    ScoringModel,
)
from headway.prioritization.tests.factories import FeatureScoreFactory, ScoringModelFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def url(name, **kwargs):
    return reverse(f"prioritization:{name}", kwargs={"ws": "acme", **kwargs})


def html(response) -> str:
    return response.content.decode()


def rice(reach, impact, confidence, effort):
    return {"reach": reach, "impact": impact, "confidence": confidence, "effort": effort}


@pytest.fixture
def data(admin, pm, workspace):
    """PAY (owned by the PM) with four features under a default RICE model: Alpha scores 400,
    Bravo 100, Charlie 1,500; Delta has no score."""
    pay = bf.product(admin, workspace, key="PAY", owner=pm)
    model = ScoringModelFactory(workspace=workspace, name="RICE", framework="rice", is_default=True)
    alpha, bravo, charlie, delta = (bf.feature(admin, pay, title) for title in ("Alpha", "Bravo", "Charlie", "Delta"))
    FeatureScoreFactory(feature=alpha, scoring_model=model, inputs=rice(500, 2, 80, 2))
    FeatureScoreFactory(feature=bravo, scoring_model=model, inputs=rice(100, 1, 100, 1))
    FeatureScoreFactory(feature=charlie, scoring_model=model, inputs=rice(1000, 3, 50, 1))
    return {"pay": pay, "model": model, "alpha": alpha, "bravo": bravo, "charlie": charlie, "delta": delta}


ROW_REF = re.compile(
    r'<tr id="rank-\d+"[^>]*>\s*<td class="num pr-pos"><strong>\d+</strong></td>\s*'
    r'<td class="pr-feature">\s*<a class="product-key"[^>]*>([A-Z]+-\d+)</a>'
)


def ranked_refs(page: str) -> list[str]:
    return ROW_REF.findall(page)


# ── sidebar ───────────────────────────────────────────────────────────────────────────────────


def test_sidebar_links_to_the_ranking(web_client, viewer, workspace):
    page = html(web_client(viewer).get("/w/acme/"))
    assert 'href="/w/acme/prioritization/"' in page
    assert "/w/acme/soon/prioritization/" not in page


# ── ranking ───────────────────────────────────────────────────────────────────────────────────


def test_ranking_for_a_viewer_in_score_order_without_edit_controls(web_client, viewer, data, django_assert_num_queries):
    client = web_client(viewer)
    client.get(url("ranking"))  # warm the session and caches
    # session, user, workspace, role, models ×2, products, the ranking (4), its page's signals (6), …
    with django_assert_num_queries(13):
        response = client.get(url("ranking"))
    assert response.status_code == 200
    page = html(response)
    assert ranked_refs(page) == ["PAY-3", "PAY-1", "PAY-2", "PAY-4"]
    assert '<strong class="pr-total">4</strong> features' in page
    assert "1 without a score (ranked last)" in page
    assert "<strong>1500</strong>" in page and "<strong>400</strong>" in page
    assert "Why?" in page
    assert "Pin here" not in page and "Apply this order" not in page
    assert 'aria-current="page">Ranking</a>' in page


def test_ranking_fragment_under_htmx_filters_by_search(web_client, viewer, data):
    response = web_client(viewer).get(url("ranking"), {"q": "bravo", "model": data["model"].pk}, **HX)
    page = html(response)
    assert "<html" not in page and 'id="ranking"' in page
    assert ranked_refs(page) == ["PAY-2"]


def test_ranking_without_models_explains_and_offers_leaders_to_create_one(web_client, viewer, leader, workspace):
    page = html(web_client(viewer).get(url("ranking")))
    assert "No scoring models yet" in page
    assert "A leader of this workspace can create one" in page
    page = html(web_client(leader).get(url("ranking")))
    assert f'href="{url("model_new")}"' in page and "Create a scoring model" in page


def test_ranking_without_scores_points_to_the_grid(web_client, pm, admin, workspace):
    pay = bf.product(admin, workspace, key="PAY", owner=pm)
    bf.feature(admin, pay, "Alpha")
    model = ScoringModelFactory(workspace=workspace, name="RICE", is_default=True)
    page = html(web_client(pm).get(url("ranking")))
    assert "No scores yet" in page
    assert f'href="{url("grid")}?model={model.pk}"' in page


def test_pin_and_unpin_without_and_with_htmx(web_client, pm, data):
    client, model, bravo = web_client(pm), data["model"], data["bravo"]
    response = client.post(
        url("pin", pk=bravo.pk) + f"?model={model.pk}",
        {"model": model.pk, "position": 1, "reason": "Promised to Initech"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('ranking')}?model={model.pk}"
    pin = RankOverride.objects.get(scoring_model=model)
    assert (pin.feature_id, pin.position, pin.reason) == (bravo.pk, 1, "Promised to Initech")
    page = html(client.get(url("ranking"), {"model": model.pk}))
    assert ranked_refs(page) == ["PAY-2", "PAY-3", "PAY-1", "PAY-4"]
    assert "pinned at #1 — score says #3 · Promised to Initech" in page
    assert "Move pin" in page and "Unpin" in page

    response = client.post(url("unpin", pk=bravo.pk) + f"?model={model.pk}", {"model": model.pk}, **HX)
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page and 'id="ranking"' in page
    assert "Unpinned PAY-2" in page  # the flash comes along, out of band
    assert ranked_refs(page) == ["PAY-3", "PAY-1", "PAY-2", "PAY-4"]
    assert not RankOverride.objects.exists()


def test_pin_needs_a_position(web_client, pm, data):
    model = data["model"]
    response = web_client(pm).post(url("pin", pk=data["bravo"].pk), {"model": model.pk, "position": "x"}, **HX)
    assert "PAY-2 was not pinned: Enter the position to pin it at: 1 is the top." in html(response)
    assert not RankOverride.objects.exists()


def test_viewer_cannot_pin_unpin_or_apply(web_client, viewer, pm, data):
    model, bravo = data["model"], data["bravo"]
    RankOverride.objects.create(workspace=model.workspace, scoring_model=model, feature=bravo, position=1)
    ranks = list(Feature.objects.order_by("pk").values_list("rank", flat=True))
    client = web_client(viewer)
    assert client.post(url("pin", pk=data["alpha"].pk), {"model": model.pk, "position": 2}).status_code == 403
    assert client.post(url("unpin", pk=bravo.pk), {"model": model.pk}).status_code == 403
    assert client.post(url("apply_to_backlog"), {"model": model.pk, "product": data["pay"].pk}).status_code == 403
    assert list(RankOverride.objects.values_list("feature_id", "position")) == [(bravo.pk, 1)]
    assert list(Feature.objects.order_by("pk").values_list("rank", flat=True)) == ranks


def test_apply_the_order_to_the_backlog(web_client, pm, data):
    model, pay = data["model"], data["pay"]
    client = web_client(pm)
    page = html(client.get(url("ranking"), {"model": model.pk, "product": pay.pk}))
    assert "Apply this order to the PAY backlog" in page
    response = client.post(url("apply_to_backlog"), {"model": model.pk, "product": pay.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{url('ranking')}?model={model.pk}&product={pay.pk}"
    order = list(Feature.objects.filter(product=pay).order_by("rank").values_list("title", flat=True))
    assert order == ["Charlie", "Alpha", "Bravo", "Delta"]
    page = html(client.get(response["Location"]))
    assert "The Product PAY backlog now follows “RICE”: " in page

    response = client.post(url("apply_to_backlog"), {"model": model.pk, "product": pay.pk}, **HX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{url('ranking')}?model={model.pk}&product={pay.pk}"


def test_why_as_fragment_and_as_page(web_client, viewer, data):
    client, model, alpha = web_client(viewer), data["model"], data["alpha"]
    response = client.get(url("why", pk=alpha.pk), {"model": model.pk}, **HX)
    page = html(response)
    assert "<html" not in page
    assert '<div class="value">#2</div>' in page and '<div class="value">400</div>' in page
    # RICE multiplies: each input's factor, the effort a divisor.
    assert '<span class="pr-bar-label">Confidence <span class="muted small">80%</span></span>' in page
    up, down = "multiplies the score by this", "lowers the score by this factor"
    for hint, text in ((up, "×500"), (up, "×2"), (down, "×0.8"), (down, "÷2")):
        assert f'<strong class="pr-bar-text" title="{hint}">{text}</strong>' in page
    assert "PAY-3" in page and "PAY-2" in page  # the neighbours above and below
    assert "Score history" in page
    response = client.get(url("why", pk=alpha.pk), {"model": model.pk})
    assert "<html" in html(response) and "Why PAY-1 is #2" in html(response)


def test_why_shows_the_score_history(web_client, pm, data):
    model, alpha = data["model"], data["alpha"]
    client = web_client(pm)
    client.post(url("grid_row", pk=alpha.pk), {"model": model.pk, "in-reach": "1000"}, **HX)
    page = html(client.get(url("why", pk=alpha.pk), {"model": model.pk}, **HX))
    assert '400 → <strong class="pr-up">800</strong>' in page
    assert "Pat PM" in page


# ── grid ──────────────────────────────────────────────────────────────────────────────────────


def test_grid_for_a_viewer_is_read_only(web_client, viewer, data, django_assert_num_queries):
    client = web_client(viewer)
    client.get(url("grid"))
    with django_assert_num_queries(17):
        response = client.get(url("grid"))
    page = html(response)
    assert response.status_code == 200
    assert 'name="in-reach"' not in page and "Paste rows" not in page and "hx-post" not in page
    assert '<span class="pr-cell-value">80%</span>' in page
    assert page.count('class="pr-grid-row') == 4


def test_grid_for_a_pm_has_inputs(web_client, pm, data):
    page = html(web_client(pm).get(url("grid"), {"model": data["model"].pk}))
    alpha = data["alpha"]
    assert f'id="cell-{alpha.pk}-reach" name="in-reach" value="500"' in page
    assert '<option value="80" selected>Medium (80%)</option>' in page
    assert "Paste rows" in page
    assert f'hx-post="{url("grid_row", pk=alpha.pk)}"' in page


def test_grid_row_post_updates_the_score_exactly(web_client, pm, data):
    model, alpha = data["model"], data["alpha"]
    response = web_client(pm).post(
        url("grid_row", pk=alpha.pk),
        {"model": model.pk, "in-reach": "1,250", "in-impact": "2", "in-confidence": "80", "in-effort": "2"},
        **HX,
    )
    assert response.status_code == 200
    page = html(response)
    assert page.lstrip().startswith(f'<tr id="grid-row-{alpha.pk}"')
    assert '<td class="num pr-grid-score" data-out="score"><strong>1000</strong></td>' in page
    score = FeatureScore.objects.get(feature=alpha, scoring_model=model)
    assert (score.inputs, score.value) == (rice(1250, 2, 80, 2), 1000.0)
    assert FeatureScoreChange.objects.filter(feature=alpha).count() == 1


def test_grid_row_post_without_htmx_redirects_back(web_client, pm, data):
    model, bravo = data["model"], data["bravo"]
    back = f"?model={model.pk}&q=bra"
    response = web_client(pm).post(url("grid_row", pk=bravo.pk), {"model": model.pk, "in-effort": "2", "back": back})
    assert response.status_code == 302
    assert response["Location"] == f"{url('grid')}{back}#grid-row-{bravo.pk}"
    assert FeatureScore.objects.get(feature=bravo, scoring_model=model).value == 50.0


def test_grid_row_error_names_the_cell_and_saves_nothing(web_client, pm, data):
    model, alpha = data["model"], data["alpha"]
    response = web_client(pm).post(url("grid_row", pk=alpha.pk), {"model": model.pk, "in-impact": "7"}, **HX)
    assert response.status_code == 200
    page = html(response)
    assert 'aria-invalid="true"' in page
    assert "Impact: Choose one of 3, 2, 1, 0.5, 0.25." in page
    assert '<option value="7"' not in page
    assert FeatureScore.objects.get(feature=alpha, scoring_model=model).inputs == rice(500, 2, 80, 2)


def test_viewer_cannot_post_a_row_or_paste(web_client, viewer, data):
    model, alpha = data["model"], data["alpha"]
    client = web_client(viewer)
    assert client.post(url("grid_row", pk=alpha.pk), {"model": model.pk, "in-reach": "9"}).status_code == 403
    assert client.post(url("grid_paste"), {"model": model.pk, "text": "PAY-1\t9\t1\t50\t1"}).status_code == 403
    assert FeatureScore.objects.get(feature=alpha, scoring_model=model).inputs == rice(500, 2, 80, 2)
    assert not FeatureScoreChange.objects.exists()


def test_paste_with_an_error_names_row_and_column_and_saves_nothing(web_client, pm, data):
    model = data["model"]
    text = "PAY-2\t200\t1\t100\t1\nPAY-4\t300\t9\t80\t1\n"
    response = web_client(pm).post(url("grid_paste"), {"model": model.pk, "text": text})
    assert response.status_code == 422
    page = html(response)
    assert "Nothing was saved" in page
    assert "<li>Row 2, Impact: Choose one of 3, 2, 1, 0.5, 0.25.</li>" in page
    assert "PAY-4\t300\t9\t80\t1" in page  # the text stays in the box to be fixed
    assert FeatureScore.objects.get(feature=data["bravo"]).value == 100.0
    assert not FeatureScore.objects.filter(feature=data["delta"]).exists()


def test_paste_saves_all_rows(web_client, pm, data):
    model = data["model"]
    client = web_client(pm)
    response = client.post(
        url("grid_paste"), {"model": model.pk, "text": "PAY-2\t200\t1\t100\t1\nPAY-4\t300\t0.5\t80\t1\n"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('grid')}?model={model.pk}"
    assert FeatureScore.objects.get(feature=data["bravo"]).value == 200.0
    assert FeatureScore.objects.get(feature=data["delta"]).value == 120.0
    assert "Saved 2 rows." in html(client.get(response["Location"]))


def test_paste_of_a_block_from_the_grid_maps_rows_to_features(web_client, pm, data):
    """What grid.js sends: a header of input keys, then the cells' rows for the given features."""
    model, bravo, delta = data["model"], data["bravo"], data["delta"]
    response = web_client(pm).post(
        url("grid_paste"),
        {"model": model.pk, "text": "reach\timpact\n10\t2\n20\t3", "feature_ids": f"{bravo.pk},{delta.pk}"},
        **HX,
    )
    assert response.status_code == 200
    page = html(response)
    assert 'id="grid"' in page and "Saved 2 rows." in page
    assert FeatureScore.objects.get(feature=bravo).inputs == rice(10, 2, 100, 1)
    assert FeatureScore.objects.get(feature=delta).inputs == {"reach": 20, "impact": 3}


def test_kano_answers_typed_one_pair_per_line(web_client, pm, admin, workspace):
    pay = bf.product(admin, workspace, key="PAY", owner=pm)
    feature = bf.feature(admin, pay, "Dark mode")
    model = ScoringModelFactory(workspace=workspace, name="Kano", framework="kano", is_default=True)
    response = web_client(pm).post(
        url("grid_row", pk=feature.pk),
        {"model": model.pk, "in-answers": "like, dislike\nlike, neutral\nlike, live with\nexpect, dislike"},
        **HX,
    )
    page = html(response)
    score = FeatureScore.objects.get(feature=feature, scoring_model=model)
    assert score.inputs == {
        "answers": [["like", "dislike"], ["like", "neutral"], ["like", "live_with"], ["expect", "dislike"]]
    }
    assert '<span class="pr-kano" title="Attractive">A 2</span>' in page
    assert score.label == "A"
    assert "Attractive</span>" in page


# ── scoring models ────────────────────────────────────────────────────────────────────────────


def test_models_list_for_a_viewer(web_client, viewer, data, django_assert_num_queries):
    client = web_client(viewer)
    client.get(url("models"))
    with django_assert_num_queries(10):
        response = client.get(url("models"))
    page = html(response)
    assert "RICE" in page and "Workspace default" in page
    assert '<td class="num"><strong>3</strong>' in page  # three features scored
    assert "New model" not in page and "Edit</a>" not in page and '<select name="model"' not in page


def test_leader_creates_a_rice_model_with_a_signal_input(web_client, leader, workspace):
    response = web_client(leader).post(
        url("model_new"),
        {"name": "Demand RICE", "framework": "rice", "source-reach": "votes", "description": "Reach is votes"},
    )
    assert response.status_code == 302 and response["Location"] == url("models")
    model = ScoringModel.objects.get(name="Demand RICE")
    assert (model.framework, model.config, model.is_default) == ("rice", {"sources": {"reach": "votes"}}, False)


def test_leader_creates_a_weighted_scorecard(web_client, leader, workspace):
    post = {
        "name": "Fit",
        "framework": "weighted",
        "is_default": "1",
        "criteria_count": "3",
        "criteria-0-label": "Customer value",
        "criteria-0-key": "",
        "criteria-0-weight": "3",
        "criteria-0-kind": "range",
        "criteria-0-minimum": "1",
        "criteria-0-maximum": "5",
        "criteria-0-step": "1",
        "criteria-0-direction": "benefit",
        "criteria-1-label": "Risk",
        "criteria-1-key": "risk",
        "criteria-1-weight": "1",
        "criteria-1-kind": "custom",
        "criteria-1-values": "1, 3, 9",
        "criteria-1-direction": "cost",
        "criteria-2-label": "Gone",
        "criteria-2-key": "gone",
        "criteria-2-weight": "1",
        "criteria-2-remove": "1",
    }
    response = web_client(leader).post(url("model_new"), post)
    assert response.status_code == 302
    model = ScoringModel.objects.get(name="Fit")
    assert model.is_default
    assert model.config == {
        "criteria": [
            {
                "key": "customer_value",
                "label": "Customer value",
                "weight": 3.0,
                "scale": {"kind": "range", "minimum": 1.0, "maximum": 5.0, "step": 1.0},
                "direction": "benefit",
            },
            {
                "key": "risk",
                "label": "Risk",
                "weight": 1.0,
                "scale": {"kind": "custom", "values": [1.0, 3.0, 9.0]},
                "direction": "cost",
            },
        ]
    }


def test_model_form_errors_name_the_field(web_client, leader, data):
    client = web_client(leader)
    response = client.post(
        url("model_new"),
        {
            "name": "RICE",
            "framework": "weighted",
            "criteria_count": "1",
            "criteria-0-label": "Value",
            "criteria-0-weight": "lots",
        },
    )
    assert response.status_code == 422
    page = html(response)
    assert "The model was not saved." in page
    assert "Name: A scoring model named &#x27;RICE&#x27; already exists." in page
    response = client.post(
        url("model_new"),
        {
            "name": "Fit",
            "framework": "weighted",
            "criteria_count": "1",
            "criteria-0-label": "Value",
            "criteria-0-weight": "lots",
        },
    )
    page = html(response)
    assert "Criteria: weight must be a number for &#x27;Value&#x27;." in page
    assert 'value="lots"' in page  # what was typed stays
    assert ScoringModel.objects.count() == 1


def test_custom_formula_error_shows_the_pointer(web_client, leader, workspace):
    response = web_client(leader).post(
        url("model_new"), {"name": "Mine", "framework": "custom", "inputs": "reach", "formula": "reach * foo"}
    )
    assert response.status_code == 422
    page = html(response)
    assert '<pre class="pr-pointer" aria-label="Where the problem is">reach * foo\n        ^</pre>' in page
    assert not ScoringModel.objects.exists()


def test_formula_live_check(web_client, leader, workspace):
    client = web_client(leader)
    response = client.post(url("model_formula_check"), {"formula": "reach * (impact", "inputs": "reach, impact"}, **HX)
    page = html(response)
    assert "<html" not in page and 'id="formula-check"' in page
    assert '<pre class="pr-pointer"' in page and "is-bad" in page
    response = client.post(
        url("model_formula_check"), {"formula": "reach * log(1 + votes)", "inputs": "reach, impact"}, **HX
    )
    page = html(response)
    assert "The formula reads well; it uses <code>reach</code>, <code>votes</code>." in page
    assert "Listed but not used: <code>impact</code>." in page
    assert "<dt><code>arr</code></dt>" in page  # the names one may use, with the signals


def test_only_leaders_manage_models(web_client, pm, data):
    client, model = web_client(pm), data["model"]
    assert client.get(url("model_new")).status_code == 403
    assert client.get(url("model_edit", pk=model.pk)).status_code == 403
    assert client.post(url("model_new"), {"name": "X", "framework": "ice"}).status_code == 403
    assert client.post(url("model_edit", pk=model.pk), {"name": "Renamed"}).status_code == 403
    assert client.post(url("model_archive", pk=model.pk)).status_code == 403
    assert client.post(url("model_formula_check"), {"formula": "1"}).status_code == 403
    assert client.post(url("product_model_set"), {"product": data["pay"].pk, "model": model.pk}).status_code == 403
    model.refresh_from_db()
    assert (model.name, model.archived_at) == ("RICE", None)
    assert not ProductScoringModel.objects.exists()


def test_leader_edits_sets_a_product_default_and_archives(web_client, leader, data):
    client, model, pay = web_client(leader), data["model"], data["pay"]
    page = html(client.get(url("model_edit", pk=model.pk)))
    assert 'value="RICE"' in page and "Archive this model" in page
    response = client.post(url("model_edit", pk=model.pk), {"name": "RICE v2", "description": "", "is_default": "1"})
    assert response.status_code == 302
    model.refresh_from_db()
    assert model.name == "RICE v2"
    wsjf = ScoringModelFactory(workspace=model.workspace, name="WSJF", framework="wsjf")
    response = client.post(url("product_model_set"), {"product": pay.pk, "model": wsjf.pk}, **HX)
    assert response.status_code == 200 and 'id="product-models"' in html(response)
    assert ProductScoringModel.objects.get(product=pay).scoring_model_id == wsjf.pk
    response = client.post(url("model_archive", pk=wsjf.pk))
    assert response.status_code == 302
    wsjf.refresh_from_db()
    assert wsjf.archived_at is not None
    assert not ProductScoringModel.objects.exists()


# ── the card on a feature's page ──────────────────────────────────────────────────────────────


def test_feature_page_loads_the_prioritization_card(web_client, viewer, data):
    alpha = data["alpha"]
    page = html(web_client(viewer).get(f"/w/acme/backlog/features/{alpha.pk}/"))
    panel = url("feature_panel", pk=alpha.pk)
    assert f'hx-get="{panel}" hx-trigger="load"' in page and f'href="{panel}"' in page


def test_feature_panel_fragment_and_page(web_client, viewer, data):
    client, alpha, model = web_client(viewer), data["alpha"], data["model"]
    ScoringModelFactory(workspace=model.workspace, name="WSJF", framework="wsjf")
    response = client.get(url("feature_panel", pk=alpha.pk), **HX)
    page = html(response)
    assert "<html" not in page and 'id="prioritization-panel"' in page
    assert '<strong class="pr-panel-pos">#2</strong> <span class="muted small">of 4</span>' in page
    assert '· <span title="Score">400</span>' in page
    assert "not scored" in page  # under WSJF
    assert page.index("RICE") < page.index("WSJF")  # the product's model first
    assert f'href="{url("why", pk=alpha.pk)}?model={model.pk}#history"' in page
    assert "<html" in html(client.get(url("feature_panel", pk=alpha.pk)))


def test_other_workspaces_features_are_not_found(web_client, outsider, data):
    client = web_client(outsider)
    alpha = data["alpha"]
    assert client.get(f"/w/globex/prioritization/features/{alpha.pk}/why/").status_code == 404
    assert client.get(url("ranking")).status_code == 404
