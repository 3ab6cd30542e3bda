"""The ideas API: portals, ideas, votes, comments, merges, the feature link and the event log.

Every operation: its success with the exact body, a validation error naming the field, 404 for
another workspace's object, the role that may not (403), and that nothing opens to portal people.
"""

import json
from decimal import Decimal

import pytest
from django.test import Client

from headway.backlog.tests import factories as bf
from headway.customers.models import Company, Contact
from headway.ideas import services
from headway.ideas.models import Idea, IdeaComment, IdeaEvent, IdeaStatus, Merge, Portal, Vote
from headway.ideas.tests import factories as f

pytestmark = pytest.mark.django_db
API = "/api/v1"


def call(client, method, url, body=None, **headers):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"{API}{url}", **kwargs, **headers)


def error(response):
    return response.json()["error"]


def iso(value):
    """A datetime as the API writes it (milliseconds, UTC as Z)."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def data(admin, leader, workspace):
    pay = bf.product(admin, workspace, key="PAY")
    portal = f.portal(admin, workspace, slug="feedback", name="Feedback", products=[pay])
    statuses = {s.name: s for s in IdeaStatus.objects.filter(workspace=workspace)}
    category = services.idea_category_create(actor=admin, workspace=workspace, name="Reporting")
    company = Company.objects.create(workspace=workspace, name="Initech", tier="strategic", arr=Decimal("500000"))
    contact = Contact.objects.create(
        workspace=workspace, company=company, name="Bill Lumbergh", email="bill@initech.example"
    )
    idea = f.idea(admin, portal, title="Export to CSV", description="As *a PM*", product=pay, category=category)
    feature = bf.feature(admin, pay, title="CSV export")
    return {
        "pay": pay, "portal": portal, "statuses": statuses, "category": category, "company": company,
        "contact": contact, "idea": idea, "feature": feature,
    }  # fmt: skip


@pytest.fixture
def foreign(outsider, other_workspace):
    product = bf.product(outsider, other_workspace, key="THR")
    portal = f.portal(outsider, other_workspace, slug="globex-ideas", name="Globex ideas")
    company = Company.objects.create(workspace=other_workspace, name="Globex customer")
    idea = f.idea(outsider, portal, title="Their idea")
    return {
        "product": product,
        "portal": portal,
        "idea": idea,
        "other": f.idea(outsider, portal, title="Their other idea"),
        "company": company,
        "contact": Contact.objects.create(
            workspace=other_workspace, company=company, name="C", email="c@globex.example"
        ),
        "status": IdeaStatus.objects.filter(workspace=other_workspace).first(),
        "feature": bf.feature(outsider, product, title="Their feature"),
    }


def person(user):
    return {"id": user.pk, "email": user.email, "name": user.display_name}


def idea_body(idea):
    """What GET /ideas/{id} answers for an idea, read from the database."""
    idea = Idea.objects.select_related("status", "category", "submitter", "merged_into").get(pk=idea.pk)
    contact, company = idea.on_behalf_contact, idea.on_behalf_company
    return {
        "id": idea.pk,
        "portal_id": idea.portal_id,
        "title": idea.title,
        "description": idea.description,
        "product_id": idea.product_id,
        "category_id": idea.category_id,
        "category": idea.category.name if idea.category else None,
        "status": {
            "id": idea.status.pk,
            "name": idea.status.name,
            "public_label": idea.status.public_label,
            "category": idea.status.category,
        },
        "submitter": person(idea.submitter) if idea.submitter else None,
        "on_behalf_contact": {"id": contact.pk, "name": contact.name, "email": contact.email} if contact else None,
        "on_behalf_company": {"id": company.pk, "name": company.name} if company else None,
        "entered_by_id": idea.entered_by_id,
        "audience": idea.audience,
        "approval": idea.approval,
        "feature_id": idea.feature_id,
        "merged_into": {"id": idea.merged_into.pk, "title": idea.merged_into.title} if idea.merged_into else None,
        "vote_count": idea.vote_count,
        "demand": f"{idea.demand:.2f}",
        "comment_count": idea.comment_count,
        "status_changed_at": iso(idea.status_changed_at) if idea.status_changed_at else None,
        "created_at": iso(idea.created_at),
        "updated_at": iso(idea.updated_at),
    }


def operations(d):
    """(method, url, a valid body) for every operation with an id in its path, on ``d``'s objects."""
    idea, other = d["idea"].pk, d["other"].pk
    return [
        ("get", f"/portals/{d['portal'].pk}", None),
        ("patch", f"/portals/{d['portal'].pk}", {"name": "Renamed"}),
        ("post", f"/portals/{d['portal'].pk}/archive", None),
        ("post", f"/portals/{d['portal'].pk}/restore", None),
        ("get", f"/ideas/{idea}", None),
        ("patch", f"/ideas/{idea}", {"title": "Renamed idea"}),
        ("post", f"/ideas/{idea}/status", {"status_id": d["status"].pk}),
        ("post", f"/ideas/{idea}/approve", None),
        ("post", f"/ideas/{idea}/reject", None),
        ("get", f"/ideas/{idea}/votes", None),
        ("post", f"/ideas/{idea}/votes", {"importance": "critical"}),
        ("delete", f"/ideas/{idea}/votes", None),
        ("delete", f"/ideas/{idea}/votes/proxy/{d['company'].pk}", None),
        ("get", f"/ideas/{idea}/comments", None),
        ("post", f"/ideas/{idea}/comments", {"body": "Hello"}),
        ("post", f"/ideas/{other}/merge", {"target_id": idea}),
        ("post", f"/ideas/{other}/unmerge", None),
        ("post", f"/ideas/{idea}/feature", {"feature_id": d["feature"].pk}),
        ("delete", f"/ideas/{idea}/feature", None),
        ("post", f"/ideas/{idea}/promote", {}),
        ("get", f"/ideas/{idea}/events", None),
        ("get", f"/features/{d['feature'].pk}/ideas", None),
        ("delete", f"/ideas/{idea}", None),
    ]


