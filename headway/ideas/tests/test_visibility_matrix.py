"""Who gets what from a portal's pages: each visibility × each kind of person, the exact answer of
the idea list, an idea, the submit form, voting and commenting; and internal comments never reach
anybody outside the workspace through any portal page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from headway.accounts.tests.factories import UserFactory
from headway.customers.tests.factories import CompanyFactory
from headway.ideas import services
from headway.ideas.tests import factories as f

pytestmark = pytest.mark.django_db

INTERNAL_NOTE = "Internal: Globex pays 2M, prioritise quietly"
PUBLIC_NOTE = "Thanks, we are looking into it"
PAGES = ["home", "idea", "submit", "vote", "comment"]

# What each person gets, per page: a status, or "302 <where>" for a redirect
# (signin: the portal's sign-in page; login: the site's sign-in; idea: back to the idea).
OK = {"home": "200", "idea": "200", "submit": "200", "vote": "302 idea", "comment": "302 idea"}
SIGN_IN = dict.fromkeys(PAGES, "302 signin")
READ_ONLY = {"home": "200", "idea": "200", "submit": "302 signin", "vote": "302 signin", "comment": "302 signin"}
HIDDEN = dict.fromkeys(PAGES, "404")
OWN_ONLY = {"home": "200", "idea": "404", "submit": "200", "vote": "404", "comment": "404"}

MATRIX = {
    "public": {
        "anonymous": READ_ONLY,
        "stranger": READ_ONLY,  # signed in, but no account in this portal: may join
        "other_company": OK,
        "portal_user": OK,
        "contributor": OK,
        "admin": OK,
    },
    "private": {
        "anonymous": SIGN_IN,
        "stranger": SIGN_IN,
        "other_company": OK,
        "portal_user": OK,
        "contributor": OK,
        "admin": OK,
    },
    "internal": {
        "anonymous": dict.fromkeys(PAGES, "302 login"),
        "stranger": HIDDEN,
        "other_company": HIDDEN,
        "portal_user": HIDDEN,
        "contributor": OK,
        "admin": OK,
    },
    "submit_only": {
        "anonymous": SIGN_IN,
        "stranger": SIGN_IN,
        "other_company": OWN_ONLY,
        "portal_user": OK,
        "contributor": OK,
        "admin": OK,
    },
}
MEMBERS = {"contributor", "admin"}


def _world(visibility, workspace, admin, contributor):
    """A portal of that visibility with an idea of a customer (Ann, of Initech), a public and an
    internal comment on it, and a customer of another company (Bob, of Umbrella)."""
    portal = f.portal(admin, workspace, slug=f"p-{visibility.replace('_', '-')}", visibility=visibility)
    if visibility == "private":
        services.portal_invite(actor=admin, portal=portal, emails=["ann@initech.test", "bob@umbrella.test"])
    initech = CompanyFactory(workspace=workspace, name="Initech")
    umbrella = CompanyFactory(workspace=workspace, name="Umbrella")
    ann = f.portal_user(portal, "ann@initech.test", company=initech, full_name="Ann Initech")
    bob = f.portal_user(portal, "bob@umbrella.test", company=umbrella, full_name="Bob Umbrella")
    author = contributor if visibility == "internal" else ann
    idea = f.idea(author, portal, title="Export reports to CSV", description="Monthly finance export")
    services.comment_add(actor=admin, idea=idea, body=PUBLIC_NOTE)
    services.comment_add(actor=admin, idea=idea, body=INTERNAL_NOTE, internal=True)
    elsewhere = f.portal(admin, workspace, slug=f"elsewhere-{visibility.replace('_', '-')}")
    people = {
        "anonymous": None,
        "stranger": f.portal_user(elsewhere, "sam@elsewhere.test"),
        "other_company": bob,
        "portal_user": ann,
        "contributor": contributor,
        "admin": admin,
    }
    return portal, idea, people


def _outcome(response, portal, idea) -> str:
    if response.status_code != 302:
        return str(response.status_code)
    where = response["Location"]
    if where.startswith(reverse("portal:signin", kwargs={"portal": portal.slug})):
        return "302 signin"
    if where.startswith(reverse("accounts:login")):
        return "302 login"
    if where.removesuffix("#comments") == reverse("portal:idea", kwargs={"portal": portal.slug, "pk": idea.pk}):
        return "302 idea"
    return f"302 {where}"


@pytest.mark.parametrize("visibility", list(MATRIX))
@pytest.mark.parametrize("person", list(MATRIX["public"]))
def test_visibility_matrix(client, workspace, admin, contributor, visibility, person):
    portal, idea, people = _world(visibility, workspace, admin, contributor)
    user = people[person]
    if user is not None:
        client.force_login(user)

    def go(name, **kwargs):
        return reverse(f"portal:{name}", kwargs={"portal": portal.slug, **kwargs})

    seen: dict[str, str] = {}
    pages: list[str] = []
    for name, response in [
        ("home", client.get(go("home"))),
        ("idea", client.get(go("idea", pk=idea.pk))),
        ("submit", client.get(go("submit"))),
    ]:
        seen[name] = _outcome(response, portal, idea)
        if response.status_code == 200:
            pages.append(response.content.decode())
            if name == "idea":
                assert PUBLIC_NOTE in pages[-1]
    seen["vote"] = _outcome(client.post(go("vote", pk=idea.pk), {"importance": "critical"}), portal, idea)
    seen["comment"] = _outcome(client.post(go("comment", pk=idea.pk), {"body": "Me too"}), portal, idea)
    assert seen == MATRIX[visibility][person]

    # Every other page this person can open, and the fragment an htmx comment returns.
    for name in ("roadmap", "changelog", "signin"):
        response = client.get(go(name))
        if response.status_code == 200:
            pages.append(response.content.decode())
    fragment = client.post(go("comment", pk=idea.pk), {"body": "And again"}, HTTP_HX_REQUEST="true")
    if fragment.status_code == 200:
        pages.append(fragment.content.decode())
    assert pages or person in {"anonymous", "stranger"} or MATRIX[visibility][person] == HIDDEN
    if person in MEMBERS:
        idea_page = client.get(go("idea", pk=idea.pk)).content.decode()
        assert INTERNAL_NOTE in idea_page
        assert "Internal – only your team sees this" in idea_page
    else:
        for page in pages:
            assert INTERNAL_NOTE not in page
            assert "Internal – only your team sees this" not in page


def test_another_companys_customer_never_sees_the_authors_email(client, workspace, admin, contributor):
    portal, idea, people = _world("public", workspace, admin, contributor)
    client.force_login(people["other_company"])
    for name, kwargs in [("home", {}), ("idea", {"pk": idea.pk}), ("roadmap", {}), ("changelog", {})]:
        page = client.get(reverse(f"portal:{name}", kwargs={"portal": portal.slug, **kwargs})).content.decode()
        assert "ann@initech.test" not in page


def test_a_signed_in_member_of_another_workspace_gets_404_from_an_internal_portal(
    client, workspace, admin, contributor, outsider
):
    portal, idea, _people = _world("internal", workspace, admin, contributor)
    client.force_login(outsider)
    assert client.get(reverse("portal:home", kwargs={"portal": portal.slug})).status_code == 404
    assert client.get(reverse("portal:idea", kwargs={"portal": portal.slug, "pk": idea.pk})).status_code == 404


def test_a_blocked_portal_user_may_only_read_a_public_portal(client, workspace, admin, contributor):
    portal, idea, _people = _world("public", workspace, admin, contributor)
    blocked = f.portal_user(portal, "mal@spam.test", blocked=True)
    client.force_login(blocked)
    assert client.get(reverse("portal:idea", kwargs={"portal": portal.slug, "pk": idea.pk})).status_code == 200
    response = client.post(reverse("portal:vote", kwargs={"portal": portal.slug, "pk": idea.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:signin", kwargs={"portal": portal.slug}))
    assert UserFactory._meta.model.objects.filter(idea_votes__idea=idea).count() == 1
