"""The inbox pages: filters, state tabs, pagination, query counts, htmx triage, the note page,
typing a note in, highlighting from the page, and escaping of what customers wrote."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from headway.backlog.tests import factories as backlog
from headway.customers.models import Segment, Tier
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.insights.models import FeedbackNote, Highlight
from headway.insights.tests import factories as nf
from headway.insights.views.inbox import note_pieces

pytestmark = pytest.mark.django_db

INBOX = "/w/acme/insights/"


def url(pk, action=""):
    return f"{INBOX}notes/{pk}/" + (f"{action}/" if action else "")


def _at(days):
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def data(leader, pm, workspace):
    product = backlog.product(leader, workspace, key="PAY", owner=pm)
    big = CompanyFactory(workspace=workspace, name="Initech", segment=Segment.ENTERPRISE, tier=Tier.STRATEGIC)
    small = CompanyFactory(workspace=workspace, name="Hooli", segment=Segment.STARTUP)
    theme = nf.theme(workspace, "Exports")
    notes = {
        "bug": nf.note(
            workspace,
            "The export crashes every time",
            title="Crash on export",
            kind="bug",
            sentiment="negative",
            company=big,
            product=product,
            theme=theme,
            channel="Sales call",
            received_at=_at(1),
        ),
        "wish": nf.note(
            workspace,
            "Please add dark mode",
            kind="feature_request",
            sentiment="neutral",
            company=small,
            source="import",
            channel="App Store",
            assignee=pm,
            received_at=_at(2),
        ),
        "praise": nf.note(
            workspace,
            "Love it",
            kind="rating",
            sentiment="positive",
            source="email",
            channel="Email",
            received_at=_at(3),
        ),
        "done": nf.note(workspace, "Old and done", state="processed", received_at=_at(4)),
    }
    return {"product": product, "big": big, "small": small, "theme": theme, "notes": notes}


def listed(response):
    return [n.pk for n in response.context["page"].object_list]


def test_the_inbox_lists_new_notes_newest_first(web_client, viewer, data):
    n = data["notes"]
    response = web_client(viewer).get(INBOX)
    assert response.status_code == 200
    assert listed(response) == [n["bug"].pk, n["wish"].pk, n["praise"].pk]
    assert response.context["counts"] == {"inbox": 3, "snoozed": 0, "processed": 1, "archived": 0, "all": 4}
    html = response.content.decode()
    assert "Crash on export" in html and "Initech" in html and "Sales call" in html
    assert 'class="ins-chip ins-kind-bug"' in html
    assert "Done</button>" not in html  # viewers read, they do not triage


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("kind=bug", ["bug"]),
        ("sentiment=positive", ["praise"]),
        ("source=import", ["wish"]),
        ("channel=Sales+call", ["bug"]),
        ("segment=enterprise", ["bug"]),
        ("assignee=me", ["wish"]),
        ("assignee=nobody", ["bug", "praise"]),
        ("q=dark", ["wish"]),
        ("q=CRASH", ["bug"]),
        ("ordering=oldest", ["praise", "wish", "bug"]),
        ("state=processed", ["done"]),
        ("state=all", ["bug", "wish", "praise", "done"]),
        ("kind=nonsense", ["bug", "wish", "praise"]),  # not understood: left out
    ],
)
def test_filters(web_client, pm, data, params, expected):
    response = web_client(pm).get(f"{INBOX}?{params}")
    assert response.status_code == 200
    assert listed(response) == [data["notes"][k].pk for k in expected]


def test_filters_by_ids(web_client, pm, data):
    n = data["notes"]
    client = web_client(pm)
    assert listed(client.get(f"{INBOX}?product={data['product'].pk}")) == [n["bug"].pk]
    assert listed(client.get(f"{INBOX}?company={data['small'].pk}")) == [n["wish"].pk]
    assert listed(client.get(f"{INBOX}?theme={data['theme'].pk}")) == [n["bug"].pk]
    assert listed(client.get(f"{INBOX}?assignee={data['notes']['wish'].assignee_id}")) == [n["wish"].pk]
    assert listed(client.get(f"{INBOX}?q=%23{n['praise'].pk}")) == [n["praise"].pk]
    counts = client.get(f"{INBOX}?kind=bug").context["counts"]
    assert counts == {"inbox": 1, "snoozed": 0, "processed": 0, "archived": 0, "all": 1}


def test_pagination_and_a_query_count_that_does_not_grow(web_client, pm, workspace, data, django_assert_num_queries):
    client = web_client(pm)
    client.get(INBOX)  # warm up: session, caches
    with django_assert_num_queries(14) as small:
        client.get(INBOX)
    company = data["big"]
    contact = ContactFactory(workspace=workspace, company=company)
    FeedbackNote.objects.bulk_create(
        [
            FeedbackNote(
                workspace=workspace,
                source="manual",
                channel=f"Channel {i % 7}",
                text=f"Note {i}",
                received_at=_at(10 + i),
                company=company,
                contact=contact,
                product=data["product"],
                theme=data["theme"],
                assignee=pm,
            )
            for i in range(120)
        ]
    )
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(INBOX)
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list), page.paginator.num_pages) == (123, 50, 3)
    third = client.get(f"{INBOX}?page=3")
    assert len(third.context["page"].object_list) == 23


def test_htmx_filtering_answers_the_list_only(web_client, pm, data):
    response = web_client(pm).get(f"{INBOX}?kind=bug", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="notes"')
    assert "Crash on export" in html and "Please add dark mode" not in html
    assert 'id="inbox-states"' in html  # the state tabs' counts follow the filters


def test_htmx_triage_from_the_list_removes_the_row(web_client, pm, data):
    note = data["notes"]["bug"]
    response = web_client(pm).post(
        url(note.pk, "triage"), {"state": "processed", "from": "list", "query": "kind=bug"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<ul class="inbox-states" id="inbox-states"')
    assert '<strong class="inbox-total" id="inbox-total" hx-swap-oob="true">0</strong>' in html
    assert 'hx-swap-oob="true"' in html
    assert 'Inbox <span class="n">0</span>' in html  # the bug was the only inbox note of kind bug
    assert "Crash on export" not in html
    assert FeedbackNote.objects.get(pk=note.pk).state == "processed"


def test_triage_without_javascript_redirects_back_with_a_message(web_client, pm, data):
    note = data["notes"]["wish"]
    client = web_client(pm)
    response = client.post(url(note.pk, "triage"), {"state": "archived", "from": "list", "query": "source=import"})
    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?source=import"
    assert FeedbackNote.objects.get(pk=note.pk).state == "archived"
    page = client.get(response["Location"])
    assert "archived" in page.content.decode()


def test_triage_from_the_note_page_goes_on_to_the_next_note(web_client, pm, data):
    n = data["notes"]
    client = web_client(pm)
    page = client.get(url(n["bug"].pk))
    assert (page.context["prev_id"], page.context["next_id"]) == (None, n["wish"].pk)
    response = client.post(url(n["bug"].pk, "triage"), {"state": "processed", "next": n["wish"].pk})
    assert response["Location"] == url(n["wish"].pk)
    # The processed note keeps its place: from it, j still goes to the next one.
    page = client.get(url(n["bug"].pk))
    assert page.context["next_id"] == n["wish"].pk


def test_snooze_from_the_page_needs_a_future_date(web_client, pm, data):
    note = data["notes"]["praise"]
    client = web_client(pm)
    response = client.post(url(note.pk, "triage"), {"state": "snoozed", "snoozed_until": ""}, follow=True)
    assert "Say until when to snooze the note." in response.content.decode()
    assert FeedbackNote.objects.get(pk=note.pk).state == "new"
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    client.post(url(note.pk, "triage"), {"state": "snoozed", "snoozed_until": tomorrow})
    assert FeedbackNote.objects.get(pk=note.pk).state == "snoozed"
    assert note.pk not in listed(client.get(INBOX))
    assert listed(client.get(f"{INBOX}?state=snoozed")) == [note.pk]


def test_bulk_actions(web_client, pm, leader, data):
    n = data["notes"]
    client = web_client(pm)
    ids = [n["bug"].pk, n["praise"].pk]
    response = client.post(f"{INBOX}bulk/", {"notes": ids, "action": "assign", "assignee": leader.pk})
    assert response.status_code == 302
    assert set(FeedbackNote.objects.filter(pk__in=ids).values_list("assignee_id", flat=True)) == {leader.pk}
    client.post(f"{INBOX}bulk/", {"notes": ids, "action": "archived"})
    assert set(FeedbackNote.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"archived"}
    response = client.post(f"{INBOX}bulk/", {"notes": ids, "action": "snoozed"}, follow=True)
    assert "Say until when to snooze the note." in response.content.decode()
    assert set(FeedbackNote.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"archived"}


def test_viewers_and_contributors_cannot_triage(web_client, member, data):
    n = data["notes"]
    for role in ("viewer", "contributor"):
        client = web_client(member(role))
        client.post(url(n["bug"].pk, "triage"), {"state": "archived"})
        client.post(f"{INBOX}bulk/", {"notes": [n["bug"].pk], "action": "archived"})
        client.post(url(n["bug"].pk, "assign"), {"assignee": ""})
    stored = FeedbackNote.objects.get(pk=n["bug"].pk)
    assert (stored.state, stored.assignee_id) == ("new", None)


def test_note_page_escapes_the_text_and_keeps_its_whitespace(web_client, pm, workspace):
    note = nf.note(workspace, "<script>alert(1)</script>\n  indented & more", title="<b>Title</b>")
    html = web_client(pm).get(url(note.pk)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\n  indented &amp; more" in html
    assert "&lt;b&gt;Title&lt;/b&gt;" in html
    assert "<b>Title</b>" not in html


def test_note_pieces_mark_highlights_even_when_they_overlap():
    class H:
        def __init__(self, pk, start, end):
            self.pk, self.start, self.end = pk, start, end

    pieces = note_pieces("abcdefghij", [H(1, 2, 6), H(2, 4, 8)])
    assert [(p["text"], p["ids"]) for p in pieces] == [
        ("ab", []),
        ("cd", [1]),
        ("ef", [1, 2]),
        ("gh", [2]),
        ("ij", []),
    ]
    assert note_pieces("", []) == []


def test_highlight_from_the_note_page(web_client, pm, leader, workspace, data):
    feature = backlog.feature(leader, data["product"], "Reliable exports")
    note = data["notes"]["bug"]
    client = web_client(pm)
    search = client.get(f"{INBOX}evidence/search/?q=PAY-{feature.number}").content.decode()
    assert f'data-target="feature:{feature.pk}"' in search
    assert "Reliable exports" in client.get(f"{INBOX}evidence/search/?q=reliable").content.decode()
    response = client.post(
        url(note.pk, "highlights"), {"start": 4, "end": 10, "importance": "critical", "target": f"feature:{feature.pk}"}
    )
    made = Highlight.objects.get()
    assert response["Location"] == url(note.pk) + f"#highlight-{made.pk}"
    assert (made.quote, made.demand) == ("export", Decimal("12.00"))  # critical 4 × strategic 3
    html = client.get(url(note.pk)).content.decode()
    assert f'The <mark id="mark-4" data-highlights="{made.pk}">export</mark> crashes every time' in html
    response = client.post(url(note.pk, "highlights"), {"start": 4, "end": 99, "target": f"feature:{feature.pk}"})
    assert Highlight.objects.count() == 1
    response = client.post(f"{INBOX}highlights/{made.pk}/importance/", {"importance": "nice_to_have"})
    assert response["Location"] == url(note.pk) + f"#highlight-{made.pk}"
    made.refresh_from_db()
    assert (made.importance, made.demand) == ("nice_to_have", Decimal("3.00"))  # nice to have 1 × strategic 3
    client.post(f"{INBOX}highlights/{made.pk}/importance/", {"importance": "urgent"})
    made.refresh_from_db()
    assert made.importance == "nice_to_have"
    client.post(f"{INBOX}highlights/{made.pk}/delete/")
    assert Highlight.objects.count() == 0


def test_type_in_a_note(web_client, contributor, workspace, data):
    contact = ContactFactory(workspace=workspace, company=data["small"], email="erlich@hooli.example")
    client = web_client(contributor)
    response = client.post(
        f"{INBOX}new/",
        {
            "text": "They would pay for SSO.",
            "title": "SSO",
            "channel": "Sales call",
            "customer_email": "erlich@hooli.example",
            "product": data["product"].pk,
            "received": "2026-01-15",
        },
    )
    note = FeedbackNote.objects.get(title="SSO")
    assert response["Location"] == url(note.pk)
    assert (note.channel, note.contact_id, note.company_id, note.author_id) == (
        "Sales call",
        contact.pk,
        data["small"].pk,
        contributor.pk,
    )
    assert timezone.localtime(note.received_at).date() == dt.date(2026, 1, 15)
    # A company by name, for a customer not in the list yet.
    client.post(f"{INBOX}new/", {"text": "Needs audit logs", "title": "Audit", "company": "initech"})
    assert FeedbackNote.objects.get(title="Audit").company_id == data["big"].pk
    response = client.post(f"{INBOX}new/", {"text": "x", "company": "Nobody Inc"})
    assert response.status_code == 422
    assert "No company named" in response.content.decode()
    response = client.post(f"{INBOX}new/", {"text": ""})
    assert response.status_code == 422


def test_viewers_cannot_type_in_notes(web_client, viewer):
    assert web_client(viewer).get(f"{INBOX}new/").status_code == 403


def test_empty_states(web_client, pm, workspace):
    client = web_client(pm)
    assert "No feedback yet" in client.get(INBOX).content.decode()
    nf.note(workspace, state="processed")
    assert "Inbox zero" in client.get(INBOX).content.decode()
    assert "No notes match" in client.get(f"{INBOX}?q=zzz").content.decode()


def test_another_workspaces_note_is_not_found(web_client, pm, other_workspace):
    theirs = nf.note(other_workspace, "Globex secret")
    client = web_client(pm)
    assert client.get(url(theirs.pk)).status_code == 404
    client.post(url(theirs.pk, "triage"), {"state": "archived"})
    assert FeedbackNote.objects.get(pk=theirs.pk).state == "new"


def test_selector_query_counts(pm, workspace, data, django_assert_num_queries):
    from django.core.paginator import Paginator

    from headway.insights.selectors.notes import NoteFilters, inbox_counts, note_detail, notes_for_inbox

    note_detail(user=pm, workspace=workspace, pk=data["notes"]["bug"].pk)  # the role is cached on the user
    with django_assert_num_queries(2):  # the count, the page with company, contact, product, theme, assignee
        page = Paginator(notes_for_inbox(user=pm, workspace=workspace, filters=NoteFilters()), 50).get_page(1)
        [(n.company, n.contact, n.product, n.theme, n.assignee) for n in page.object_list]
    with django_assert_num_queries(1):
        inbox_counts(user=pm, workspace=workspace, filters=NoteFilters(kind="bug"))
    with django_assert_num_queries(2):  # the note with its relations, its highlights with their targets
        note = note_detail(user=pm, workspace=workspace, pk=data["notes"]["bug"].pk)
        [(h.feature, h.idea) for h in note.highlights.all()]


def test_correct_a_label_from_the_note_page(web_client, pm, viewer, data):
    from headway.insights.models import LabelCorrection

    note = data["notes"]["praise"]
    web_client(viewer).post(url(note.pk, "label"), {"field": "kind", "value": "experience"})
    assert FeedbackNote.objects.get(pk=note.pk).kind == "rating"
    client = web_client(pm)
    response = client.post(url(note.pk, "label"), {"field": "kind", "value": "experience"})
    assert response["Location"] == url(note.pk) + "#labels"
    stored = FeedbackNote.objects.get(pk=note.pk)
    assert (stored.kind, stored.kind_corrected) == ("experience", True)
    assert list(LabelCorrection.objects.values_list("field", "predicted", "corrected")) == [
        ("kind", "rating", "experience")
    ]
    client.post(url(note.pk, "label"), {"field": "sentiment", "value": "furious"})
    assert FeedbackNote.objects.get(pk=note.pk).sentiment == "positive"
