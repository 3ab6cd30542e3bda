"""Highlights show up as a feature's evidence with the right demand, weighed as votes are, and
follow companies' ARR and tiers and the workspace's demand settings as they change."""

from decimal import Decimal

import pytest

from headway.backlog.tests import factories as backlog
from headway.customers.models import Tier
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas.models import DemandSettings
from headway.ideas.selectors.features import features_demand
from headway.ideas.services.features import idea_link_feature
from headway.ideas.services.ideas import idea_delete
from headway.ideas.services.merges import idea_merge
from headway.ideas.services.portals import demand_settings_update
from headway.ideas.tests import factories as f
from headway.insights.selectors.evidence import evidence_demand, feature_evidence, idea_evidence
from headway.insights.services.highlights import highlight_create
from headway.insights.services.triage import note_update
from headway.insights.tests import factories as nf

pytestmark = pytest.mark.django_db

TEXT = "Exporting to CSV takes ages. We need scheduled exports for the board."
SLOW = (0, 27)  # "Exporting to CSV takes ages"
SCHEDULED = (29, 54)  # "We need scheduled exports"


@pytest.fixture
def product(leader, workspace, pm):
    return backlog.product(leader, workspace, key="PAY", owner=pm)


@pytest.fixture
def feature(leader, product):
    return backlog.feature(leader, product, "Faster CSV export")


@pytest.fixture
def portal(leader, workspace):
    return f.portal(leader, workspace, slug="ideas")


@pytest.fixture
def companies(workspace):
    return {
        "initech": CompanyFactory(workspace=workspace, name="Initech", tier=Tier.STRATEGIC, arr=Decimal("500000")),
        "globex": CompanyFactory(workspace=workspace, name="Globex", tier=Tier.KEY, arr=Decimal("200000")),
        "hooli": CompanyFactory(workspace=workspace, name="Hooli", tier=Tier.STANDARD, arr=Decimal("50000")),
    }


@pytest.fixture
def evidence(pm, workspace, feature, companies):
    """Three quotes for the feature: strategic critical (4×3), key nice to have (1×2), no company important (2×1)."""
    contact = ContactFactory(workspace=workspace, company=companies["initech"], name="Peter Gibbons")
    a = nf.note(workspace, TEXT, company=companies["initech"], contact=contact, channel="Sales call")
    b = nf.note(workspace, TEXT, company=companies["globex"], customer_name="Hank Scorpio")
    c = nf.note(workspace, TEXT, customer_name="Anonymous reviewer", channel="App Store")
    return [
        highlight_create(actor=pm, note=a, start=SLOW[0], end=SLOW[1], importance="critical", feature=feature),
        highlight_create(actor=pm, note=b, start=SLOW[0], end=SLOW[1], importance="nice_to_have", feature=feature),
        highlight_create(actor=pm, note=c, start=SLOW[0], end=SLOW[1], importance="important", feature=feature),
    ]


def test_quotes_arrive_on_the_feature_with_customers_companies_and_demand(viewer, feature, evidence, companies):
    found = feature_evidence(user=viewer, feature=feature)
    rows = [
        (e["quote"], e["customer"], e["company"] and e["company"].name, e["arr"], e["demand"]) for e in found["items"]
    ]
    assert rows == [
        ("Exporting to CSV takes ages", "Peter Gibbons", "Initech", Decimal("500000.00"), Decimal("12.00")),
        ("Exporting to CSV takes ages", "Hank Scorpio", "Globex", Decimal("200000.00"), Decimal("2.00")),
        ("Exporting to CSV takes ages", "Anonymous reviewer", None, None, Decimal("2.00")),
    ]
    assert found["totals"] == {
        "quotes": 3,
        "companies": 2,
        "arr": Decimal("700000.00"),
        "demand": Decimal("16.00"),
    }
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("16.00")}


def test_evidence_through_linked_ideas_counts_once_per_passage(
    pm, leader, workspace, feature, portal, evidence, companies
):
    idea = f.idea(leader, portal, "Scheduled exports")
    idea_link_feature(actor=leader, idea=idea, feature=feature)
    note = nf.note(workspace, TEXT, company=companies["hooli"])
    # Hooli (standard, 1): critical 4 on the idea; the same passage on the feature too counts once.
    highlight_create(actor=pm, note=note, start=SCHEDULED[0], end=SCHEDULED[1], importance="critical", idea=idea)
    highlight_create(actor=pm, note=note, start=SCHEDULED[0], end=SCHEDULED[1], importance="important", feature=feature)
    found = feature_evidence(user=pm, feature=feature)
    assert found["totals"]["quotes"] == 5
    assert found["totals"]["companies"] == 3
    assert found["totals"]["arr"] == Decimal("750000.00")
    assert found["totals"]["demand"] == Decimal("20.00")  # 16 + max(4, 2)
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("20.00")}
    via = [e["idea"].pk for e in found["items"] if e["idea"] is not None]
    assert via == [idea.pk]
    assert idea_evidence(user=pm, idea=idea)["totals"]["demand"] == Decimal("4.00")