LISTS = [("get", "/portals", None), ("get", "/ideas", None)]


# --- access -----------------------------------------------------------------------------------


def test_every_operation_needs_authentication(data, admin):
    data = {**data, "other": f.idea(admin, data["portal"], title="Another one"), "status": data["statuses"]["Planned"]}
    anonymous = Client()
    creates = [
        ("post", "/portals", {"name": "X", "slug": "x-portal"}),
        ("post", "/ideas", {"portal_id": data["portal"].pk, "title": "Anonymous idea"}),
    ]
    for method, url, body in operations(data) + LISTS + creates:
        response = call(anonymous, method, url, body)
        assert response.status_code == 401, (method, url)
        assert error(response)["code"] == "not_authenticated"
    assert Idea.objects.count() == 2 and Portal.objects.count() == 1


def test_every_operation_on_another_workspaces_object_is_not_found(api_client, admin, data, foreign):
    client = api_client(admin)
    before = (
        list(Idea.objects.filter(workspace=foreign["portal"].workspace).order_by("pk").values()),
        list(Portal.objects.filter(workspace=foreign["portal"].workspace).values()),
        Vote.objects.count(),
        IdeaComment.objects.count(),
        IdeaEvent.objects.count(),
    )
    for method, url, body in operations(foreign):
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url, response.content)
        assert error(response)["code"] == "not_found"
        assert "globex" not in response.content.decode().lower() and "their" not in response.content.decode().lower()
    after = (
        list(Idea.objects.filter(workspace=foreign["portal"].workspace).order_by("pk").values()),
        list(Portal.objects.filter(workspace=foreign["portal"].workspace).values()),
        Vote.objects.count(),
        IdeaComment.objects.count(),
        IdeaEvent.objects.count(),
    )
    assert after == before


def test_ids_of_another_workspace_in_bodies_are_not_found_naming_the_field(api_client, admin, data, foreign):
    client = api_client(admin)
    idea = data["idea"].pk
    portal = data["portal"].pk
    cases = [
        ("post", "/ideas", {"portal_id": foreign["portal"].pk, "title": "Sneaky"}, "portal_id"),
        ("post", "/ideas", {"portal_id": portal, "title": "Sneaky", "product_id": foreign["product"].pk}, "product_id"),
        (
            "post",
            "/ideas",
            {"portal_id": portal, "title": "Sneaky", "on_behalf_company_id": foreign["company"].pk},
            "on_behalf_company_id",
        ),
        (
            "post",
            "/ideas",
            {"portal_id": portal, "title": "Sneaky", "on_behalf_contact_id": foreign["contact"].pk},
            "on_behalf_contact_id",
        ),
        (
            "post",
            "/portals",
            {"name": "Sneaky", "slug": "sneaky", "product_ids": [foreign["product"].pk]},
            "product_ids",
        ),
        ("patch", f"/ideas/{idea}", {"product_id": foreign["product"].pk}, "product_id"),
        ("post", f"/ideas/{idea}/status", {"status_id": foreign["status"].pk}, "status_id"),
        ("post", f"/ideas/{idea}/votes", {"company_id": foreign["company"].pk}, "company_id"),
        ("post", f"/ideas/{idea}/votes", {"contact_id": foreign["contact"].pk}, "contact_id"),
        ("post", f"/ideas/{idea}/merge", {"target_id": foreign["idea"].pk}, "target_id"),
        ("post", f"/ideas/{idea}/feature", {"feature_id": foreign["feature"].pk}, "feature_id"),
        ("post", f"/ideas/{idea}/promote", {"product_id": foreign["product"].pk}, "product_id"),
    ]
    before = (Idea.objects.count(), Portal.objects.count(), Vote.objects.count(), IdeaEvent.objects.count())
    for method, url, body, field in cases:
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url, body, response.content)
        assert list(error(response)["fields"]) == [field], (url, body)
        assert error(response)["message"].startswith(f"{field}: No ")
    assert (Idea.objects.count(), Portal.objects.count(), Vote.objects.count(), IdeaEvent.objects.count()) == before


