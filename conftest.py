"""Fixtures every test may use: people in each role of a workspace, and API clients."""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside live_server

ROLES = ["admin", "leader", "pm", "contributor", "viewer"]


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]


@pytest.fixture
def workspace(db):
    from headway.workspaces.tests.factories import WorkspaceFactory

    return WorkspaceFactory(name="Acme Product", slug="acme")


@pytest.fixture
def other_workspace(db):
    from headway.workspaces.tests.factories import WorkspaceFactory

    return WorkspaceFactory(name="Globex", slug="globex")


@pytest.fixture
def member(workspace):
    """``member("pm")`` → a new user holding that role in ``workspace``."""
    from headway.workspaces.tests.factories import MembershipFactory

    def make(role: str = "viewer", ws=None, **user_fields):
        from headway.accounts.tests.factories import UserFactory

        user = UserFactory(**user_fields)
        MembershipFactory(workspace=ws or workspace, user=user, role=role)
        return user

    return make


@pytest.fixture
def admin(member):
    return member("admin", email="admin@example.com", full_name="Ada Admin")


@pytest.fixture
def leader(member):
    return member("leader", email="leader@example.com", full_name="Lee Leader")


@pytest.fixture
def pm(member):
    return member("pm", email="pm@example.com", full_name="Pat PM")


@pytest.fixture
def contributor(member):
    return member("contributor", email="contributor@example.com", full_name="Cory Contributor")


@pytest.fixture
def viewer(member):
    return member("viewer", email="viewer@example.com", full_name="Vic Viewer")


@pytest.fixture
def outsider(other_workspace, member):
    """Admin of another workspace: must never see anything in ``workspace``."""
    return member("admin", ws=other_workspace, email="outsider@example.com", full_name="Otto Outsider")


@pytest.fixture
def api_client(workspace):
    """``api_client(user)`` → a django test Client sending a fresh Bearer token for ``workspace``."""
    from django.test import Client

    from headway.accounts.services import api_token_create

    def make(user, ws=None):
        _, raw = api_token_create(actor=user, workspace=ws or workspace, name="tests")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def web_client(client):
    """``web_client(user)`` → the test Client signed in as that user."""

    def make(user):
        client.force_login(user)
        return client

    return make
