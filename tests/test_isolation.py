"""Workspace isolation: no request may read or change another workspace's data.

Two workspaces, "acme" and "globex", each with a portfolio, customers, members and an invitation.
The tests walk every HTML URL under /w/<ws>/ and every API operation in the OpenAPI schema, so
pages and endpoints added later are covered without editing this file.
"""

import datetime as dt
import json
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from headway.accounts.services import api_token_create
from headway.workspaces.models import Invitation, Membership

pytestmark = pytest.mark.django_db


# --- the two worlds -------------------------------------------------------------------------


def _world(actor, workspace, tag: str) -> dict:
    """A product line, product, component, company, contact, member and invitation in one workspace."""
    from headway.customers import services as customers
    from headway.portfolio import services as portfolio
    from headway.strategy import services as strategy
    from headway.workspaces.services import invitation_create

    line = portfolio.product_line_create(actor=actor, workspace=workspace, name=f"{tag} line")
    product = portfolio.product_create(
        actor=actor, workspace=workspace, product_line=line, name=f"{tag} product", key=tag.upper()[:4] + "P"
    )
    component = portfolio.component_create(actor=actor, product=product, name=f"{tag} component")
    company = customers.company_create(actor=actor, workspace=workspace, name=f"{tag} company")
    contact = customers.contact_create(actor=actor, company=company, name=f"{tag} contact", email=f"c@{tag}.example")
    invitation, _ = invitation_create(actor=actor, workspace=workspace, email=f"invitee@{tag}.example", role="viewer")
    objective = strategy.objective_create(
        actor=actor, workspace=workspace, title=f"{tag} objective", period_kind="custom",
        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 3, 31),
    )  # fmt: skip
    key_result = strategy.key_result_create(actor=actor, objective=objective, title=f"{tag} kr", target_value=10)
    initiative = strategy.initiative_create(actor=actor, workspace=workspace, title=f"{tag} initiative")
    vision = strategy.vision_create(actor=actor, workspace=workspace, statement=f"{tag} vision")
    from headway.backlog import services as backlog

    feature = backlog.feature_create(actor=actor, workspace=workspace, product=product, title=f"{tag} feature")
    second = backlog.feature_create(actor=actor, workspace=workspace, product=product, title=f"{tag} second")
    requirement = backlog.requirement_add(actor=actor, feature=feature, story=f"{tag} story")
    dependency = backlog.dependency_add(actor=actor, blocker=feature, blocked=second)
    comment = backlog.comment_add(actor=actor, feature=feature, body=f"{tag} comment")
    link = backlog.link_add(actor=actor, feature=feature, url=f"https://{tag}.example/spec")
    saved_view = backlog.saved_view_create(actor=actor, workspace=workspace, name=f"{tag} view", filters={})
    from headway.ideas import services as ideas
    from headway.ideas.models import IdeaStatus

    portal = ideas.portal_create(
        actor=actor, workspace=workspace, name=f"{tag} portal", slug=f"{tag}-portal", products=[product]
    )
    idea_category = ideas.idea_category_create(actor=actor, workspace=workspace, name=f"{tag} category")
    idea = ideas.idea_create(actor=actor, portal=portal, title=f"{tag} idea", category=idea_category)
    ideas.vote_proxy(actor=actor, idea=idea, company=company, contact=contact)
    ideas.comment_add(actor=actor, idea=idea, body=f"{tag} internal note", internal=True)
    ideas.idea_link_feature(actor=actor, idea=idea, feature=feature)
    (portal_invitation,) = ideas.portal_invite(actor=actor, portal=portal, emails=[f"guest@{tag}.example"])
    from headway.insights.models import InsightJob, NoteImport
    from headway.insights.services.highlights import highlight_create
    from headway.insights.tests import factories as insights

    theme = insights.theme(workspace, f"{tag} theme")
    note = insights.note(workspace, f"{tag} private feedback note", company=company, theme=theme)
    highlight = highlight_create(actor=actor, note=note, start=0, end=4, importance="important", feature=feature)
    note_import = NoteImport.objects.create(workspace=workspace, created_by=actor, filename=f"{tag}.csv", channel="CSV")
    job = InsightJob.objects.create(workspace=workspace, kind=InsightJob.Kind.CLASSIFY, started_by=actor)
    from headway.backlog.services import feature_update
    from headway.prioritization.services import capacity, plans, scoring

    scoring_model = scoring.scoring_model_create(
        actor=actor, workspace=workspace, name=f"{tag} model", framework="rice", is_default=True
    )
    scoring.feature_score_set(
        actor=actor,
        model=scoring_model,
        feature=feature,
        inputs={"reach": 5, "impact": 1, "confidence": 100, "effort": 1},
    )
    scoring.rank_override_set(actor=actor, model=scoring_model, feature=feature, position=1, reason=f"{tag} pin")
    team = capacity.team_create(actor=actor, workspace=workspace, name=f"{tag} team")
    team_member = capacity.team_member_add(actor=actor, team=team, name=f"{tag} engineer")
    time_off = capacity.time_off_add(actor=actor, member=team_member, starts_on="2027-01-04", ends_on="2027-01-08")
    allocation = capacity.team_allocation_set(actor=actor, team=team, product=product, percent=100)
    feature_update(actor=actor, feature=feature, effort=2)
    plan = plans.plan_solve(
        actor=actor, plan=plans.plan_create(actor=actor, workspace=workspace, period="2027-Q1", team_ids=[team.pk])
    )
    scenario = plans.plan_scenario_add(
        actor=actor, plan=plan, changes=[{"kind": "add_capacity", "team": team.pk, "amount": 1}]
    )
    return {
        "workspace": workspace,
        "admin": actor,
        "membership": Membership.objects.get(user=actor, workspace=workspace),
        "invitation": invitation,
        "line": line,
        "product": product,
        "component": component,
        "company": company,
        "contact": contact,
        "objective": objective,
        "key_result": key_result,
        "initiative": initiative,
        "vision": vision,
        "feature": feature,
        "requirement": requirement,
        "dependency": dependency,
        "comment": comment,
        "link": link,
        "saved_view": saved_view,
        "status": feature.status,
        "portal": portal,
        "portal_invitation": portal_invitation,
        "idea_category": idea_category,
        "idea_status": IdeaStatus.objects.filter(workspace=workspace).order_by("position").last(),
        "idea": idea,
        "note": note,
        "highlight": highlight,
        "theme": theme,
        "note_import": note_import,
        "job": job,
        "scoring_model": scoring_model,
        "team": team,
        "team_member": team_member,
        "time_off": time_off,
        "allocation": allocation,
        "plan": plan,
        "scenario": scenario,
    }