def test_the_api_never_serves_a_portal_user(client, data, admin):
    """A customer with a portal account is no workspace member: their session reaches nothing,
    with or without the workspace header."""
    data = {**data, "other": f.idea(admin, data["portal"], title="Another one"), "status": data["statuses"]["Planned"]}
    customer = f.portal_user(data["portal"], email="carla@customer.example")
    f.idea(customer, data["portal"], title="Customer idea")
    client.force_login(customer)
    before = (list(Idea.objects.order_by("pk").values()), Vote.objects.count(), IdeaComment.objects.count())
    creates = [
        ("post", "/portals", {"name": "Mine", "slug": "mine"}),
        ("post", "/ideas", {"portal_id": data["portal"].pk, "title": "Through the API"}),
    ]
    for headers in ({"HTTP_X_HEADWAY_WORKSPACE": "acme"}, {}):
        for method, url, body in operations(data) + LISTS + creates:
            response = call(client, method, url, body, **headers)
            assert response.status_code in (401, 404), (method, url, headers, response.status_code)
            assert response.status_code == 404, (method, url, headers)
            assert error(response)["code"] == "not_found"
            assert "Export to CSV" not in response.content.decode()
    assert (list(Idea.objects.order_by("pk").values()), Vote.objects.count(), IdeaComment.objects.count()) == before


# --- portals ----------------------------------------------------------------------------------


def test_portal_list_get_create_update_archive_and_restore(api_client, leader, data):
    client = api_client(leader)
    portal = data["portal"]
    expected = {
        "id": portal.pk, "name": "Feedback", "slug": "feedback", "intro": "", "accent_color": "#4f46e5",
        "visibility": "public", "allowed_domains": [], "require_approval": False, "product_ids": [data["pay"].pk],
        "archived_at": None, "created_at": iso(portal.created_at), "updated_at": iso(portal.updated_at),
    }  # fmt: skip
    assert call(client, "get", "/portals").json() == {
        "items": [expected], "count": 1, "page": 1, "page_size": 50, "pages": 1,
    }  # fmt: skip
    assert call(client, "get", f"/portals/{portal.pk}").json() == expected

    response = call(
        client,
        "post",
        "/portals",
        {
            "name": "Partners",
            "slug": "partners",
            "intro": "Tell us *what* you need.",
            "accent_color": "#0EA5E9",
            "visibility": "private",
            "allowed_domains": ["partner.example", "reseller.example"],
            "require_approval": True,
            "product_ids": [data["pay"].pk, data["pay"].pk],
        },
    )
    assert response.status_code == 201, response.content
    created = Portal.objects.get(slug="partners")
    assert response.json() == {
        "id": created.pk, "name": "Partners", "slug": "partners", "intro": "Tell us *what* you need.",
        "accent_color": "#0ea5e9", "visibility": "private", "allowed_domains": ["partner.example", "reseller.example"],
        "require_approval": True, "product_ids": [data["pay"].pk], "archived_at": None,
        "created_at": iso(created.created_at), "updated_at": iso(created.updated_at),
    }  # fmt: skip

    response = call(client, "patch", f"/portals/{created.pk}", {"name": "Partner ideas", "product_ids": []})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["product_ids"], response.json()["slug"]) == (
        "Partner ideas",
        [],
        "partners",
    )

    archived = call(client, "post", f"/portals/{created.pk}/archive").json()
    created.refresh_from_db()
    assert archived["archived_at"] == iso(created.archived_at)
    assert [p["slug"] for p in call(client, "get", "/portals").json()["items"]] == ["feedback"]
    listed = call(client, "get", "/portals?include_archived=true").json()["items"]
    assert [p["slug"] for p in listed] == ["feedback", "partners"]
    assert call(client, "post", f"/portals/{created.pk}/restore").json()["archived_at"] is None
    assert Portal.objects.get(pk=created.pk).archived_at is None


def test_portal_inputs_are_checked_and_errors_name_the_field(api_client, leader, data, other_workspace, outsider):
    client = api_client(leader)
    f.portal(outsider, other_workspace, slug="taken")
    cases = [
        ({"name": "X", "slug": "Not A Slug"}, 422, "slug"),
        ({"name": "X", "slug": "ok", "accent_color": "blue"}, 422, "accent_color"),
        ({"name": "X", "slug": "ok", "visibility": "secret"}, 422, "visibility"),
        ({"name": "X", "slug": "ok", "allowed_domains": ["@partner.example"]}, 422, "allowed_domains.0"),
        ({"name": "   ", "slug": "ok"}, 422, "name"),
        ({"name": "X", "slug": "ok", "require_approval": "yes"}, 422, "require_approval"),
        ({"name": "X", "slug": "ok", "colour": "#000000"}, 422, "colour"),
        ({"name": "X", "slug": "taken"}, 409, "slug"),
        ({"name": "feedback", "slug": "fresh"}, 409, "name"),
    ]
    for body, status, field in cases:
        response = call(client, "post", "/portals", body)
        assert response.status_code == status, (body, response.content)
        assert field in error(response)["fields"], (body, error(response))
    assert call(client, "patch", f"/portals/{data['portal'].pk}", {"name": None}).status_code == 422
    assert Portal.objects.filter(workspace=data["portal"].workspace).count() == 1


