"""Browser: account settings, API tokens, inviting people and joining through an invitation."""

import re

from django.core import mail
from playwright.sync_api import expect

from headway.accounts.models import ApiToken, hash_token
from headway.workspaces.models import Invitation, Membership


def test_profile_name_change_and_api_token_shown_once(live_server, sign_in, admin, workspace, screenshot):
    page = sign_in(admin)
    page.get_by_role("link", name="Ada Admin").click()
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    screenshot("profile")

    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Profile saved.")
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    expect(page.locator(".sidebar-foot .me")).to_contain_text("Ada Lovelace")
    admin.refresh_from_db()
    assert (admin.full_name, admin.time_zone) == ("Ada Lovelace", "Europe/London")

    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_text("No tokens yet")).to_be_visible()
    page.get_by_label("Token name").fill("CRM sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("hw_")
    assert ApiToken.objects.get().token_hash == hash_token(secret)
    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    expect(page.get_by_role("cell", name="CRM sync")).to_be_visible()
    screenshot("token-created")

    # Shown once: on the next visit only the prefix is there.
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="Your new token")).to_have_count(0)
    assert secret not in page.content()
    expect(page.get_by_text(secret[:10] + "…")).to_be_visible()
    screenshot("token-list")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("Token “CRM sync” revoked.")
    expect(page.get_by_text("revoked", exact=True)).to_be_visible()


def test_password_change_form_shows_errors_inline(live_server, sign_in, admin, workspace, screenshot):
    page = sign_in(admin)
    page.goto(f"{live_server.url}/accounts/password/")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Not correct.")).to_be_visible()
    expect(page.get_by_text("This password is too short. It must contain at least 10 characters.")).to_be_visible()
    screenshot("password-errors")


def test_admin_invites_someone_and_sees_the_pending_invitation(
    live_server, sign_in, admin, leader, workspace, screenshot
):
    page = sign_in(admin)
    page.get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    page.get_by_label("Email").fill("new.person@example.com")
    page.get_by_role("combobox", name="Role", exact=True).select_option("pm")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Invitation sent to new.person@example.com. The link works for 7 days."
    )
    pending = page.locator("section", has=page.get_by_role("heading", name="Pending invitations"))
    expect(pending.get_by_role("cell", name="new.person@example.com")).to_be_visible()
    expect(pending.get_by_role("cell", name="Product manager")).to_be_visible()
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("new.person@example.com", "pm")
    # The mail left after the commit, with a working link.
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]
    screenshot("members-invited")

    # An inline error: inviting someone who is a member already.
    page.get_by_label("Email").fill("leader@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("leader@example.com is already a member of Acme Product.")).to_be_visible()
    screenshot("members-invite-error")

    # Search narrows the list in place (htmx), and the URL follows.
    page.get_by_label("Search members").fill("lee")
    expect(page.locator("#member-rows strong")).to_have_text(["Lee Leader"])
    expect(page).to_have_url(re.compile(r"q=lee"))

    # Change a role: the select alone does not submit (keyboard-safe); Save does.
    page.get_by_label("Search members").fill("")
    page.get_by_label("Role of Lee Leader", exact=True).select_option("pm")
    expect(page.get_by_role("status")).to_have_count(0)
    page.get_by_role("button", name="Save the role of Lee Leader").click()
    expect(page.get_by_role("status")).to_contain_text("Lee Leader is now Product manager.")
    assert Membership.objects.get(user=leader).role == "pm"
    screenshot("members-role-changed")

    # The invitation is in the workspace audit log, with the fields it set.
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="invitation.create")).to_be_visible()
    expect(page.get_by_text("new.person@example.com").first).to_be_visible()
    screenshot("audit-log")

    page.get_by_role("link", name="Roadmaps").click()
    expect(page.get_by_role("heading", name="Roadmaps is coming")).to_be_visible()
    screenshot("coming")


def test_invitee_joins_through_the_link(live_server, page, admin, workspace, screenshot):
    from headway.workspaces.services import invitation_create

    _, raw = invitation_create(actor=admin, workspace=workspace, email="joiner@example.com", role="contributor")
    page.goto(f"{live_server.url}/invitations/{raw}/")
    expect(page.get_by_role("heading", name="Join Acme Product")).to_be_visible()
    screenshot("invitation-accept")
    page.get_by_label("Your name").fill("Jo Iner")
    page.get_by_label("Password").fill("a-fine-password-12")
    page.get_by_role("button", name="Create account and join").click()
    expect(page).to_have_url(re.compile(r"/w/acme/$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome to Acme Product.")
    assert Membership.objects.get(user__email="joiner@example.com").role == "contributor"


def test_login_lockout_message(live_server, page, admin, settings, screenshot):
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(settings.HEADWAY_LOGIN_MAX_FAILURES):
        page.get_by_label("Email").fill(admin.email)
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Too many failed sign-ins. Sign-in is locked for about 15 minutes; try again later or reset your password."
    )
    screenshot("login-locked")
