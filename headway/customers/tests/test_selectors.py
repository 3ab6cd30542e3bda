from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection

from headway.core.errors import NotFound, ValidationFailed
from headway.customers import selectors, services
from headway.customers.counts import counts_forgotten_once
from headway.customers.models import Company
from headway.customers.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def companies(workspace):
    """Five companies whose names, ARR and health sort differently."""
    return {
        c.name: c
        for c in [
            CompanyFactory(
                workspace=workspace,
                name="Beta",
                domain="beta.io",
                segment="smb",
                tier="key",
                arr=Decimal("500"),
                health="at_risk",
            ),
            CompanyFactory(
                workspace=workspace,
                name="Alpha",
                domain="alpha.com",
                segment="enterprise",
                tier="strategic",
                arr=Decimal("9000"),
                health="healthy",
            ),
            CompanyFactory(
                workspace=workspace,
                name="Delta",
                domain="delta.com",
                segment="enterprise",
                tier="standard",
                arr=Decimal("500"),
                health="churned",
            ),
            CompanyFactory(
                workspace=workspace,
                name="Gamma",
                domain="gamma.org",
                segment="startup",
                tier="standard",
                arr=Decimal("0"),
                health="neutral",
            ),
            CompanyFactory(
                workspace=workspace,
                name="Omega",
                domain="omega.dev",
                segment="smb",
                tier="standard",
                arr=Decimal("10"),
                health="healthy",
            ),
        ]
    }


def names(qs):
    return [c.name for c in qs]


class TestCompanyList:
    @pytest.mark.parametrize(
        ("ordering", "expected"),
        [
            ("name", ["Alpha", "Beta", "Delta", "Gamma", "Omega"]),
            ("-name", ["Omega", "Gamma", "Delta", "Beta", "Alpha"]),
            # Equal ARR (Beta, Delta: 500) falls back to id: Beta was created first.
            ("arr", ["Gamma", "Omega", "Beta", "Delta", "Alpha"]),
            ("-arr", ["Alpha", "Delta", "Beta", "Omega", "Gamma"]),
            ("created_at", ["Beta", "Alpha", "Delta", "Gamma", "Omega"]),
            ("-created_at", ["Omega", "Gamma", "Delta", "Alpha", "Beta"]),
            ("health", ["Alpha", "Omega", "Gamma", "Beta", "Delta"]),
            ("-health", ["Delta", "Beta", "Gamma", "Omega", "Alpha"]),
        ],
    )
    def test_orderings(self, workspace, viewer, companies, ordering, expected):
        assert names(selectors.company_list(actor=viewer, workspace=workspace, ordering=ordering)) == expected

    def test_unknown_ordering(self, workspace, viewer):
        with pytest.raises(ValidationFailed) as exc:
            selectors.company_list(actor=viewer, workspace=workspace, ordering="domain")
        assert exc.value.message == (
            "ordering: “domain” is not a sort order; use one of name, -name, arr, -arr, created_at, -created_at, "
            "health, -health."
        )

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"search": "ALP"}, ["Alpha"]),
            ({"search": ".org"}, ["Gamma"]),
            ({"search": "  eta "}, ["Beta"]),
            ({"segment": "enterprise"}, ["Alpha", "Delta"]),
            ({"tier": "standard"}, ["Delta", "Gamma", "Omega"]),
            ({"health": "healthy"}, ["Alpha", "Omega"]),
            ({"segment": "smb", "health": "healthy"}, ["Omega"]),
            ({"search": "nothing"}, []),
        ],
    )
    def test_filters(self, workspace, viewer, companies, filters, expected):
        assert names(selectors.company_list(actor=viewer, workspace=workspace, **filters)) == expected

    def test_archived_hidden_unless_asked(self, workspace, pm, viewer, companies):
        services.company_archive(actor=pm, company=companies["Beta"])
        assert "Beta" not in names(selectors.company_list(actor=viewer, workspace=workspace))
        assert names(selectors.company_list(actor=viewer, workspace=workspace, include_archived=True)) == [
            "Alpha",
            "Beta",
            "Delta",
            "Gamma",
            "Omega",
        ]

    def test_other_workspace_invisible(self, workspace, other_workspace, viewer, outsider, companies):
        CompanyFactory(workspace=other_workspace, name="Secret")
        assert "Secret" not in names(selectors.company_list(actor=viewer, workspace=workspace))
        with pytest.raises(NotFound):
            selectors.company_list(actor=outsider, workspace=workspace)

    def test_page_is_one_query_whatever_its_size(self, workspace, viewer, django_assert_num_queries):
        CompanyFactory.create_batch(60, workspace=workspace)
        selectors.company_list(actor=viewer, workspace=workspace)  # warm the role cache
        for size in (5, 50):
            with django_assert_num_queries(1):
                assert len(list(selectors.company_list(actor=viewer, workspace=workspace)[:size])) == size

    def test_orderings_walk_an_index(self, workspace, viewer):
        """The list must not sort the whole table: each ordering reads an index in order."""
        if connection.vendor != "sqlite":
            pytest.skip("plan text is SQLite's")
        for ordering in ("name", "-name", "arr", "-arr", "created_at", "-created_at", "health", "-health"):
            qs = selectors.company_list(actor=viewer, workspace=workspace, ordering=ordering)[:50]
            plan = qs.explain()
            assert "TEMP B-TREE" not in plan, (ordering, plan)


