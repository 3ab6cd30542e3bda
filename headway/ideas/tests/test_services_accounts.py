"""Portal people: signing up, confirming the email, joining another portal, the team's changes."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings as django_settings
from django.core import signing

from headway.accounts.models import User
from headway.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas import services
from headway.ideas.models import PortalAccount, Visibility
from headway.ideas.tests import factories as f

PASSWORD = "a-long-enough-passphrase-42"


@pytest.fixture
def portal(leader, workspace):
    return f.portal(leader, workspace, slug="feedback", name="Acme feedback")


def signup(portal, email, **kwargs):
    return services.portal_signup(portal=portal, email=email, password=PASSWORD, **kwargs)


def link_in(message) -> str:
    found = re.search(r"http\S+", message.body)
    assert found is not None
    return found.group(0)


@pytest.mark.django_db
def test_signing_up_creates_an_unverified_account_and_mails_the_link(
    portal, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        account = signup(portal, "  Ann@Customer.Example ", full_name="Ann Smith", ip_address="203.0.113.5")
    user = User.objects.get(pk=account.user_id)
    assert (user.email, user.full_name) == ("ann@customer.example", "Ann Smith")
    assert user.check_password(PASSWORD)
    assert (account.portal_id, account.audience, account.email_verified_at, account.blocked_at) == (
        portal.pk,
        "customer",
        None,
        None,
    )
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert (message.to, message.subject) == (["ann@customer.example"], "Confirm your email for Acme feedback")
    link = link_in(message)
    assert link.startswith(f"{django_settings.HEADWAY_BASE_URL}/p/feedback/verify/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    verified = services.portal_verify(portal=portal, token=token)
    assert verified.pk == account.pk and verified.email_verified_at is not None
    again = services.portal_verify(portal=portal, token=token)
    assert again.email_verified_at == verified.email_verified_at


@pytest.mark.django_db
def test_no_mail_leaves_when_the_sign_up_fails(portal, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as exc:
        services.portal_signup(portal=portal, email="bob@customer.example", password="short")
    assert list(exc.value.fields) == ["password"]
    assert mailoutbox == []
    assert not User.objects.filter(email="bob@customer.example").exists()


@pytest.mark.django_db
def test_the_account_is_linked_to_the_contact_with_that_email(portal, workspace, other_workspace):
    contact = ContactFactory(workspace=workspace, email="Ann@Customer.example")
    ContactFactory(workspace=other_workspace, email="cat@customer.example")
    account = signup(portal, "ann@customer.example")
    assert (account.contact_id, account.company_id) == (contact.pk, contact.company_id)
    stranger = signup(portal, "cat@customer.example")
    assert (stranger.contact_id, stranger.company_id) == (None, None)


@pytest.mark.django_db
def test_without_a_contact_the_account_is_linked_to_the_company_of_the_domain(portal, workspace):
    company = CompanyFactory(workspace=workspace, domain="initech.example")
    account = signup(portal, "peter@initech.example")
    assert (account.contact_id, account.company_id) == (None, company.pk)


@pytest.mark.django_db
def test_an_existing_email_is_told_to_sign_in(portal, pm):
    with pytest.raises(Conflict) as exc:
        signup(portal, "PM@example.com")
    assert exc.value.fields == {
        "email": ["An account with this email exists already. Sign in instead, then join this portal."]
    }


@pytest.mark.django_db
def test_private_portals_take_allowed_domains_and_invited_people_only(leader, workspace):
    portal = f.portal(leader, workspace, slug="private", visibility=Visibility.PRIVATE, allowed_domains="acme.example")
    services.portal_invite(actor=leader, portal=portal, emails=["guest@else.example"])
    assert signup(portal, "dev@acme.example").portal_id == portal.pk
    assert signup(portal, "guest@else.example").portal_id == portal.pk
    with pytest.raises(PermissionDenied, match="invited people only"):
        signup(portal, "random@else.example")
    assert not User.objects.filter(email="random@else.example").exists()


@pytest.mark.django_db
def test_internal_and_archived_portals_take_no_sign_ups(leader, workspace):
    internal = f.portal(leader, workspace, slug="team", visibility=Visibility.INTERNAL)
    with pytest.raises(PermissionDenied, match="sign in with your workspace account"):
        signup(internal, "someone@customer.example")
    archived = f.portal(leader, workspace, slug="old")
    services.portal_archive(actor=leader, portal=archived)
    with pytest.raises(NotFound):
        signup(archived, "someone@customer.example")


@pytest.mark.django_db
def test_sign_ups_per_address_are_limited(portal, settings):
    settings.HEADWAY_SIGNUPS_PER_IP_PER_HOUR = 2
    for i in range(2):
        signup(portal, f"person{i}@customer.example", ip_address="192.0.2.1")
    with pytest.raises(RateLimited) as exc:
        signup(portal, "person3@customer.example", ip_address="192.0.2.1")
    assert exc.value.message == "Too many sign-ups from your network in the last hour; try again in 60 minutes."
    signup(portal, "person4@customer.example", ip_address="192.0.2.2")
    assert PortalAccount.objects.count() == 3


@pytest.mark.django_db
def test_bad_expired_and_foreign_tokens_are_refused(portal, leader, workspace, monkeypatch):
    account = signup(portal, "ann@customer.example")
    token = services.portal_verification_token(account)
    with pytest.raises(ValidationFailed) as exc:
        services.portal_verify(portal=portal, token=token[:-2] + "xx")
    assert exc.value.fields == {"token": ["This link is not valid. Check that you copied all of it."]}
    other = f.portal(leader, workspace, slug="other")
    with pytest.raises(ValidationFailed) as exc:
        services.portal_verify(portal=other, token=token)
    assert exc.value.fields == {"token": ["This link is not valid for this portal any more."]}
    forged = signing.dumps({"a": account.pk, "e": "ann@customer.example"}, salt="another.salt")
    with pytest.raises(ValidationFailed):
        services.portal_verify(portal=portal, token=forged)
    later = time.time() + 3 * 24 * 3600 + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with pytest.raises(ValidationFailed) as exc:
        services.portal_verify(portal=portal, token=token)
    assert exc.value.fields == {"token": ["This link has expired. Sign in and ask for a new one."]}
    assert PortalAccount.objects.get(pk=account.pk).email_verified_at is None


@pytest.mark.django_db
def test_a_token_stops_working_when_the_email_changes(portal):
    account = signup(portal, "ann@customer.example")
    token = services.portal_verification_token(account)
    User.objects.filter(pk=account.user_id).update(email="ann@elsewhere.example")
    with pytest.raises(ValidationFailed):
        services.portal_verify(portal=portal, token=token)


@pytest.mark.django_db
def test_sending_the_link_again_is_limited_and_skipped_once_verified(
    portal, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.HEADWAY_VERIFICATION_EMAILS_PER_HOUR = 2
    account = signup(portal, "ann@customer.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.portal_verification_send(account=account)
        services.portal_verification_send(account=account)
    with pytest.raises(RateLimited):
        services.portal_verification_send(account=account)
    assert len(mailoutbox) == 2
    services.portal_verify(portal=portal, token=services.portal_verification_token(account))
    account.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.portal_verification_send(account=account)
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_joining_another_portal_of_the_workspace_is_verified_at_once(
    portal, leader, workspace, mailoutbox, django_capture_on_commit_callbacks
):
    person = f.portal_user(portal, "ann@customer.example")
    second = f.portal(leader, workspace, slug="second")
    with django_capture_on_commit_callbacks(execute=True):
        account = services.portal_join(portal=second, user=person)
    assert account.email_verified_at is not None
    assert mailoutbox == []
    assert services.portal_join(portal=second, user=person).pk == account.pk


@pytest.mark.django_db
def test_joining_without_a_verified_email_in_the_workspace_mails_a_link(
    portal, leader, workspace, other_workspace, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    elsewhere = f.portal(outsider, other_workspace, slug="globex")
    person = f.portal_user(elsewhere, "ann@customer.example")  # verified, but in another workspace
    with django_capture_on_commit_callbacks(execute=True):
        account = services.portal_join(portal=portal, user=person)
    assert account.email_verified_at is None
    assert [m.to for m in mailoutbox] == [["ann@customer.example"]]


@pytest.mark.django_db
def test_members_do_not_join_their_own_portals(portal, pm):
    with pytest.raises(Conflict, match="member of this workspace"):
        services.portal_join(portal=portal, user=pm)


@pytest.mark.django_db
def test_the_team_sets_who_a_portal_person_is(portal, leader, pm, workspace):
    person = f.portal_user(portal)
    account = f.account(person, portal)
    company = CompanyFactory(workspace=workspace, name="Initech")
    contact = ContactFactory(workspace=workspace, company=company, name="Peter")
    with pytest.raises(PermissionDenied):
        services.portal_account_update(actor=pm, account=account, audience="partner")
    services.portal_account_update(actor=leader, account=account, audience="partner", contact=contact)
    account.refresh_from_db()
    assert (account.audience, account.contact_id, account.company_id) == ("partner", contact.pk, company.pk)
    other = CompanyFactory(workspace=workspace, name="Hooli")
    with pytest.raises(ValidationFailed) as exc:
        services.portal_account_update(actor=leader, account=account, company=other)
    assert exc.value.fields == {"contact": ["Peter does not work at Hooli."]}
    assert list(AuditEvent.objects.filter(action="portal_account.update").values_list("changes", flat=True)) == [
        {
            "audience": ["customer", "partner"],
            "contact": [None, str(contact)],
            "company": [None, "Initech"],
        }
    ]