@pytest.fixture
def acme(admin, workspace):
    return _world(admin, workspace, "acme")


@pytest.fixture
def globex(outsider, other_workspace):
    return _world(outsider, other_workspace, "globex")


def _rows_of(workspace) -> dict:
    """Every row that belongs to the workspace, in every app: to prove nothing there changed."""
    rows = {}
    for model in apps.get_models():
        if any(f.name == "workspace" for f in model._meta.get_fields()) and model._meta.label != "core.AuditEvent":
            rows[model._meta.label] = list(model.objects.filter(workspace=workspace).order_by("pk").values())
    rows["audit"] = list(workspace.audit_events.order_by("pk").values_list("pk", flat=True))
    return rows


# --- HTML: an outsider gets 404 for every page of acme --------------------------------------


def _workspace_patterns() -> list[tuple[str, str]]:
    """(route, name) of every URL under w/<slug:ws>/, with the namespace."""
    found = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and (prefix + str(p.pattern)).startswith("w/<slug:ws>/"):
                found.append((prefix + str(p.pattern), f"{namespace}:{p.name}"))

    walk(get_resolver().url_patterns, "", None)
    return found


WORKSPACE_ROUTES = _workspace_patterns()


def _fill(route: str, world: dict) -> str:
    """The route with the world's own ids put in (the object each part of the URL names)."""
    ids = {
        "membership_id": world["membership"].pk,
        "invitation_id": world["invitation"].pk,
        "scenario_id": world["scenario"].pk,
    }
    by_prefix = [
        ("portfolio/lines/", world["line"].pk),
        ("portfolio/products/", world["product"].pk),
        ("portfolio/components/", world["component"].pk),
        ("customers/contacts/", world["contact"].pk),
        ("customers/import/", 1),
        ("customers/", world["company"].pk),
        ("strategy/objectives/", world["objective"].pk),
        ("strategy/key-results/", world["key_result"].pk),
        ("strategy/initiatives/", world["initiative"].pk),
        ("backlog/features/", world["feature"].pk),
        ("backlog/requirements/", world["requirement"].pk),
        ("backlog/dependencies/", world["dependency"].pk),
        ("backlog/comments/", world["comment"].pk),
        ("backlog/links/", world["link"].pk),
        ("backlog/views/", world["saved_view"].pk),
        ("backlog/settings/statuses/", world["status"].pk),
        ("ideas/settings/portals/", world["portal"].pk),
        ("ideas/settings/invitations/", world["portal_invitation"].pk),
        ("ideas/settings/statuses/", world["idea_status"].pk),
        ("ideas/settings/categories/", world["idea_category"].pk),
        ("ideas/features/", world["feature"].pk),
        ("ideas/", world["idea"].pk),
        ("insights/notes/", world["note"].pk),
        ("insights/highlights/", world["highlight"].pk),
        ("insights/themes/", world["theme"].pk),
        ("insights/imports/", world["note_import"].pk),
        ("insights/jobs/", world["job"].pk),
        ("prioritization/features/", world["feature"].pk),
        ("prioritization/grid/features/", world["feature"].pk),
        ("prioritization/matrix/features/", world["feature"].pk),
        ("prioritization/ideas/", world["idea"].pk),
        ("prioritization/models/", world["scoring_model"].pk),
        ("prioritization/teams/members/", world["team_member"].pk),
        ("prioritization/teams/time-off/", world["time_off"].pk),
        ("prioritization/teams/allocations/", world["allocation"].pk),
        ("prioritization/teams/", world["team"].pk),
        ("prioritization/plans/", world["plan"].pk),
    ]
    pk = next((value for prefix, value in by_prefix if route.startswith("w/<slug:ws>/" + prefix)), 1)

    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if name == "ws":
            return world["workspace"].slug
        if name in ids:
            return str(ids[name])
        if converter == "int":
            return str(pk)
        return {"area": "strategy", "kind": "companies"}.get(name, "x")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_the_walk_finds_the_workspace_pages():
    names = {name for _, name in WORKSPACE_ROUTES}
    assert {"workspaces:overview", "workspaces:members", "workspaces:audit", "workspaces:coming"} <= names
    assert "portfolio:tree" in names and "customers:list" in names


