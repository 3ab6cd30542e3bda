"""The closed loop in a real browser: a customer signs up on a public portal, is shown a similar
idea while typing, votes for it instead of posting a duplicate, and receives the email (over SMTP,
to a real server on loopback) when a PM marks that idea planned in the team's pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from headway.accounts.tests.factories import PASSWORD
from headway.ideas.models import Idea, IdeaStatus, Vote
from headway.ideas.tests import factories as ideas

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://\S+")


def test_customer_votes_for_a_similar_idea_and_hears_when_it_is_planned(
    live_server,
    page,
    browser,
    settings,
    smtp_mail,
    workspace,
    leader,
    pm,
    screenshot,
):
    settings.HEADWAY_BASE_URL = live_server.url
    portal = ideas.portal(leader, workspace, slug="acme-ideas", name="Acme Feedback")
    existing = ideas.idea(
        ideas.portal_user(portal, email="early.bird@example.org"), portal, title="Export reports to CSV"
    )
    ideas.idea(ideas.portal_user(portal, email="someone@example.org"), portal, title="Dark mode for the dashboard")

    # Sign up; the verification link arrives by email.
    page.goto(f"{live_server.url}/p/acme-ideas/signup/")
    page.get_by_label("Your name").fill("Casey Customer")
    page.get_by_label("Email").fill("casey@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()
    [verification] = smtp_mail.wait(1)
    assert verification.rcpt_tos == ["casey@example.com"]
    page.goto(next(url for url in LINK.findall(verification.body) if "/verify/" in url))

    # Start typing an idea: the existing one is suggested, and the customer votes for it instead.
    page.goto(f"{live_server.url}/p/acme-ideas/submit/")
    page.get_by_label("Title").press_sequentially("export csv report", delay=30)
    suggestion = page.locator("#similar li").filter(has_text="Export reports to CSV")
    expect(suggestion).to_be_visible()
    screenshot("portal-similar-while-typing")
    suggestion.get_by_role("button", name="Vote for this instead").click()
    expect(page.get_by_text("You voted for this")).to_be_visible()
    casey = Vote.objects.get(idea=existing, voter__email="casey@example.com")
    assert casey.importance == "important"
    assert Idea.objects.filter(portal=portal).count() == 2  # no duplicate was posted
    assert Idea.objects.get(pk=existing.pk).vote_count == 2

    # A PM marks it planned in the team's idea page, with a public message.
    staff = browser.new_page()
    staff.goto(f"{live_server.url}/accounts/login/")
    staff.get_by_label("Email").fill(pm.email)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.goto(f"{live_server.url}/w/acme/ideas/{existing.pk}/")
    planned = IdeaStatus.objects.get(workspace=workspace, name="Planned")
    staff.get_by_label("Status").select_option(str(planned.pk))
    staff.get_by_label("Public message").fill("Coming next quarter.")
    staff.get_by_role("button", name="Change status").click()
    staff.wait_for_load_state("networkidle")
    assert Idea.objects.get(pk=existing.pk).status == planned

    # Exactly one email each to the two people who voted; the customer's says what happened.
    messages = smtp_mail.wait(3)
    told = messages[1:]
    assert sorted(rcpt for m in told for rcpt in m.rcpt_tos) == ["casey@example.com", "early.bird@example.org"]
    [to_casey] = [m for m in told if m.rcpt_tos == ["casey@example.com"]]
    assert to_casey.message["Subject"] == "[Acme Feedback] Export reports to CSV: status changed from New to Planned"
    assert "Coming next quarter." in to_casey.body
    assert f"{live_server.url}/p/acme-ideas/ideas/{existing.pk}/" in to_casey.body
