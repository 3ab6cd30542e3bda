"""Who may do what in a portal: each visibility × each kind of person, and which ideas they see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from headway.accounts.tests.factories import UserFactory
from headway.core import permissions
from headway.core.errors import NotFound, PermissionDenied
from headway.core.permissions import PortalAccess, portal_access
from headway.ideas import services
from headway.ideas.models import Approval, Idea, Visibility
from headway.ideas.tests import factories as f

NONE, READ, PARTICIPATE, STAFF = PortalAccess.NONE, PortalAccess.READ, PortalAccess.PARTICIPATE, PortalAccess.STAFF

# visibility → expected access of: anonymous, signed in without an account here, verified portal
# user, unverified portal user, blocked portal user, workspace member
MATRIX = {
    Visibility.PUBLIC: (READ, READ, PARTICIPATE, READ, READ, STAFF),
    Visibility.PRIVATE: (NONE, NONE, PARTICIPATE, NONE, NONE, STAFF),
    Visibility.INTERNAL: (NONE, NONE, NONE, NONE, NONE, STAFF),
    Visibility.SUBMIT_ONLY: (NONE, NONE, PARTICIPATE, NONE, NONE, STAFF),
}


@pytest.fixture
def people(workspace, leader):
    def make(portal):
        return (
            AnonymousUser(),
            UserFactory(email="stranger@customer.example"),
            f.portal_user(portal, "verified@customer.example"),
            f.portal_user(portal, "unverified@customer.example", verified=False),
            f.portal_user(portal, "blocked@customer.example", blocked=True),
            leader,
        )

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", list(MATRIX))
def test_portal_access_for_each_visibility_and_person(visibility, workspace, leader, people):
    portal = f.portal(leader, workspace, slug="matrix", visibility=visibility, allowed_domains="customer.example")
    got = tuple(portal_access(person, portal) for person in people(portal))
    assert got == MATRIX[visibility]


@pytest.mark.django_db
def test_every_member_role_is_staff_and_members_of_other_workspaces_are_not(
    workspace, leader, viewer, contributor, pm, admin, outsider
):
    portal = f.portal(leader, workspace, slug="roles")
    assert [portal_access(u, portal) for u in (viewer, contributor, pm, admin)] == [STAFF] * 4
    assert portal_access(outsider, portal) == READ  # a stranger here, on a public portal


@pytest.mark.django_db
def test_an_archived_portal_is_closed_to_everyone_even_members(workspace, leader, people):
    portal = f.portal(leader, workspace, slug="old")
    everyone = people(portal)
    services.portal_archive(actor=leader, portal=portal)
    assert [portal_access(p, portal) for p in everyone] == [NONE] * 6


@pytest.mark.django_db
def test_private_portal_closes_again_when_the_invitation_is_withdrawn(workspace, leader):
    portal = f.portal(leader, workspace, slug="private", visibility=Visibility.PRIVATE)
    (invitation,) = services.portal_invite(actor=leader, portal=portal, emails=["guest@elsewhere.example"])
    guest = f.portal_user(portal, "guest@elsewhere.example")
    assert portal_access(guest, portal) == PARTICIPATE
    services.portal_uninvite(actor=leader, invitation=invitation)
    assert portal_access(guest, portal) == NONE


@pytest.mark.django_db
def test_private_portal_admits_allowed_domains_and_invited_addresses_only(workspace, leader):
    portal = f.portal(leader, workspace, slug="private", visibility=Visibility.PRIVATE, allowed_domains="@Acme.example")
    services.portal_invite(actor=leader, portal=portal, emails=["Guest@Other.example"])
    assert permissions.portal_email_allowed(portal, "someone@acme.example") is True
    assert permissions.portal_email_allowed(portal, "guest@other.example") is True
    assert permissions.portal_email_allowed(portal, "someone@other.example") is False
    assert permissions.portal_email_allowed(portal, "someone@sub.acme.example") is False


@pytest.mark.django_db
def test_require_portal_says_not_found_to_outsiders_and_sign_in_to_readers(workspace, leader):
    private = f.portal(leader, workspace, slug="private", visibility=Visibility.PRIVATE)
    public = f.portal(leader, workspace, slug="public")
    with pytest.raises(NotFound, match="No such portal"):
        permissions.require_portal(AnonymousUser(), private, READ)
    with pytest.raises(PermissionDenied, match="Sign in"):
        permissions.require_portal(AnonymousUser(), public, PARTICIPATE)
    reader = f.portal_user(public, verified=True)
    with pytest.raises(PermissionDenied, match="Only the team"):
        permissions.require_portal(reader, public, STAFF)
    assert permissions.require_portal(leader, public, STAFF) == STAFF


@pytest.mark.django_db
def test_people_see_approved_ideas_and_their_own_waiting_ones_staff_see_all(workspace, leader, pm):
    portal = f.portal(leader, workspace, slug="moderated", require_approval=True)
    alice = f.portal_user(portal, "alice@customer.example")
    bob = f.portal_user(portal, "bob@customer.example")
    waiting = f.idea(alice, portal, "Waiting idea")
    published = f.idea(bob, portal, "Published idea")
    services.idea_approve(actor=pm, idea=published)
    deleted = f.idea(pm, portal, "Deleted idea")
    services.idea_delete(actor=pm, idea=deleted)

    def seen(user):
        access = portal_access(user, portal)
        return sorted(
            permissions.portal_ideas(Idea.objects.all(), user, portal, access).values_list("title", flat=True)
        )

    assert seen(AnonymousUser()) == ["Published idea"]
    assert seen(alice) == ["Published idea", "Waiting idea"]
    assert seen(bob) == ["Published idea"]
    assert seen(pm) == ["Published idea", "Waiting idea"]
    waiting.refresh_from_db()
    assert waiting.approval == Approval.PENDING
    assert permissions.portal_can_see_idea(bob, waiting, portal_access(bob, portal)) is False
    assert permissions.portal_can_see_idea(alice, waiting, portal_access(alice, portal)) is True


@pytest.mark.django_db
def test_submit_only_portal_shows_people_their_own_ideas_only(workspace, leader, pm):
    portal = f.portal(leader, workspace, slug="inbox", visibility=Visibility.SUBMIT_ONLY)
    alice = f.portal_user(portal, "alice@customer.example")
    bob = f.portal_user(portal, "bob@customer.example")
    f.idea(alice, portal, "Alice's idea")
    f.idea(bob, portal, "Bob's idea")

    def seen(user):
        access = portal_access(user, portal)
        return sorted(
            permissions.portal_ideas(Idea.objects.all(), user, portal, access).values_list("title", flat=True)
        )

    assert seen(alice) == ["Alice's idea"]
    assert seen(bob) == ["Bob's idea"]
    assert seen(pm) == ["Alice's idea", "Bob's idea"]
    assert seen(AnonymousUser()) == []


@pytest.mark.django_db
def test_a_blocked_person_can_no_longer_take_part(workspace, leader):
    portal = f.portal(leader, workspace, slug="public")
    person = f.portal_user(portal)
    assert portal_access(person, portal) == PARTICIPATE
    services.portal_account_update(actor=leader, account=f.account(person, portal), blocked=True)
    assert portal_access(person, portal) == READ
    with pytest.raises(PermissionDenied):
        f.idea(person, portal, "Let me in")
    services.portal_account_update(actor=leader, account=f.account(person, portal), blocked=False)
    assert f.account(person, portal).blocked_at is None
    assert portal_access(person, portal) == PARTICIPATE