@pytest.mark.parametrize(("route", "name"), WORKSPACE_ROUTES, ids=[n for _, n in WORKSPACE_ROUTES])
def test_outsider_gets_404_for_every_acme_page(client, acme, globex, outsider, route, name):
    url = _fill(route, acme)
    before = _rows_of(acme["workspace"])
    client.force_login(outsider)
    for method in ("get", "post"):
        response = getattr(client, method)(url, {"name": "Hijacked", "role": "admin", "email": "x@evil.example"})
        assert response.status_code == 404, (method, url)
        html = response.content.decode()
        assert "<h1>Not found</h1>" in html
        assert "Acme Product" not in html and "acme line" not in html
    assert _rows_of(acme["workspace"]) == before


@pytest.mark.parametrize(
    ("route", "name"),
    [(r, n) for r, n in WORKSPACE_ROUTES if "<int:" in r and "customers/import/" not in r],
    ids=[n for r, n in WORKSPACE_ROUTES if "<int:" in r and "customers/import/" not in r],
)
def test_globex_ids_inside_acme_urls_are_404(client, acme, globex, admin, route, name):
    """An acme admin putting globex's ids into acme's URLs reaches nothing of globex."""
    url = _fill(route, {**globex, "workspace": acme["workspace"]})
    before = _rows_of(globex["workspace"])
    client.force_login(admin)
    for method in ("get", "post"):
        response = getattr(client, method)(url, {"name": "Hijacked", "role": "viewer", "position": "0"})
        # A GET on a POST-only action is refused before any lookup (405), which reveals nothing either.
        allowed = (404, 405) if method == "get" else (404,)
        assert response.status_code in allowed, (method, url, response.status_code)
        assert "globex" not in response.content.decode().lower()
    assert _rows_of(globex["workspace"]) == before


def test_anonymous_visitors_are_sent_to_sign_in(client, acme):
    for route, _ in WORKSPACE_ROUTES:
        url = _fill(route, acme)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=")


def test_switcher_and_pages_never_name_the_other_workspace(web_client, acme, globex, admin):
    client = web_client(admin)
    for url in ("/w/acme/", "/w/acme/members/", "/w/acme/audit/", "/w/acme/soon/strategy/"):
        html = client.get(url).content.decode()
        assert "Globex" not in html and "globex" not in html, url


