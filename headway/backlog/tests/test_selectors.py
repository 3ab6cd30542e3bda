"""Backlog reads: filters, search, pages of the ranked list, the board; pinned query counts."""

import datetime as dt

import pytest
from django.utils import timezone

from headway.backlog import selectors, services
from headway.backlog.filters import FeatureFilters
from headway.backlog.models import FeatureStatusChange
from headway.backlog.tests import factories as f
from headway.core.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(admin, pm, contributor, workspace):
    pay = f.product(admin, workspace, key="PAY", owner=pm)
    chk = f.product(admin, workspace, key="CHK")
    statuses = {s.name: s for s in services.workflow_ensure_defaults(actor=admin, workspace=workspace)}
    grow = f.objective(workspace, "Grow revenue")
    initiative = f.initiative(workspace)
    export = f.feature(
        admin, pay, "Export invoices", description="Monthly CSV for finance", tags=["finance"], objectives=[grow]
    )
    notify = f.feature(
        admin, pay, "Payment notifications", description="Email when paid", owner=contributor, initiative=initiative
    )
    wallets = f.feature(admin, pay, "Wallets", status=statuses["In progress"], tags=["Finance", "mobile"])
    guest = f.feature(admin, chk, "Guest checkout", status=statuses["In progress"])
    gone = f.feature(admin, pay, "Old idea")
    services.feature_archive(actor=admin, feature=gone)
    return locals()


def titles(qs):
    return [x.title for x in qs]


def test_filters(admin, data, workspace):
    def find(**filters):
        return titles(selectors.feature_list(actor=admin, workspace=workspace, filters=FeatureFilters(**filters)))

    pay, chk, s = data["pay"], data["chk"], data["statuses"]
    finance = data["export"].tag_links.get().tag
    assert find(product=pay.pk) == ["Export invoices", "Payment notifications", "Wallets"]
    assert find(product=pay.pk, include_archived=True) == [
        "Export invoices", "Payment notifications", "Wallets", "Old idea",
    ]  # fmt: skip
    assert find() == ["Export invoices", "Payment notifications", "Wallets", "Guest checkout"]
    assert find(status=s["In progress"].pk) == ["Wallets", "Guest checkout"]
    assert find(category="active", product=chk.pk) == ["Guest checkout"]
    assert find(owner=data["contributor"].pk) == ["Payment notifications"]
    assert find(owner=0, product=pay.pk) == ["Export invoices", "Wallets"]
    assert find(initiative=data["initiative"].pk) == ["Payment notifications"]
    assert find(initiative=0, product=pay.pk) == ["Export invoices", "Wallets"]
    assert find(objective=data["grow"].pk) == ["Export invoices"]
    assert find(objective=0) == ["Payment notifications", "Wallets", "Guest checkout"]
    assert find(tag=finance.pk) == ["Export invoices", "Wallets"]  # "Finance" is the same tag as "finance"
    with pytest.raises(ValidationFailed):
        find(category="doing")


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("export", ["Export invoices"]),
        ("CSV finance", ["Export invoices"]),  # every word, in the title or the description
        ("paid", ["Payment notifications"]),
        ("pay-2", ["Payment notifications"]),  # a reference
        ("PAY-3", ["Wallets"]),
        ("wallets checkout", []),
        ("%_", []),
    ],
)
def test_search(admin, data, workspace, search, expected):
    qs = selectors.feature_list(actor=admin, workspace=workspace, filters=FeatureFilters(search=search))
    assert titles(qs) == expected


def test_prefix_search(admin, data, workspace):
    """Partial words match as prefixes on PostgreSQL and as substrings on SQLite: "notif" finds both ways."""
    qs = selectors.feature_list(actor=admin, workspace=workspace, filters=FeatureFilters(search="notif"))
    assert titles(qs) == ["Payment notifications"]


def test_outsiders_read_nothing(outsider, data, workspace):
    with pytest.raises(NotFound):
        selectors.feature_list(actor=outsider, workspace=workspace)
    with pytest.raises(NotFound):
        selectors.feature_get(actor=outsider, workspace=workspace, feature_id=data["export"].pk)


def test_feature_by_ref(viewer, data, workspace):
    assert selectors.feature_by_ref(actor=viewer, workspace=workspace, ref=" pay-1 ").title == "Export invoices"
    with pytest.raises(NotFound) as exc:
        selectors.feature_by_ref(actor=viewer, workspace=workspace, ref="PAY-99")
    assert exc.value.message == "No feature PAY-99 in this workspace."
    with pytest.raises(NotFound):
        selectors.feature_by_ref(actor=viewer, workspace=workspace, ref="nonsense")