def test_only_leaders_and_admins_manage_portals(api_client, pm, viewer, data):
    portal = data["portal"]
    for user in (pm, viewer):
        client = api_client(user)
        assert call(client, "get", f"/portals/{portal.pk}").status_code == 200
        for method, url, body in [
            ("post", "/portals", {"name": "Mine", "slug": "mine"}),
            ("patch", f"/portals/{portal.pk}", {"name": "Mine"}),
            ("post", f"/portals/{portal.pk}/archive", None),
            ("post", f"/portals/{portal.pk}/restore", None),
        ]:
            response = call(client, method, url, body)
            assert response.status_code == 403, (user, url)
            assert error(response)["message"].endswith("may not manage portals.")
    portal.refresh_from_db()
    assert (portal.name, portal.archived_at, Portal.objects.count()) == ("Feedback", None, 1)


# --- ideas ------------------------------------------------------------------------------------


def test_idea_get_answers_the_whole_idea(api_client, viewer, admin, data):
    idea = data["idea"]
    response = call(api_client(viewer), "get", f"/ideas/{idea.pk}")
    assert response.status_code == 200
    idea.refresh_from_db()
    assert response.json() == {
        "id": idea.pk,
        "portal_id": data["portal"].pk,
        "title": "Export to CSV",
        "description": "As *a PM*",
        "product_id": data["pay"].pk,
        "category_id": data["category"].pk,
        "category": "Reporting",
        "status": {"id": data["statuses"]["New"].pk, "name": "New", "public_label": "New", "category": "new"},
        "submitter": {"id": admin.pk, "email": "admin@example.com", "name": "Ada Admin"},
        "on_behalf_contact": None,
        "on_behalf_company": None,
        "entered_by_id": None,
        "audience": "internal",
        "approval": "approved",
        "feature_id": None,
        "merged_into": None,
        "vote_count": 1,
        "demand": "2.00",
        "comment_count": 0,
        "status_changed_at": None,
        "created_at": iso(idea.created_at),
        "updated_at": iso(idea.updated_at),
    }


def test_a_contributor_files_an_idea_on_a_customers_behalf(api_client, contributor, data):
    client = api_client(contributor)
    response = call(
        client,
        "post",
        "/ideas",
        {
            "portal_id": data["portal"].pk,
            "title": "  SSO with Okta ",
            "description": "Asked on the **renewal** call.",
            "on_behalf_contact_id": data["contact"].pk,
            "importance": "critical",
            "category_id": data["category"].pk,
        },
    )
    assert response.status_code == 201, response.content
    idea = Idea.objects.get(title="SSO with Okta")
    body = response.json()
    assert body == idea_body(idea)
    assert (body["submitter"], body["entered_by_id"], body["audience"]) == (None, contributor.pk, "customer")
    assert body["on_behalf_contact"] == {
        "id": data["contact"].pk,
        "name": "Bill Lumbergh",
        "email": "bill@initech.example",
    }
    assert body["on_behalf_company"] == {"id": data["company"].pk, "name": "Initech"}
    # The company's proxy vote: critical (4) × strategic (3).
    assert (body["vote_count"], body["demand"]) == (1, "12.00")
    vote = Vote.objects.get(idea=idea)
    assert (vote.voter, vote.company, vote.contact, vote.proxy_by, vote.importance) == (
        None, data["company"], data["contact"], contributor, "critical",
    )  # fmt: skip
    assert list(IdeaEvent.objects.filter(idea=idea).values_list("kind", flat=True)) == ["idea.created"]


def test_idea_inputs_are_checked_and_errors_name_the_field(api_client, contributor, viewer, data):
    client = api_client(contributor)
    portal = data["portal"].pk
    cases = [
        ({"portal_id": portal, "title": "   "}, 422, "title"),
        ({"portal_id": portal, "title": "OK"}, 422, "title"),
        ({"portal_id": portal, "title": "x" * 201}, 422, "title"),
        ({"portal_id": portal}, 422, "title"),
        ({"title": "No portal"}, 422, "portal_id"),
        ({"portal_id": "1", "title": "String id"}, 422, "portal_id"),
        ({"portal_id": portal, "title": "Bad importance", "importance": "urgent"}, 422, "importance"),
        ({"portal_id": portal, "title": "Bad audience", "audience": "everyone"}, 422, "audience"),
        ({"portal_id": portal, "title": "Unknown field", "votes": 3}, 422, "votes"),
        ({"portal_id": 999999, "title": "No such portal"}, 404, "portal_id"),
        ({"portal_id": portal, "title": "No such category", "category_id": 999999}, 404, "category_id"),
    ]
    for body, status, field in cases:
        response = call(client, "post", "/ideas", body)
        assert response.status_code == status, (body, response.content)
        assert field in error(response)["fields"], (body, error(response))
    assert Idea.objects.count() == 1
    # A viewer may post in their own name but not for a customer.
    response = call(
        api_client(viewer),
        "post",
        "/ideas",
        {"portal_id": portal, "title": "For Initech", "on_behalf_company_id": data["company"].pk},
    )
    assert response.status_code == 403
    assert error(response)["message"] == "Your role may not submit ideas on a customer's behalf."
    assert Idea.objects.count() == 1