class TestCompanyCount:
    def test_counts_match_the_list(self, workspace, viewer, companies):
        for filters in ({}, {"segment": "enterprise"}, {"health": "healthy"}, {"search": "a"}):
            expected = selectors.company_list(actor=viewer, workspace=workspace, **filters).count()
            assert selectors.company_count(actor=viewer, workspace=workspace, **filters) == expected

    def test_cached_count_is_one_cache_query(self, workspace, viewer, companies, django_assert_num_queries):
        assert selectors.company_count(actor=viewer, workspace=workspace) == 5
        with django_assert_num_queries(1):  # the cache lookup; no COUNT
            assert selectors.company_count(actor=viewer, workspace=workspace) == 5

    def test_every_company_write_refreshes_the_count(self, workspace, pm, companies):
        count = lambda **f: selectors.company_count(actor=pm, workspace=workspace, **f)  # noqa: E731
        assert (count(), count(health="healthy")) == (5, 2)
        new = services.company_create(actor=pm, workspace=workspace, name="Zeta", health="healthy")
        assert (count(), count(health="healthy")) == (6, 3)
        services.company_update(actor=pm, company=new, health="churned")
        assert (count(), count(health="healthy")) == (6, 2)
        services.company_archive(actor=pm, company=new)
        assert (count(), count(include_archived=True)) == (5, 6)
        services.company_restore(actor=pm, company=new)
        assert count() == 6

    def test_deferred_forgetting_happens_once_at_the_end(self, workspace, pm, companies):
        assert selectors.company_count(actor=pm, workspace=workspace) == 5
        with counts_forgotten_once():
            services.company_create(actor=pm, workspace=workspace, name="Zeta")
            assert selectors.company_count(actor=pm, workspace=workspace) == 5  # still the cached figure
        assert selectors.company_count(actor=pm, workspace=workspace) == 6

    def test_search_is_counted_live(self, workspace, viewer, companies, django_assert_num_queries):
        selectors.company_list(actor=viewer, workspace=workspace)  # warm the role cache
        with django_assert_num_queries(1):
            assert selectors.company_count(actor=viewer, workspace=workspace, search="alpha") == 1


class TestCompanyGet:
    def test_contacts_prefetched_active_first(self, workspace, pm, viewer, django_assert_num_queries):
        company = CompanyFactory(workspace=workspace)
        zed = ContactFactory(company=company, name="Zed")
        ContactFactory(company=company, name="Amy")
        services.contact_archive(actor=pm, contact=ContactFactory(company=company, name="Abe"))
        selectors.company_list(actor=viewer, workspace=workspace)  # warm the role cache
        with django_assert_num_queries(2):
            got = selectors.company_get(actor=viewer, workspace=workspace, company_id=company.pk)
            assert [c.name for c in got.contacts.all()] == ["Amy", "Zed", "Abe"]
        assert zed.company_id == got.pk

    def test_other_workspace_is_not_found(self, workspace, other_workspace, viewer):
        company = CompanyFactory(workspace=other_workspace)
        with pytest.raises(NotFound) as exc:
            selectors.company_get(actor=viewer, workspace=workspace, company_id=company.pk)
        assert exc.value.message == "No company matches that id in this workspace."

    def test_archived_company_can_still_be_opened(self, workspace, pm):
        company = services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace))
        assert selectors.company_get(actor=pm, workspace=workspace, company_id=company.pk).archived_at