# --- API: tokens, sessions and the workspace header -----------------------------------------


def _schema() -> dict:
    return Client().get("/api/v1/openapi.json").json()


ID_OBJECTS = {
    "member_id": "membership",
    "invitation_id": "invitation",
    "line_id": "line",
    "product_line_id": "line",
    "product_id": "product",
    "component_id": "component",
    "company_id": "company",
    "contact_id": "contact",
    "objective_id": "objective",
    "parent_id": "objective",
    "key_result_id": "key_result",
    "initiative_id": "initiative",
    "vision_id": "vision",
    "feature_id": "feature",
    "feature_ids": "feature",
    "before": "feature",
    "after": "feature",
    "blocks": "feature",
    "blocked_by": "feature",
    "objective_ids": "objective",
    "requirement_id": "requirement",
    "dependency_id": "dependency",
    "comment_id": "comment",
    "link_id": "link",
    "status_id": "status",
    "view_id": "saved_view",
    "portal_id": "portal",
    "product_ids": "product",
    "idea_id": "idea",
    "target_id": "idea",
    "category_id": "idea_category",
    "on_behalf_contact_id": "contact",
    "on_behalf_company_id": "company",
    "note_id": "note",
    "note_ids": "note",
    "highlight_id": "highlight",
    "theme_id": "theme",
    "into_id": "theme",
    "job_id": "job",
    "idea_ids": "idea",
    "model_id": "scoring_model",
    "scoring_model_id": "scoring_model",
    "team_id": "team",
    "team_ids": "team",
    "team_member_id": "team_member",
    "time_off_id": "time_off",
    "allocation_id": "allocation",
    "plan_id": "plan",
    "scenario_id": "scenario",
    "must_have_ids": "feature",
    "add_feature_ids": "feature",
    "remove_feature_ids": "feature",
    "user_id": "admin",
}


def _example(schema: dict, prop: dict, name: str, world: dict):
    if "$ref" in prop:
        prop = schema["components"]["schemas"][prop["$ref"].split("/")[-1]]
    if "anyOf" in prop:
        prop = next(p for p in prop["anyOf"] if p.get("type") != "null")
        return _example(schema, prop, name, world)
    if name in ID_OBJECTS:
        pk = world[ID_OBJECTS[name]].pk
        return [pk] if prop.get("type") == "array" else pk
    if "const" in prop:
        return prop["const"]
    if prop.get("type") == "object":  # a nested object: its required fields; a free-form map: empty
        fields = prop.get("properties", {})
        return {key: _example(schema, fields[key], key, world) for key in prop.get("required", [])}
    if prop.get("type") == "array" and "items" in prop:  # e.g. a scenario's changes: one of them
        return [_example(schema, prop["items"], name, world)]
    if prop.get("format") == "uri":
        return "https://isolation.example/x"
    if prop.get("format") == "date":
        return "2026-01-01"
    if name in ("owner_id", "assignee_id"):
        return world["admin"].pk
    if "enum" in prop:
        return prop["enum"][-1]
    kind = prop.get("type")
    if kind == "integer" or kind == "number":
        return prop.get("minimum", 0)
    if kind == "boolean":
        return False
    if name == "email" or prop.get("format") == "email":
        return "iso@example.com"
    if name == "key":
        return "ISO"
    if name == "slug":
        return "isolation"
    if name == "currency":
        return "EUR"
    return "Isolation"


def _body(schema: dict, operation: dict, world: dict, *, everything: bool = False) -> dict | None:
    """A body the operation accepts: its required fields (or all fields), ids taken from ``world``."""
    request_body = operation.get("requestBody")
    if not request_body:
        return None
    ref = next(iter(request_body["content"].values()))["schema"].get("$ref")
    if ref is None:  # a raw body (an email message): no ids in it
        return None
    component = schema["components"]["schemas"][ref.split("/")[-1]]
    # Required fields, plus those of the first alternative when the schema asks for one of several
    # (e.g. a move needs "before" or "after").
    alternative = (component.get("anyOf") or component.get("oneOf") or [{}])[0].get("required", [])
    names = list(component.get("properties", {})) if everything else [*component.get("required", []), *alternative]
    body = {name: _example(schema, component["properties"][name], name, world) for name in names}
    if not body and component.get("properties"):  # a PATCH with nothing required: change one harmless field
        name = next(iter(component["properties"]))
        body[name] = _example(schema, component["properties"][name], name, world)
    return body