def test_backlog_pages_continue_after_a_rank(admin, workspace, django_assert_num_queries):
    pay = f.product(admin, workspace, key="PAY")
    f.features(admin, pay, 7)
    filters = FeatureFilters(product=pay.pk)
    with django_assert_num_queries(3):  # the total, the page, its tags (the role is cached on the user)
        first = selectors.backlog_page(actor=admin, workspace=workspace, filters=filters, limit=3)
    assert (titles(first.features), first.count, first.has_more) == (["F1", "F2", "F3"], 7, True)
    second = selectors.backlog_page(
        actor=admin, workspace=workspace, filters=filters, after=first.cursor, limit=3, with_count=False
    )
    assert (titles(second.features), second.count, second.has_more) == (["F4", "F5", "F6"], None, True)
    third = selectors.backlog_page(actor=admin, workspace=workspace, filters=filters, after=second.cursor, limit=3)
    assert (titles(third.features), third.has_more, third.cursor) == (["F7"], False, None)
    with pytest.raises(ValidationFailed):
        selectors.backlog_page(actor=admin, workspace=workspace, filters=FeatureFilters())


def test_backlog_page_query_count_does_not_grow(admin, workspace, django_assert_num_queries):
    pay = f.product(admin, workspace, key="PAY")
    for i in range(30):
        f.feature(admin, pay, f"F{i}", tags=[f"t{i % 4}", "all"])
    selectors.backlog_page(actor=admin, workspace=workspace, filters=FeatureFilters(product=pay.pk))  # role cached
    with django_assert_num_queries(3):
        page = selectors.backlog_page(actor=admin, workspace=workspace, filters=FeatureFilters(product=pay.pk))
        assert sum(len(x.tag_list) for x in page.features) == 60
        assert {x.status.name for x in page.features} == {"New"}


def test_board_columns(admin, data, workspace, django_assert_num_queries):
    statuses = services.workflow_ensure_defaults(actor=admin, workspace=workspace)
    selectors.board(actor=admin, workspace=workspace, statuses=statuses, filters=FeatureFilters())
    with django_assert_num_queries(3):  # counts, cards, their tags
        columns = selectors.board(
            actor=admin, workspace=workspace, statuses=statuses, filters=FeatureFilters(), per_column=1
        )
    shown = {c.status.name: (titles(c.features), c.count, c.hidden) for c in columns}
    assert shown["New"] == (["Export invoices"], 2, 1)
    assert shown["In progress"] == (["Wallets"], 2, 1)
    assert shown["Released"] == ([], 0, 0)
    pay_only = selectors.board(
        actor=admin, workspace=workspace, statuses=statuses, filters=FeatureFilters(product=data["pay"].pk)
    )
    assert [(c.status.name, titles(c.features)) for c in pay_only if c.count] == [
        ("New", ["Export invoices", "Payment notifications"]),
        ("In progress", ["Wallets"]),
    ]


def test_cycle_time_from_first_active_to_done(admin, data):
    s = data["statuses"]
    feature = data["export"]
    for status in (s["In progress"], s["Ready"], s["In progress"], s["Released"]):
        services.feature_update(actor=admin, feature=feature, status=status)
    start = timezone.now() - dt.timedelta(days=10)
    changes = list(FeatureStatusChange.objects.filter(feature=feature).order_by("id"))
    for offset, change in zip([0, 1, 2, 4, 7], changes, strict=True):
        FeatureStatusChange.objects.filter(pk=change.pk).update(changed_at=start + dt.timedelta(days=offset))
    history = selectors.status_history(feature)
    assert [c.to_status.name for c in history] == ["New", "In progress", "Ready", "In progress", "Released"]
    assert selectors.cycle_time(history) == dt.timedelta(days=6)
    assert selectors.cycle_time(selectors.status_history(data["notify"])) is None


def test_saved_views_show_own_and_shared(viewer, pm, workspace, data):
    services.saved_view_create(actor=pm, workspace=workspace, name="PM private", filters={})
    services.saved_view_create(actor=pm, workspace=workspace, name="Team", filters={}, shared=True)
    services.saved_view_create(actor=viewer, workspace=workspace, name="Zed mine", filters={})
    assert [v.name for v in selectors.saved_views(actor=viewer, workspace=workspace)] == ["Zed mine", "Team"]


def test_status_usage(admin, data, workspace):
    usage = selectors.status_usage(actor=admin, workspace=workspace)
    s = data["statuses"]
    assert usage == {s["New"].pk: 3, s["In progress"].pk: 2}