def test_company_history_includes_its_contacts(workspace, pm, viewer, django_assert_num_queries):
    company = services.company_create(actor=pm, workspace=workspace, name="Acme")
    services.contact_create(actor=pm, company=company, name="Ann", email="ann@acme.com")
    other = services.company_create(actor=pm, workspace=workspace, name="Globex")
    services.contact_create(actor=pm, company=other, name="Bob", email="bob@globex.com")
    services.company_update(actor=pm, company=company, health="healthy")
    company = selectors.company_get(actor=viewer, workspace=workspace, company_id=company.pk)
    with django_assert_num_queries(1):
        history = [
            (e.action, e.target_repr, e.actor.email)
            for e in selectors.company_history(actor=viewer, workspace=workspace, company=company)
        ]
    assert history == [
        ("company.update", "Acme", "pm@example.com"),
        ("contact.create", "Ann <ann@acme.com>", "pm@example.com"),
        ("company.create", "Acme", "pm@example.com"),
    ]


class TestContacts:
    def test_list_search_and_company_filter(self, workspace, viewer):
        acme = CompanyFactory(workspace=workspace, name="Acme")
        globex = CompanyFactory(workspace=workspace, name="Globex")
        ContactFactory(company=acme, name="Ann Lee", email="ann@acme.com")
        ContactFactory(company=globex, name="Bob Stone", email="bob@globex.com")
        ContactFactory(company=globex, name="Cy Twombly", email="cy@globex.com")
        assert names(selectors.contact_list(actor=viewer, workspace=workspace)) == [
            "Ann Lee",
            "Bob Stone",
            "Cy Twombly",
        ]
        assert names(selectors.contact_list(actor=viewer, workspace=workspace, search="GLOBEX")) == [
            "Bob Stone",
            "Cy Twombly",
        ]
        assert names(selectors.contact_list(actor=viewer, workspace=workspace, search="ann@")) == ["Ann Lee"]
        assert names(selectors.contact_list(actor=viewer, workspace=workspace, company_id=acme.pk)) == ["Ann Lee"]
        assert names(selectors.contact_list(actor=viewer, workspace=workspace, ordering="-email")) == [
            "Cy Twombly",
            "Bob Stone",
            "Ann Lee",
        ]

    def test_contacts_of_archived_company_stay_listed(self, workspace, pm):
        company = CompanyFactory(workspace=workspace, name="Acme")
        ContactFactory(company=company, name="Ann")
        services.company_archive(actor=pm, company=company)
        [contact] = selectors.contact_list(actor=pm, workspace=workspace)
        assert contact.company.archived_at is not None

    def test_list_is_one_query_with_companies(self, workspace, viewer, django_assert_num_queries):
        for _ in range(3):
            ContactFactory.create_batch(4, company=CompanyFactory(workspace=workspace))
        selectors.contact_list(actor=viewer, workspace=workspace)  # warm the role cache
        with django_assert_num_queries(1):
            assert len({c.company.name for c in selectors.contact_list(actor=viewer, workspace=workspace)}) == 3

    def test_get_other_workspace_not_found(self, workspace, other_workspace, viewer):
        contact = ContactFactory(company=CompanyFactory(workspace=other_workspace))
        with pytest.raises(NotFound):
            selectors.contact_get(actor=viewer, workspace=workspace, contact_id=contact.pk)


def test_company_model_health_rank_follows_choices(workspace):
    company = CompanyFactory(workspace=workspace, health="at_risk")
    assert Company.objects.get(pk=company.pk).health_rank == 2


# --- the hand-written list SQL against the ORM ------------------------------------------------