def _operations(schema: dict, *, with_id: bool) -> list[tuple[str, str, dict]]:
    ops = []
    for path, methods in schema["paths"].items():
        has_id = "{" in path
        if has_id != with_id or path in ("/api/v1/ping", "/api/v1/openapi.json"):
            continue
        for method, operation in methods.items():
            ops.append((method, path, operation))
    return ops


def _api_url(path: str, world: dict) -> str:
    """The path with every id in it (``/ideas/{idea_id}/votes/proxy/{company_id}``) taken from ``world``."""
    return re.sub(r"{(\w+)}", lambda match: str(world[ID_OBJECTS[match.group(1)]].pk), path)


def _call(client: Client, method: str, url: str, body, **headers):
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json", **headers)


def test_every_api_operation_on_a_globex_id_is_404_for_an_acme_token(api_client, acme, globex, admin):
    schema = _schema()
    operations = _operations(schema, with_id=True)
    assert len(operations) >= 7  # members and invitations at least
    client = api_client(admin)
    before = _rows_of(globex["workspace"])
    for method, path, operation in operations:
        url = _api_url(path, globex)
        body = _body(schema, operation, acme)
        for headers in ({}, {"HTTP_X_HEADWAY_WORKSPACE": "globex"}):
            response = _call(client, method, url, body, **headers)
            assert response.status_code == 404, (method, url, headers, response.content)
            assert response.json()["error"]["code"] == "not_found"
            assert "globex" not in response.content.decode().lower()
    assert _rows_of(globex["workspace"]) == before


def test_acme_writes_cannot_point_at_globex_objects(api_client, acme, globex, admin):
    """Create or move something in acme but name a globex parent (product line, product,
    company, owner): refused, and nothing is created anywhere."""
    schema = _schema()
    client = api_client(admin)
    client.get("/api/v1/me")  # the token's first use stamps last_used_at; later calls within a minute do not
    before = (_rows_of(acme["workspace"]), _rows_of(globex["workspace"]))
    tried = 0
    for method, path, operation in _operations(schema, with_id=False) + _operations(schema, with_id=True):
        if method not in ("post", "patch", "put"):
            continue
        body = _body(schema, operation, globex, everything=True)
        if not body or not any(name in ID_OBJECTS or name == "owner_id" for name in body):
            continue
        url = _api_url(path, acme)
        response = _call(client, method, url, body)
        tried += 1
        assert response.status_code in (404, 422), (method, url, body, response.content)
        assert "globex" not in response.content.decode().lower()
    assert (_rows_of(acme["workspace"]), _rows_of(globex["workspace"])) == before
    if "/api/v1/products" in schema["paths"]:
        assert tried >= 1


def test_every_api_list_answers_only_for_the_tokens_workspace(api_client, acme, globex, admin):
    schema = _schema()
    client = api_client(admin)
    lists = [(m, p) for m, p, _ in _operations(schema, with_id=False) if m == "get"]
    assert ("get", "/api/v1/members") in lists
    for _, path in lists:
        for headers in ({}, {"HTTP_X_HEADWAY_WORKSPACE": "globex"}):
            response = client.get(path, **headers)
            assert response.status_code == 200, (path, headers, response.content)
            text = response.content.decode().lower()
            assert "globex" not in text, (path, headers)


def test_a_token_never_follows_the_workspace_header(api_client, acme, globex, admin, outsider):
    Membership.objects.create(workspace=globex["workspace"], user=admin, role="viewer")
    client = api_client(admin)  # a token for acme; the person is also in globex
    for headers in ({}, {"HTTP_X_HEADWAY_WORKSPACE": "globex"}):
        me = client.get("/api/v1/me", **headers).json()
        assert (me["workspace"], me["role"]) == ("acme", "admin")
        emails = [m["email"] for m in client.get("/api/v1/members", **headers).json()["items"]]
        assert emails == ["admin@example.com"]
    # The acme token cannot reach the globex invitation even though its person is a globex member.
    assert client.delete(f"/api/v1/invitations/{globex['invitation'].pk}").status_code == 404