def test_ideas_that_no_longer_count_bring_no_evidence(pm, leader, workspace, feature, portal):
    unlinked = f.idea(leader, portal, "Not linked")
    merged = f.idea(leader, portal, "Merged away")
    target = f.idea(leader, portal, "Merge target")
    deleted = f.idea(leader, portal, "Deleted")
    for idea in (merged, deleted):
        idea_link_feature(actor=leader, idea=idea, feature=feature)
    note = nf.note(workspace, TEXT)
    for idea in (unlinked, merged, deleted):
        highlight_create(actor=pm, note=note, start=0, end=4, importance="critical", idea=idea)
    idea_merge(actor=leader, source=merged, target=target)
    idea_delete(actor=leader, idea=deleted)
    assert feature_evidence(user=pm, feature=feature)["totals"]["quotes"] == 0
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("0")}


def test_demand_follows_the_demand_settings(admin, pm, workspace, feature, evidence):
    demand_settings_update(actor=admin, workspace=workspace, company_basis="arr")
    # ARR basis, step 100,000: Initech 1 + 5 = 6 × critical 4 = 24; Globex 1 + 2 = 3 × nice 1 = 3;
    # no company: 1 × important 2 = 2.
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("29.00")}
    demand_settings_update(actor=admin, workspace=workspace, company_basis="tier", critical_weight=Decimal("10"))
    # critical 10 × strategic 3 = 30; 2; 2
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("34.00")}
    assert feature_evidence(user=pm, feature=feature)["totals"]["demand"] == Decimal("34.00")


def test_demand_follows_a_company_arr_tier_and_the_note_company(pm, workspace, feature, evidence, companies):
    settings = DemandSettings.objects.get(workspace=workspace)
    settings.company_basis = "arr"
    settings.arr_step = Decimal("300000")
    settings.save()
    initech = companies["initech"]
    # Initech 1 + 500,000 / 300,000 = 2.6667 × 4 = 10.67; Globex 1.6667 × 1 = 1.67; 2
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("14.34")}
    initech.arr = Decimal("1200000")
    initech.save()
    # Initech 1 + 4 = 5 × 4 = 20
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("23.67")}
    settings.company_basis = "tier"
    settings.save()
    initech.tier = Tier.KEY
    initech.save()
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("12.00")}  # 4×2 + 1×2 + 2×1
    # The globex note now belongs to Hooli (standard): nice to have 1 × 1.
    globex_note = evidence[1].note
    note_update(actor=pm, note=globex_note, company=companies["hooli"])
    assert evidence_demand([feature.pk]) == {feature.pk: Decimal("11.00")}
    evidence[1].refresh_from_db()
    assert evidence[1].demand == Decimal("1.00")  # the stored snapshot follows too


def test_evidence_demand_of_many_features_in_two_queries(
    pm, leader, workspace, product, feature, evidence, django_assert_num_queries
):
    others = backlog.features(leader, product, 3)
    note = nf.note(workspace, TEXT)
    for other in others[:2]:
        highlight_create(actor=pm, note=note, start=0, end=4, importance="critical", feature=other)
    ids = [feature.pk, *(o.pk for o in others)]
    with django_assert_num_queries(2):
        demand = evidence_demand(ids)
    assert demand == {
        feature.pk: Decimal("16.00"),
        others[0].pk: Decimal("4.00"),
        others[1].pk: Decimal("4.00"),
        others[2].pk: Decimal("0"),
    }
    with django_assert_num_queries(0):
        assert evidence_demand([]) == {}


def test_feature_page_shows_evidence_and_the_demand_line(web_client, leader, portal, feature, evidence, companies):
    idea = f.idea(leader, portal, "Faster exports please")
    idea_link_feature(actor=leader, idea=idea, feature=feature)
    votes = features_demand([feature.pk])[feature.pk]
    assert votes == Decimal("2.00")  # the submitter's own vote: important 2 × no company 1
    response = web_client(leader).get(f"/w/acme/backlog/features/{feature.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="evidence"' in html
    assert (
        'Demand: votes <strong class="ev-votes">2</strong> + evidence <strong class="ev-evidence">16</strong>'
        ' = <strong class="ev-sum">18</strong>'
    ) in html
    initech = companies["initech"]
    for text in ("Peter Gibbons", "Initech", f"500.0k {initech.currency} ARR", "Hank Scorpio", "Globex", "Anonymous"):
        assert text in html
    assert html.count('class="ev-quote"') == 3


def test_idea_page_shows_its_evidence(web_client, pm, leader, workspace, portal, companies):
    idea = f.idea(leader, portal, "Scheduled exports")
    note = nf.note(workspace, TEXT, company=companies["globex"], customer_name="Hank Scorpio")
    highlight_create(actor=pm, note=note, start=SCHEDULED[0], end=SCHEDULED[1], importance="critical", idea=idea)
    html = web_client(pm).get(f"/w/acme/ideas/{idea.pk}/").content.decode()
    assert "We need scheduled exports" in html
    assert "Hank Scorpio" in html
    assert 'evidence demand <strong class="ev-evidence">8</strong>' in html  # critical 4 × key 2