PAGE_COLUMNS = ("id", "name", "domain", "segment", "tier", "arr", "currency", "health", "archived_at", "created_at")


@pytest.fixture
def awkward_companies(workspace, other_workspace):
    """Ties on every sort key, archived rows, LIKE metacharacters, mixed case, another workspace."""
    from django.utils import timezone

    rows = [
        ("Acme 100% Labs", "acme.example", "enterprise", "strategic", "5000", "healthy"),
        ("acme_underscore", "under-score.example", "smb", "key", "5000", "at_risk"),
        ("ACME Upper", "upper.example", "smb", "standard", "0", "at_risk"),
        ("Beta", "beta-acme.example", "startup", "standard", "0", "churned"),
        ("Gamma", "", "mid_market", "key", "120.50", "neutral"),
        ("Delta Back\\slash", "delta.example", "public_sector", "standard", "5000", "healthy"),
        ("Zeta", "zeta.example", "smb", "standard", "99", "neutral"),
    ]
    for name, domain, segment, tier, arr, health in rows:
        CompanyFactory(
            workspace=workspace, name=name, domain=domain, segment=segment, tier=tier, arr=Decimal(arr), health=health
        )
    Company.objects.filter(name="Zeta").update(archived_at=timezone.now())
    Company.objects.filter(name="Gamma").update(created_at=Company.objects.get(name="Beta").created_at)
    CompanyFactory(workspace=other_workspace, name="Acme Elsewhere", domain="elsewhere.example")


@pytest.mark.parametrize("ordering", list(selectors.COMPANY_ORDERINGS))
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"include_archived": True},
        {"search": "acme"},
        {"search": "ACME", "include_archived": True},
        {"search": "100%"},
        {"search": "e_u"},
        {"search": "_"},
        {"search": "back\\slash"},
        {"search": "  beta  "},
        {"segment": "smb"},
        {"tier": "standard", "health": "at_risk"},
        {"segment": "smb", "tier": "standard", "health": "neutral", "include_archived": True, "search": "zet"},
    ],
)
def test_company_page_matches_the_orm(awkward_companies, viewer, workspace, ordering, filters):
    orm = selectors.company_list(actor=viewer, workspace=workspace, ordering=ordering, **filters)
    expected = list(orm.values_list(*PAGE_COLUMNS))
    assert (
        selectors.company_page(
            actor=viewer, workspace=workspace, columns=PAGE_COLUMNS, offset=0, limit=100, ordering=ordering, **filters
        )
        == expected
    )
    # Paging walks the same order without repeating or skipping a row.
    pages = [
        row
        for offset in range(0, 8, 3)
        for row in selectors.company_page(
            actor=viewer,
            workspace=workspace,
            columns=PAGE_COLUMNS,
            offset=offset,
            limit=3,
            ordering=ordering,
            **filters,
        )
    ]
    assert pages == expected
    assert selectors.company_count(actor=viewer, workspace=workspace, **filters) == len(expected)


def test_company_page_search_is_literal(awkward_companies, viewer, workspace):
    page = selectors.company_page(actor=viewer, workspace=workspace, columns=("name",), offset=0, limit=50, search="%")
    assert page == [("Acme 100% Labs",)]
    page = selectors.company_page(actor=viewer, workspace=workspace, columns=("name",), offset=0, limit=50, search="_")
    assert page == [("acme_underscore",)]


def test_company_page_types_match_the_orm(awkward_companies, viewer, workspace):
    [row] = selectors.company_page(
        actor=viewer, workspace=workspace, columns=PAGE_COLUMNS, offset=0, limit=1, search="gamma"
    )
    assert row[5] == Decimal("120.50") and isinstance(row[5], Decimal)
    assert row[8] is None
    assert row[9].tzinfo is not None


def test_company_page_refuses_outsiders_and_unknown_orderings(awkward_companies, outsider, viewer, workspace):
    with pytest.raises(NotFound):
        selectors.company_page(actor=outsider, workspace=workspace, columns=("id",), offset=0, limit=5)
    with pytest.raises(ValidationFailed, match="is not a sort order"):
        selectors.company_page(actor=viewer, workspace=workspace, columns=("id",), offset=0, limit=5, ordering="id;")