def test_ideas_cannot_be_submitted_to_an_archived_portal(api_client, leader, data):
    client = api_client(leader)
    call(client, "post", f"/portals/{data['portal'].pk}/archive")
    response = call(client, "post", "/ideas", {"portal_id": data["portal"].pk, "title": "Too late"})
    assert response.status_code == 409
    assert error(response) == {
        "code": "conflict",
        "message": "portal_id: The portal is archived; restore it before submitting ideas to it.",
        "fields": {"portal_id": ["The portal is archived; restore it before submitting ideas to it."]},
    }


def test_idea_list_filters_sorts_and_pages(api_client, admin, pm, contributor, data):
    portal = data["portal"]
    first = data["idea"]
    second = f.idea(admin, portal, title="Dark mode", description="Night owls")
    third = f.idea(admin, portal, title="Slack alerts")
    services.vote_proxy(actor=admin, idea=second, company=data["company"], importance="critical")
    services.vote_cast(actor=contributor, idea=second)
    services.vote_cast(actor=pm, idea=third, importance="nice_to_have")
    services.idea_status_change(actor=admin, idea=third, status=data["statuses"]["Planned"])
    services.idea_merge(actor=admin, source=first, target=second)
    client = api_client(pm)

    def ids(query=""):
        response = call(client, "get", f"/ideas{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [second.pk, third.pk, first.pk]  # votes: 3, 2, 0 (the merged one's moved on)
    assert ids("?sort=demand") == [second.pk, third.pk, first.pk]
    assert ids("?sort=newest") == [third.pk, second.pk, first.pk]
    assert ids("?merged=false") == [second.pk, third.pk]
    assert ids("?merged=true") == [first.pk]
    assert ids("?status_category=planned") == [third.pk]
    assert ids(f"?status_id={data['statuses']['Planned'].pk}") == [third.pk]
    assert ids(f"?category_id={data['category'].pk}") == [first.pk]
    assert ids(f"?product_id={data['pay'].pk}") == [first.pk]
    assert ids(f"?portal_id={portal.pk}&q=night") == [second.pk]
    assert ids("?approval=pending") == []
    page = call(client, "get", "/ideas?page=2&page_size=2").json()
    assert (page["count"], page["page"], page["page_size"], page["pages"]) == (3, 2, 2, 2)
    assert [item["id"] for item in page["items"]] == [first.pk]
    assert page["items"][0] == idea_body(first)
    assert page["items"][0]["merged_into"] == {"id": second.pk, "title": "Dark mode"}
    for query, field in [
        ("?page_size=101", "page_size"),
        ("?sort=oldest", "sort"),
        ("?status_category=done", "status_category"),
        ("?page=0", "page"),
    ]:
        response = call(client, "get", f"/ideas{query}")
        assert response.status_code == 422, query
        assert list(error(response)["fields"]) == [field]


def test_idea_patch_by_a_pm_and_null_clears(api_client, pm, viewer, data):
    idea = data["idea"]
    response = call(
        api_client(pm),
        "patch",
        f"/ideas/{idea.pk}",
        {"title": "Export to CSV and Excel", "category_id": None, "audience": "partner"},
    )
    assert response.status_code == 200, response.content
    assert response.json() == idea_body(idea)
    assert (response.json()["title"], response.json()["category_id"], response.json()["audience"]) == (
        "Export to CSV and Excel",
        None,
        "partner",
    )
    assert call(api_client(pm), "patch", f"/ideas/{idea.pk}", {"title": None}).status_code == 422
    response = call(api_client(viewer), "patch", f"/ideas/{idea.pk}", {"title": "Mine now"})
    assert response.status_code == 403
    assert Idea.objects.get(pk=idea.pk).title == "Export to CSV and Excel"


def test_idea_delete_is_soft_and_the_idea_is_gone(api_client, pm, viewer, data):
    idea = data["idea"]
    assert call(api_client(viewer), "delete", f"/ideas/{idea.pk}").status_code == 403
    client = api_client(pm)
    response = call(client, "delete", f"/ideas/{idea.pk}")
    assert response.status_code == 204 and response.content == b""
    assert Idea.objects.get(pk=idea.pk).deleted_at is not None
    assert call(client, "get", f"/ideas/{idea.pk}").status_code == 404
    assert call(client, "get", "/ideas").json()["count"] == 0
    assert call(client, "delete", f"/ideas/{idea.pk}").status_code == 404


def test_status_change_with_a_public_message(api_client, pm, contributor, data):
    idea = data["idea"]
    planned = data["statuses"]["Planned"]
    response = call(api_client(contributor), "post", f"/ideas/{idea.pk}/status", {"status_id": planned.pk})
    assert response.status_code == 403
    assert error(response)["message"] == "Your role (Contributor) may not manage ideas."
    client = api_client(pm)
    response = call(client, "post", f"/ideas/{idea.pk}/status", {"status_id": planned.pk, "message": "Next quarter."})
    assert response.status_code == 200, response.content
    assert response.json() == idea_body(idea)
    assert response.json()["status"] == {
        "id": planned.pk,
        "name": "Planned",
        "public_label": "Planned",
        "category": "planned",
    }
    assert response.json()["comment_count"] == 1
    comment = IdeaComment.objects.get(idea=idea)
    assert (comment.body, comment.is_official, comment.author) == ("Next quarter.", True, pm)
    event = IdeaEvent.objects.filter(idea=idea).first()
    assert (event.kind, event.payload["to"], event.payload["message"]) == (
        "idea.status_changed",
        "Planned",
        "Next quarter.",
    )
    for body, status, field in [
        ({}, 422, "status_id"),
        ({"status_id": planned.pk, "message": 3}, 422, "message"),
        ({"status_id": 999999}, 404, "status_id"),
    ]:
        response = call(client, "post", f"/ideas/{idea.pk}/status", body)
        assert response.status_code == status, body
        assert list(error(response)["fields"]) == [field]


def test_approve_and_reject_a_waiting_idea(api_client, pm, viewer, admin, data):
    portal = data["portal"]
    services.portal_update(actor=admin, portal=portal, require_approval=True)
    customer = f.portal_user(portal)
    waiting = f.idea(customer, portal, title="Please approve me")
    assert waiting.approval == "pending"
    assert call(api_client(viewer), "post", f"/ideas/{waiting.pk}/approve").status_code == 403
    client = api_client(pm)
    assert [i["id"] for i in call(client, "get", "/ideas?approval=pending").json()["items"]] == [waiting.pk]
    response = call(client, "post", f"/ideas/{waiting.pk}/reject")
    assert (response.status_code, response.json()["approval"]) == (200, "rejected")
    response = call(client, "post", f"/ideas/{waiting.pk}/approve")
    assert (response.status_code, response.json()) == (200, idea_body(waiting))
    assert response.json()["approval"] == "approved"
    assert IdeaEvent.objects.filter(idea=waiting, kind="idea.approved").count() == 1


# --- votes ------------------------------------------------------------------------------------


def test_own_vote_cast_changed_listed_and_withdrawn(api_client, contributor, admin, data):
    idea = data["idea"]
    client = api_client(contributor)
    response = call(client, "post", f"/ideas/{idea.pk}/votes", {"importance": "critical"})
    assert response.status_code == 200, response.content
    vote = Vote.objects.get(idea=idea, voter=contributor)
    assert response.json() == {
        "id": vote.pk, "voter": person(contributor), "company": None, "contact": None, "importance": "critical",
        "proxy_by": None, "created_at": iso(vote.created_at), "updated_at": iso(vote.updated_at),
    }  # fmt: skip
    response = call(client, "post", f"/ideas/{idea.pk}/votes", {"importance": "nice_to_have"})
    assert (response.json()["id"], response.json()["importance"]) == (vote.pk, "nice_to_have")
    idea.refresh_from_db()
    assert (idea.vote_count, idea.demand) == (2, Decimal("3.00"))  # admin's important (2) + nice to have (1)
    listed = call(client, "get", f"/ideas/{idea.pk}/votes").json()
    assert [(v["voter"]["id"], v["importance"]) for v in listed["items"]] == [
        (contributor.pk, "nice_to_have"),
        (admin.pk, "important"),
    ]
    assert (listed["count"], listed["pages"]) == (2, 1)
    response = call(client, "delete", f"/ideas/{idea.pk}/votes")
    assert response.status_code == 204
    assert not Vote.objects.filter(voter=contributor).exists()
    assert call(client, "post", f"/ideas/{idea.pk}/votes", {"importance": "huge"}).status_code == 422


def test_proxy_votes_for_a_company(api_client, contributor, viewer, data):
    idea = data["idea"]
    denied = call(api_client(viewer), "post", f"/ideas/{idea.pk}/votes", {"company_id": data["company"].pk})
    assert denied.status_code == 403
    client = api_client(contributor)
    # contact_id alone: the vote is for the contact's company.
    response = call(
        client, "post", f"/ideas/{idea.pk}/votes", {"contact_id": data["contact"].pk, "importance": "critical"}
    )
    assert response.status_code == 200, response.content
    vote = Vote.objects.get(idea=idea, voter__isnull=True)
    assert response.json() == {
        "id": vote.pk,
        "voter": None,
        "company": {"id": data["company"].pk, "name": "Initech"},
        "contact": {"id": data["contact"].pk, "name": "Bill Lumbergh", "email": "bill@initech.example"},
        "importance": "critical",
        "proxy_by": person(contributor),
        "created_at": iso(vote.created_at),
        "updated_at": iso(vote.updated_at),
    }
    idea.refresh_from_db()
    assert (idea.vote_count, idea.demand) == (2, Decimal("14.00"))
    other = Company.objects.create(workspace=idea.workspace, name="Hooli")
    response = call(
        client, "post", f"/ideas/{idea.pk}/votes", {"company_id": other.pk, "contact_id": data["contact"].pk}
    )
    assert response.status_code == 422
    assert error(response)["fields"] == {"contact_id": ["Bill Lumbergh does not work at Hooli."]}
    assert call(api_client(viewer), "delete", f"/ideas/{idea.pk}/votes/proxy/{data['company'].pk}").status_code == 403
    response = call(client, "delete", f"/ideas/{idea.pk}/votes/proxy/{data['company'].pk}")
    assert response.status_code == 204
    assert not Vote.objects.filter(idea=idea, voter__isnull=True).exists()
    assert call(client, "delete", f"/ideas/{idea.pk}/votes/proxy/999999").status_code == 404


def test_votes_on_a_merged_idea_are_refused(api_client, admin, contributor, data):
    idea = data["idea"]
    target = f.idea(admin, data["portal"], title="Export everything")
    services.idea_merge(actor=admin, source=idea, target=target)
    response = call(api_client(contributor), "post", f"/ideas/{idea.pk}/votes", {"importance": "critical"})
    assert response.status_code == 409
    assert error(response)["message"] == (
        f"This idea was merged into “Export everything” (idea {target.pk}); vote there instead."
    )


# --- comments ---------------------------------------------------------------------------------


def test_members_see_internal_comments_with_their_flags(api_client, contributor, viewer, admin, data):
    idea = data["idea"]
    customer = f.portal_user(data["portal"], full_name="Carla Customer")
    public = services.comment_add(actor=customer, idea=idea, body="We need this too")
    client = api_client(contributor)
    response = call(client, "post", f"/ideas/{idea.pk}/comments", {"body": "Sales says *big*", "internal": True})
    assert response.status_code == 201, response.content
    internal = IdeaComment.objects.get(is_internal=True)
    assert response.json() == {
        "id": internal.pk, "idea_id": idea.pk, "author": person(contributor), "body": "Sales says *big*",
        "internal": True, "official": False, "created_at": iso(internal.created_at),
    }  # fmt: skip
    response = call(client, "post", f"/ideas/{idea.pk}/comments", {"body": "Thanks, noted."})
    official = IdeaComment.objects.get(is_official=True)
    assert (response.status_code, response.json()["internal"], response.json()["official"]) == (201, False, True)
    listed = call(api_client(viewer), "get", f"/ideas/{idea.pk}/comments").json()
    assert [(c["id"], c["internal"], c["official"]) for c in listed["items"]] == [
        (public.pk, False, False),
        (internal.pk, True, False),
        (official.pk, False, True),
    ]
    assert listed["items"][0]["author"] == person(customer)
    assert Idea.objects.get(pk=idea.pk).comment_count == 2  # public ones only


def test_comment_rules(api_client, contributor, viewer, data):
    idea = data["idea"]
    response = call(api_client(viewer), "post", f"/ideas/{idea.pk}/comments", {"body": "Me too"})
    assert response.status_code == 403
    assert error(response)["message"] == "Your role (Viewer) may not comment."
    client = api_client(contributor)
    for body, field in [({"body": "  "}, "body"), ({}, "body"), ({"body": "x", "internal": "yes"}, "internal")]:
        response = call(client, "post", f"/ideas/{idea.pk}/comments", body)
        assert response.status_code == 422, body
        assert list(error(response)["fields"]) == [field]
    assert not IdeaComment.objects.exists()


# --- merges -----------------------------------------------------------------------------------


def test_merge_and_unmerge(api_client, pm, contributor, admin, data):
    source = data["idea"]
    target = f.idea(admin, data["portal"], title="Export to Excel")
    services.vote_cast(actor=contributor, idea=source, importance="critical")
    assert (
        call(api_client(contributor), "post", f"/ideas/{source.pk}/merge", {"target_id": target.pk}).status_code == 403
    )
    client = api_client(pm)
    response = call(client, "post", f"/ideas/{source.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 200, response.content
    assert response.json() == idea_body(source)
    assert response.json()["merged_into"] == {"id": target.pk, "title": "Export to Excel"}
    assert response.json()["status"]["category"] == "duplicate"
    assert Idea.objects.get(pk=target.pk).vote_count == 2  # admin (both) and the contributor
    assert Merge.objects.filter(source=source, undone_at__isnull=True).count() == 1
    response = call(client, "post", f"/ideas/{source.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 409
    response = call(client, "post", f"/ideas/{source.pk}/unmerge")
    assert response.status_code == 200, response.content
    assert response.json() == idea_body(source)
    assert (response.json()["merged_into"], response.json()["vote_count"], response.json()["status"]["name"]) == (
        None,
        2,
        "New",
    )
    assert Idea.objects.get(pk=target.pk).vote_count == 1
    response = call(client, "post", f"/ideas/{target.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["target_id"]
    assert call(client, "post", f"/ideas/{target.pk}/merge", {}).status_code == 422


# --- backlog ----------------------------------------------------------------------------------


def test_link_unlink_and_the_features_ideas(api_client, pm, contributor, admin, data):
    idea, feature = data["idea"], data["feature"]
    services.vote_proxy(actor=admin, idea=idea, company=data["company"], importance="critical")
    other = f.idea(admin, data["portal"], title="CSV for invoices")
    assert (
        call(api_client(contributor), "post", f"/ideas/{idea.pk}/feature", {"feature_id": feature.pk}).status_code
        == 403
    )
    client = api_client(pm)
    for target in (idea, other):
        response = call(client, "post", f"/ideas/{target.pk}/feature", {"feature_id": feature.pk})
        assert response.status_code == 200, response.content
        assert response.json() == idea_body(target)
        assert response.json()["feature_id"] == feature.pk
    response = call(api_client(contributor), "get", f"/features/{feature.pk}/ideas")
    assert response.status_code == 200
    assert response.json() == {
        "feature_id": feature.pk,
        "ideas": [idea_body(idea), idea_body(other)],
        "merged": [],
        "totals": {"ideas": 2, "votes": 3, "demand": "16.00", "companies": 1},
    }
    response = call(client, "delete", f"/ideas/{idea.pk}/feature")
    assert response.status_code == 204
    assert Idea.objects.get(pk=idea.pk).feature_id is None
    assert [i["id"] for i in call(client, "get", f"/features/{feature.pk}/ideas").json()["ideas"]] == [other.pk]
    assert call(client, "get", "/features/999999/ideas").status_code == 404
    assert list(error(call(client, "post", f"/ideas/{idea.pk}/feature", {}))["fields"]) == ["feature_id"]


def test_promote_an_idea_to_a_feature(api_client, pm, contributor, admin, data):
    idea = data["idea"]
    assert call(api_client(contributor), "post", f"/ideas/{idea.pk}/promote", {}).status_code == 403
    response = call(api_client(admin), "post", f"/ideas/{idea.pk}/promote", {"title": "CSV and Excel export"})
    assert response.status_code == 201, response.content
    body = response.json()
    idea.refresh_from_db()
    assert body["idea"] == idea_body(idea)
    assert body["idea"]["feature_id"] == body["feature"]["id"] == idea.feature_id
    assert (body["feature"]["ref"], body["feature"]["title"], body["feature"]["product_id"]) == (
        "PAY-2",
        "CSV and Excel export",
        data["pay"].pk,
    )
    response = call(api_client(admin), "post", f"/ideas/{idea.pk}/promote", {"title": "ab"})
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["title"]
    # The idea in the path is no body field: a conflict about it belongs to the whole request.
    response = call(api_client(admin), "post", f"/ideas/{idea.pk}/promote", {})
    message = f"Idea #{idea.pk} “Export to CSV” is already linked to PAY-2 CSV and Excel export; unlink it first."
    assert (response.status_code, error(response)) == (
        409,
        {"code": "conflict", "message": message, "fields": {"__all__": [message]}},
    )


# --- events -----------------------------------------------------------------------------------


def test_the_event_log_is_webhook_ready(api_client, viewer, contributor, pm, admin, data):
    idea = data["idea"]
    services.vote_cast(actor=contributor, idea=idea, importance="critical")
    services.idea_status_change(actor=pm, idea=idea, status=data["statuses"]["Planned"], message="Soon")
    response = call(api_client(viewer), "get", f"/ideas/{idea.pk}/events")
    assert response.status_code == 200
    events = list(IdeaEvent.objects.filter(idea=idea).order_by("-created_at", "-id"))
    assert [e["kind"] for e in response.json()["items"]] == ["idea.status_changed", "idea.voted", "idea.created"]
    newest = events[0]
    assert response.json()["items"][0] == {
        "id": newest.pk,
        "idea_id": idea.pk,
        "kind": "idea.status_changed",
        "actor": person(pm),
        "payload": newest.payload,
        "created_at": iso(newest.created_at),
        "delivered_at": None,
    }
    assert newest.payload["to"] == "Planned" and newest.payload["message"] == "Soon"
    assert response.json()["items"][1]["payload"]["importance"] == "critical"
    operation = Client().get(f"{API}/openapi.json").json()["paths"]["/api/v1/ideas/{idea_id}/events"]["get"]
    assert "`delivered_at` stays empty until a webhook integration delivers it" in operation["description"]


def test_every_operation_documents_the_error_shape(data):
    schema = Client().get(f"{API}/openapi.json").json()
    ours = {p: ops for p, ops in schema["paths"].items() if "/ideas" in p or "/portals" in p}
    assert len(ours) == 19  # with /ideas/{idea_id}/say-no of prioritization
    for path, operations_ in ours.items():
        for method, operation in operations_.items():
            assert {"401", "403", "404", "422"} <= set(operation["responses"]), (method, path)


def test_the_event_kinds_of_the_schema_are_the_models():
    from typing import get_args

    from headway.ideas.schemas import EventKindName

    assert list(get_args(EventKindName)) == IdeaEvent.Kind.values
