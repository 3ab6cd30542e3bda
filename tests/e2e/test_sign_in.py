import re

from playwright.sync_api import expect


def test_sign_in_lands_on_workspace_overview(live_server, sign_in, admin, workspace, screenshot):
    page = sign_in(admin)
    expect(page).to_have_url(re.compile(r"/w/acme/$"))
    expect(page.get_by_role("heading", name="Acme Product")).to_be_visible()
    screenshot("overview")


def test_wrong_password_shows_error(live_server, page, admin):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That email and password do not match an account.")