def test_outsider_cannot_read_or_change_acme_members_with_a_token(api_client, acme, globex, outsider, viewer):
    client = api_client(outsider, ws=globex["workspace"])
    acme_viewer = Membership.objects.get(user=viewer)
    assert [m["email"] for m in client.get("/api/v1/members").json()["items"]] == ["outsider@example.com"]
    for method, body in (("get", None), ("patch", {"role": "admin"}), ("delete", None)):
        response = _call(client, method, f"/api/v1/members/{acme_viewer.pk}", body)
        assert response.status_code == 404, method
    acme_viewer.refresh_from_db()
    assert acme_viewer.role == "viewer"
    # Inviting "into acme" through the header still invites into globex, the token's workspace.
    response = _call(
        client,
        "post",
        "/api/v1/invitations",
        {"email": "x@evil.example", "role": "admin"},
        HTTP_X_HEADWAY_WORKSPACE="acme",
    )
    assert response.status_code == 201
    assert Invitation.objects.get(email="x@evil.example").workspace == globex["workspace"]


def test_an_api_token_cannot_be_made_for_a_foreign_workspace(outsider, acme):
    from headway.core.errors import NotFound

    with pytest.raises(NotFound):
        api_token_create(actor=outsider, workspace=acme["workspace"], name="sneaky")


def test_session_with_a_foreign_workspace_header_is_404_for_every_operation(client, acme, globex, outsider):
    """The session authenticator honours X-Headway-Workspace; naming a workspace you are not in
    must give 404, never that workspace's data, and change nothing."""
    schema = _schema()
    client.force_login(outsider)
    before = _rows_of(acme["workspace"])
    operations = _operations(schema, with_id=False) + _operations(schema, with_id=True)
    for method, path, operation in operations:
        url = _api_url(path, acme)
        body = _body(schema, operation, acme)
        for slug in ("acme", "no-such-workspace"):
            response = _call(client, method, url, body, HTTP_X_HEADWAY_WORKSPACE=slug)
            text = response.content.decode().lower()
            if response.status_code == 422:
                # Some create operations resolve a referenced id (product_line_id, …) before the
                # workspace and report "No product line 1 in this workspace." — no data, no change,
                # but it should become a 404 (reported to the app's owner).
                fields = response.json()["error"]["fields"]
                assert set(fields) <= set(ID_OBJECTS), (method, url, slug, response.content)
                continue
            assert response.status_code == 404, (method, url, slug, response.content)
            assert response.json()["error"]["code"] == "not_found"
            assert "acme line" not in text and "admin@example.com" not in text
    assert _rows_of(acme["workspace"]) == before


def test_session_without_a_header_uses_only_a_workspace_the_person_is_in(client, acme, globex, viewer, admin):
    from headway.workspaces.services import membership_remove

    client.force_login(viewer)
    assert client.get("/w/acme/").status_code == 200  # acme becomes the last workspace used
    membership_remove(actor=admin, workspace=acme["workspace"], membership_id=Membership.objects.get(user=viewer).pk)
    response = client.get("/api/v1/members")
    assert response.status_code == 404
    assert "admin@example.com" not in response.content.decode()


def test_session_member_of_both_follows_the_header(client, acme, globex, admin):
    Membership.objects.create(workspace=globex["workspace"], user=admin, role="viewer")
    client.force_login(admin)
    assert client.get("/api/v1/me", HTTP_X_HEADWAY_WORKSPACE="globex").json()["role"] == "viewer"
    assert client.get("/api/v1/me", HTTP_X_HEADWAY_WORKSPACE="acme").json()["role"] == "admin"


# --- request limits and error pages ---------------------------------------------------------


def test_api_bodies_over_one_megabyte_are_413_on_every_write(api_client, acme, admin):
    client = api_client(admin)
    body = json.dumps({"name": "x" * (1024 * 1024)})
    for method, path, _ in _operations(_schema(), with_id=False):
        if method != "post":
            continue
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 413, path
        assert response.json()["error"]["code"] == "payload_too_large"


def test_html_404_and_403_pages_render(web_client, acme, leader):
    client = web_client(leader)
    not_found = client.get("/w/globex/")
    assert not_found.status_code == 404
    assert "<h1>Not found</h1>" in not_found.content.decode()
    assert "No such workspace, or you are not a member of it." in not_found.content.decode()
    forbidden = client.get("/w/acme/audit/")
    assert forbidden.status_code == 403
    assert "<h1>Not allowed</h1>" in forbidden.content.decode()
    assert "Your role (Product leader) may not see the workspace audit log." in forbidden.content.decode()
