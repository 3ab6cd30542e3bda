"""Browser tests: a real Chromium (Debian's /usr/bin/chromium) driven by Playwright against
pytest-django's live_server. Never downloads a browser."""

import os
import tempfile

import pytest

from tests.mail.conftest import smtp_mail, smtp_server  # noqa: F401 (a real SMTP server for the portal's mail)

CHROMIUM = os.environ.get("HEADWAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
SCREENSHOTS = os.environ.get("HEADWAY_SCREENSHOTS", "")  # a folder: tests save screenshots there


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_home():
    """A throwaway folder for Chromium's config and cache (unless XDG_* are set), removed after the session.

    The browser fixture depends on this one through ``browser_type_launch_args``, so Chromium has
    exited before the folder goes.
    """
    names = [name for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME") if name not in os.environ]
    with tempfile.TemporaryDirectory(prefix="headway-chromium-", ignore_cleanup_errors=True) as home:
        os.environ.update(dict.fromkeys(names, home))
        try:
            yield home
        finally:
            for name in names:
                os.environ.pop(name, None)


@pytest.fixture(scope="session")
def browser_type_launch_args(chromium_home):
    return {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1366, "height": 860}}


@pytest.fixture
def sign_in(live_server, page):
    """``sign_in(user)`` signs in through the real form and returns the Playwright page."""
    from headway.accounts.tests.factories import PASSWORD

    def do(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        return page

    return do


@pytest.fixture
def screenshot(page):
    """``screenshot("name")`` saves a full-page PNG when HEADWAY_SCREENSHOTS names a folder."""

    def shoot(name: str):
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)

    return shoot
