"""Backlog pages: what each role sees, forms, moves without and with JavaScript, fragments, query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headway.backlog import services
from headway.backlog.models import Feature, FeatureComment, Requirement, SavedView, WorkflowStatus
from headway.backlog.tests import factories as f

pytestmark = pytest.mark.django_db
BASE = "/w/acme/backlog"
HTMX = {"HTTP_HX_REQUEST": "true"}


def refs(response):
    return re.findall(r'class="bl-title" href="[^"]+" aria-label="([A-Z]+-\d+) ', response.content.decode())


def order(product):
    return list(Feature.objects.filter(product=product).order_by("rank").values_list("title", flat=True))


@pytest.fixture
def pay(admin, pm, workspace):
    return f.product(admin, workspace, key="PAY", owner=pm)


@pytest.fixture
def five(admin, pay):
    return f.features(admin, pay, 5)


# --- the list ---------------------------------------------------------------------------------


def test_list_shows_the_ranked_backlog_with_controls_for_editors(web_client, pm, pay, five):
    response = web_client(pm).get(f"{BASE}/?product={pay.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert refs(response) == ["PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-5"]
    assert html.count('class="drag-handle"') == 5
    assert "Apply to selected" in html and "New feature" in html
    assert '<strong class="bl-count">5</strong> features in' in html


def test_viewer_reads_without_controls(web_client, viewer, pay, five):
    html = web_client(viewer).get(f"{BASE}/?product={pay.pk}").content.decode()
    assert "drag-handle" not in html and "Apply to selected" not in html and "New feature" not in html
    assert web_client(viewer).get(f"{BASE}/features/new/").status_code == 403
    assert web_client(viewer).get(f"{BASE}/settings/").status_code == 403


def test_empty_states(web_client, leader, workspace):
    client = web_client(leader)
    assert "No products yet" in client.get(f"{BASE}/").content.decode()
    empty = f.product(leader, workspace, key="NEW")
    html = client.get(f"{BASE}/?product={empty.pk}").content.decode()
    assert "The backlog of Product NEW is empty" in html and "Add the first feature" in html
    f.feature(leader, empty, "Something")
    html = client.get(f"{BASE}/?product={empty.pk}&q=nothing-like-this").content.decode()
    assert "No features match" in html


def test_filters_and_htmx_fragment(web_client, pm, pay, five, workspace):
    services.feature_update(actor=pm, feature=five[2], tags=["finance"])
    tag = five[2].tag_links.get().tag
    client = web_client(pm)
    response = client.get(f"{BASE}/?product={pay.pk}&tag={tag.pk}", **HTMX)
    html = response.content.decode()
    assert refs(response) == ["PAY-3"]
    assert html.strip().startswith('<div id="backlog"') and "<html" not in html
    assert refs(client.get(f"{BASE}/?product={pay.pk}&q=F4")) == ["PAY-4"]
    assert refs(client.get(f"{BASE}/?product={pay.pk}&owner=0&status=999&objective=x")) == []


def test_list_query_count_is_constant(web_client, admin, pay, django_assert_num_queries):
    client = web_client(admin)
    f.features(admin, pay, 3)
    client.get(f"{BASE}/?product={pay.pk}")  # warm: defaults exist
    with CaptureQueriesContext(connection) as small:
        client.get(f"{BASE}/?product={pay.pk}")
    for i in range(40):
        f.feature(admin, pay, f"More {i}", tags=[f"t{i % 3}"], owner=admin, effort=i)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(f"{BASE}/?product={pay.pk}")
    assert len(refs(response)) == 43


def test_load_more_pages_by_rank(web_client, admin, pay, monkeypatch):
    from headway.backlog import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    f.features(admin, pay, 5)
    client = web_client(admin)
    first = client.get(f"{BASE}/?product={pay.pk}")
    assert refs(first) == ["PAY-1", "PAY-2"]
    more = re.search(r'hx-get="([^"]+)"', first.content.decode().split('class="bl-more"')[1]).group(1)
    second = client.get(more.replace("&amp;", "&"), **HTMX)
    assert refs(second) == ["PAY-3", "PAY-4"]
    assert '<span class="bl-pos" aria-hidden="true">3</span>' in second.content.decode()
    link = re.search(r'<a class="btn btn-sm" href="([^"]+)"', second.content.decode()).group(1)
    third = client.get(link.replace("&amp;", "&"))  # without JavaScript: the page, continued
    assert refs(third) == ["PAY-5"]
    assert client.get(f"{BASE}/more/?product=999999&after=a").status_code == 404


# --- moving -----------------------------------------------------------------------------------


def test_move_without_javascript_redirects_back(web_client, pm, pay, five):
    client = web_client(pm)
    response = client.post(f"{BASE}/features/{five[3].pk}/move/", {"direction": "up", "query": f"product={pay.pk}"})
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/?product={pay.pk}#feature-{five[3].pk}"
    assert order(pay) == ["F1", "F2", "F4", "F3", "F5"]
    client.post(f"{BASE}/features/{five[0].pk}/move/", {"direction": "down"})
    assert order(pay) == ["F2", "F1", "F4", "F3", "F5"]
    client.post(f"{BASE}/features/{five[1].pk}/move/", {"direction": "up"})  # already first: nothing to do
    assert order(pay) == ["F2", "F1", "F4", "F3", "F5"]


def test_move_from_drag_and_drop(web_client, pm, admin, pay, five, workspace):
    client = web_client(pm)
    response = client.post(f"{BASE}/features/{five[4].pk}/move/", {"after": five[0].pk}, **HTMX)
    assert (response.status_code, response.content) == (204, b"")
    assert order(pay) == ["F1", "F5", "F2", "F3", "F4"]
    other = f.feature(admin, f.product(admin, workspace, key="CHK"), "Elsewhere")
    response = client.post(f"{BASE}/features/{five[4].pk}/move/", {"before": other.pk}, **HTMX)
    assert (response.status_code, response.content.decode()) == (404, f"Feature {other.pk} is not in PAY's backlog.")
    response = client.post(f"{BASE}/features/{five[4].pk}/move/", {}, **HTMX)
    assert response.status_code == 409  # the form's own refusal
    assert response.content.decode().startswith("Say where to move it")
    f.feature(admin, other.product, "Second")
    response = client.post(f"{BASE}/features/{other.pk}/move/", {"direction": "down"}, **HTMX)
    assert (response.status_code, response.content.decode()) == (
        403, "Your role (Product manager) may not edit features of this product.",
    )  # fmt: skip


def test_board_and_status_changes(web_client, pm, pay, five, django_assert_num_queries):
    client = web_client(pm)
    html = client.get(f"{BASE}/board/?product={pay.pk}").content.decode()
    assert html.count('class="bd-card"') == 5
    statuses = {s.name: s for s in WorkflowStatus.objects.all()}
    response = client.post(f"{BASE}/features/{five[0].pk}/status/", {"status": statuses["Released"].pk}, **HTMX)
    assert response.status_code == 204
    five[0].refresh_from_db()
    assert five[0].status.name == "Released"
    response = client.post(
        f"{BASE}/features/{five[1].pk}/status/", {"status": statuses["Ready"].pk, "next": "board", "query": "q=F"}
    )
    assert response["Location"] == f"{BASE}/board/?q=F"
    assert client.post(f"{BASE}/features/{five[1].pk}/status/", {"status": "x"}, **HTMX).status_code == 422
    client.get(f"{BASE}/board/")  # shows (and so clears) the message of the change above
    with CaptureQueriesContext(connection) as small:
        client.get(f"{BASE}/board/")
    f.features(pm, pay, 20, prefix="G")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(f"{BASE}/board/")


# --- bulk edit and saved views ----------------------------------------------------------------


def test_bulk_edit_form(web_client, pm, pay, five):
    client = web_client(pm)
    parked = WorkflowStatus.objects.get(name="Parked") if WorkflowStatus.objects.exists() else None
    if parked is None:
        services.workflow_ensure_defaults(actor=pm, workspace=pay.workspace)
        parked = WorkflowStatus.objects.get(name="Parked")
    response = client.post(
        f"{BASE}/bulk/",
        {"features": [five[0].pk, five[1].pk], "status": parked.pk, "owner": "none", "add_tag": "later, q3",
         "query": f"product={pay.pk}"},
    )  # fmt: skip
    assert response["Location"] == f"{BASE}/?product={pay.pk}"
    assert sorted(Feature.objects.filter(status=parked).values_list("title", flat=True)) == ["F1", "F2"]
    page = client.get(response["Location"]).content.decode()
    assert "Updated 2 features." in page
    response = client.post(f"{BASE}/bulk/", {"features": [five[0].pk]}, follow=True)
    assert "Choose a change: status, owner, initiative or tags." in response.content.decode()


def test_saved_views(web_client, pm, viewer, pay, five):
    client = web_client(pm)
    client.post(f"{BASE}/views/", {"name": "Mine", "shared": "on", "query": f"product={pay.pk}&q=F2&owner=0"})
    view = SavedView.objects.get()
    assert (view.filters, view.shared, view.owner) == ({"product": pay.pk, "owner": 0, "search": "F2"}, True, pm)
    html = web_client(viewer).get(f"{BASE}/?product={pay.pk}").content.decode()
    assert f'href="{BASE}/?product={pay.pk}&amp;owner=0&amp;q=F2">Mine</a>' in html
    assert web_client(viewer).post(f"{BASE}/views/{view.pk}/delete/").status_code == 302
    assert SavedView.objects.count() == 1  # not theirs: refused with a message
    web_client(pm).post(f"{BASE}/views/{view.pk}/delete/")
    assert SavedView.objects.count() == 0


# --- the feature page and its forms -----------------------------------------------------------


def test_create_and_edit_a_feature(web_client, pm, pay, workspace):
    client = web_client(pm)
    objective = f.objective(workspace)
    response = client.post(f"{BASE}/features/new/", {})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    response = client.post(
        f"{BASE}/features/new/",
        {"product": pay.pk, "title": "Export", "effort": "3", "tags": "finance, export", "objectives": [objective.pk]},
    )
    feature = Feature.objects.get()
    assert response["Location"] == f"{BASE}/features/{feature.pk}/"
    assert (feature.ref, feature.effort, feature.status.name) == ("PAY-1", 3, "New")
    assert list(feature.objective_links.values_list("objective__title", flat=True)) == ["Grow revenue"]
    edit = client.get(f"{BASE}/features/{feature.pk}/edit/").content.decode()
    assert 'value="export, finance"' in edit
    client.post(
        f"{BASE}/features/{feature.pk}/edit/",
        {"product": pay.pk, "title": "Export CSV", "effort": "", "tags": "finance"},
    )
    feature.refresh_from_db()
    assert (feature.title, feature.effort, feature.objective_links.count()) == ("Export CSV", None, 0)


def test_feature_page_sections_work_with_htmx(web_client, pm, contributor, pay, five):
    client = web_client(pm)
    feature = five[0]
    response = client.post(f"{BASE}/features/{feature.pk}/requirements/", {"story": "As a buyer I pay"}, **HTMX)
    html = response.content.decode()
    assert html.strip().startswith('<section class="card" id="requirements"') and "As a buyer I pay" in html
    requirement = Requirement.objects.get()
    client.post(f"{BASE}/requirements/{requirement.pk}/", {"done": "1"}, **HTMX)
    assert Requirement.objects.get().done is True
    response = client.post(f"{BASE}/features/{feature.pk}/dependencies/", {"kind": "blocks", "ref": "PAY-2"}, **HTMX)
    assert "PAY-2" in response.content.decode()
    response = client.post(
        f"{BASE}/features/{feature.pk}/dependencies/", {"kind": "blocked_by", "ref": "pay-2"}, **HTMX
    )
    assert "That would make a cycle: PAY-2 → PAY-1 → PAY-2." in response.content.decode()
    response = client.post(f"{BASE}/features/{feature.pk}/dependencies/", {"kind": "blocks", "ref": "NOPE-1"}, **HTMX)
    assert "No feature NOPE-1 in this workspace." in response.content.decode()
    commenter = web_client(contributor)
    commenter.post(f"{BASE}/features/{feature.pk}/comments/", {"body": "<script>alert(1)</script> **yes**"})
    page = commenter.get(f"{BASE}/features/{feature.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "<strong>yes</strong>" in page
    assert "drag-handle" not in page and "Add a requirement" not in page  # a contributor edits nothing
    client = web_client(pm)  # the same test client, signed in as the PM again
    response = client.post(f"{BASE}/features/{feature.pk}/links/", {"url": "not a url"}, **HTMX)
    assert "Enter a full web address starting with https:// or http://." in response.content.decode()
    comment = FeatureComment.objects.get()
    assert client.post(f"{BASE}/comments/{comment.pk}/delete/").status_code == 302
    assert FeatureComment.objects.count() == 1  # only its author deletes it


def test_feature_page_shows_history_and_cycle_time(web_client, pm, pay, five):
    services.workflow_ensure_defaults(actor=pm, workspace=pay.workspace)
    statuses = {s.name: s for s in WorkflowStatus.objects.all()}
    services.feature_update(actor=pm, feature=five[0], status=statuses["In progress"])
    services.feature_update(actor=pm, feature=five[0], status=statuses["Released"])
    html = web_client(pm).get(f"{BASE}/features/{five[0].pk}/").content.decode()
    assert 'class="sh-cycle">1 hour</strong>' in html  # rounded up from seconds
    assert "feature.update" in html and "Serves no objective" in html


def test_archive_and_restore(web_client, pm, pay, five):
    client = web_client(pm)
    client.post(f"{BASE}/features/{five[0].pk}/archive/")
    assert refs(client.get(f"{BASE}/?product={pay.pk}")) == ["PAY-2", "PAY-3", "PAY-4", "PAY-5"]
    assert "This feature is archived" in client.get(f"{BASE}/features/{five[0].pk}/").content.decode()
    client.post(f"{BASE}/features/{five[0].pk}/restore/")
    assert refs(client.get(f"{BASE}/?product={pay.pk}"))[0] == "PAY-1"


def test_workflow_settings_page(web_client, leader, workspace):
    client = web_client(leader)
    assert client.get(f"{BASE}/settings/").status_code == 200
    response = client.post(f"{BASE}/settings/", {"name": "", "category": "active"})
    assert response.status_code == 422
    client.post(f"{BASE}/settings/", {"name": "In review", "category": "active"})
    review = WorkflowStatus.objects.get(name="In review")
    client.post(f"{BASE}/settings/statuses/{review.pk}/move/", {"direction": "up"})
    client.post(f"{BASE}/settings/statuses/{review.pk}/", {"name": "Review", "category": "done"})
    client.post(f"{BASE}/settings/statuses/{review.pk}/", {"default": "1"})
    review.refresh_from_db()
    assert (review.name, review.category, review.position, review.is_default) == ("Review", "done", 6, True)
    client.post(f"{BASE}/settings/unit/", {"effort_unit": "person_weeks"})
    assert "Person-weeks" in client.get(f"{BASE}/settings/").content.decode()
    new = WorkflowStatus.objects.get(name="New")
    client.post(f"{BASE}/settings/statuses/{new.pk}/delete/")
    assert not WorkflowStatus.objects.filter(name="New").exists()


def test_rows_and_cards_are_escaped_and_exact(web_client, pm, pay, workspace):
    feature = f.feature(pm, pay, '<b>"Bold"</b> & co', tags=["<i>x</i>"], effort="2.50", target_release="Q3")
    client = web_client(pm)
    html = client.get(f"{BASE}/?product={pay.pk}").content.decode()
    url = f"{BASE}/features/{feature.pk}/"
    row = html[html.index('<li class="bl-row"') : html.index("</li>", html.index('<li class="bl-row"')) + 5]
    assert row == (
        f'<li class="bl-row" id="feature-{feature.pk}" data-id="{feature.pk}" data-ref="PAY-1" '
        f'data-move-url="{url}move/"><span class="bl-cell-check"><input type="checkbox" name="features" '
        f'value="{feature.pk}" form="bl-bulk" aria-label="Select PAY-1"></span><span class="drag-handle" '
        'title="Drag to rank" aria-hidden="true"><svg class="i"><use href="#i-drag"/></svg></span>'
        '<span class="bl-pos" aria-hidden="true">1</span>'
        f'<a class="product-key bl-ref" href="{url}" tabindex="-1" aria-hidden="true">PAY-1</a>'
        f'<div class="bl-main"><a class="bl-title" href="{url}" aria-label="PAY-1 &lt;b&gt;&quot;Bold&quot;&lt;/b&gt; '
        '&amp; co">&lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; co</a><span class="bl-meta"><span class="bl-tag">'
        '&lt;i&gt;x&lt;/i&gt;</span><span class="muted small" title="Target release">→ Q3</span></span></div>'
        '<span class="tag tag-cat-not_started">New</span><span class="owner muted"><span class="avatar avatar-none" '
        'aria-hidden="true">–</span><span class="owner-name">No owner</span></span>'
        '<span class="bl-effort" title="Effort">2.5</span><span class="bl-cell-move move-buttons">'
        f'<button type="submit" form="bl-move" formaction="{url}move/" name="direction" value="up" class="btn btn-sm" '
        'data-direction="up" aria-label="Move PAY-1 up" title="Move up"><svg class="i i-up" aria-hidden="true">'
        '<use href="#i-chevron"/></svg></button>'
        f'<button type="submit" form="bl-move" formaction="{url}move/" name="direction" value="down" '
        'class="btn btn-sm" data-direction="down" aria-label="Move PAY-1 down" title="Move down">'
        '<svg class="i" aria-hidden="true"><use href="#i-chevron"/></svg></button></span></li>'
    )
    board = client.get(f"{BASE}/board/").content.decode()
    assert "<b>" not in board and "<i>x" not in board
    assert 'aria-label="PAY-1 &lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; co"' in board
    assert 'aria-label="Status of PAY-1"' in board and 'name="csrfmiddlewaretoken"' in board
