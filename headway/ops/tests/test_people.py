import io

import pytest

from headway.accounts.models import ApiToken, User, hash_token
from headway.accounts.services import api_token_authenticate
from headway.cli import main
from headway.core.models import AuditEvent
from headway.workspaces.models import Membership, Workspace


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


# --- token create ---------------------------------------------------------------------------------


def test_token_create_prints_a_working_token(pm, workspace, capsys):
    assert main(["token", "create", "PM@example.com", "--workspace", "acme", "--name", "nightly export"]) == 0
    captured = capsys.readouterr()
    raw = captured.out.strip()
    assert captured.out == raw + "\n"  # only the secret on stdout, so scripts can capture it
    assert raw.startswith("hw_")
    assert captured.err == (
        'API token "nightly export" for pm@example.com in workspace acme. It is shown only now; store it safely:\n'
    )
    token = ApiToken.objects.get()
    assert (token.user, token.workspace, token.name, token.token_hash) == (
        pm,
        workspace,
        "nightly export",
        hash_token(raw),
    )
    assert api_token_authenticate(raw=raw).pk == token.pk
    assert AuditEvent.objects.filter(action="api_token.create", target_id=token.pk).count() == 1


def test_token_create_uses_the_only_workspace_and_a_default_name(pm, capsys):
    assert main(["token", "create", "pm@example.com"]) == 0
    token = ApiToken.objects.get()
    assert (token.workspace.slug, token.name) == ("acme", "Command line")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["token", "create", "nobody@example.com"],
         "No user with email 'nobody@example.com'. Create one with `headway createadmin --email nobody@example.com`."),
        (["token", "create", "pm@example.com", "--workspace", "initech"],
         "No workspace with slug 'initech' (workspaces: acme, globex)."),
        (["token", "create", "pm@example.com", "--workspace", "globex"],
         "pm@example.com is not a member of workspace 'globex'."),
        (["token", "create", "outsider@example.com", "--workspace", "acme"],
         "outsider@example.com is not a member of workspace 'acme'."),
    ],
)  # fmt: skip
def test_token_create_errors(pm, outsider, capsys, argv, message):
    assert main(argv) == 1
    assert capsys.readouterr().err == f"headway token: {message}\n"
    assert ApiToken.objects.count() == 0


def test_token_create_needs_a_workspace_when_the_user_has_several(pm, other_workspace, capsys):
    Membership.objects.create(workspace=other_workspace, user=pm, role="viewer")
    assert main(["token", "create", "pm@example.com"]) == 1
    assert capsys.readouterr().err == (
        "headway token: workspace: pm@example.com belongs to several workspaces (acme, globex); choose one with "
        "--workspace SLUG.\n"
    )


def test_token_create_for_someone_without_a_workspace(db, capsys):
    from headway.accounts.tests.factories import UserFactory

    UserFactory(email="lonely@example.com")
    assert main(["token", "create", "lonely@example.com"]) == 1
    assert capsys.readouterr().err == (
        "headway token: lonely@example.com is not a member of any workspace; a token belongs to one workspace.\n"
    )


# --- createadmin ----------------------------------------------------------------------------------


def test_createadmin_creates_a_user_and_a_workspace(db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    argv = ["createadmin", "--email", "Boss@Example.com", "--password", "a-long-secret-9", "--workspace", "Initech"]
    assert main(argv) == 0
    assert (
        capsys.readouterr().out == 'Created user boss@example.com; admin of new workspace "Initech" (slug initech).\n'
    )
    user = User.objects.get()
    assert user.email == "boss@example.com"
    assert user.check_password("a-long-secret-9")
    ws = Workspace.objects.get()
    assert (ws.name, ws.slug, ws.is_demo) == ("Initech", "initech", False)
    assert list(Membership.objects.values_list("user__email", "workspace__slug", "role")) == [
        ("boss@example.com", "initech", "admin")
    ]


def test_createadmin_makes_an_existing_member_admin_of_an_existing_workspace(viewer, workspace, capsys):
    assert main(["createadmin", "--email", "viewer@example.com", "--workspace", "acme"]) == 0
    assert capsys.readouterr().out == 'Found user viewer@example.com; admin of workspace "Acme Product" (slug acme).\n'
    assert Membership.objects.get(user=viewer).role == "admin"
    event = AuditEvent.objects.get(action="membership.update")
    assert (event.actor, event.workspace, event.changes) == (None, workspace, {"role": ["viewer", "admin"]})
    viewer.refresh_from_db()
    assert viewer.check_password("correct-horse-battery-9")  # unchanged without --password


def test_createadmin_finds_a_workspace_by_name_and_sets_a_new_password(viewer, workspace, other_workspace, capsys):
    assert main(["createadmin", "--email", "viewer@example.com", "--password", "new-long-pass-77", "--workspace",
                 "globex"]) == 0  # fmt: skip
    assert Membership.objects.get(user=viewer, workspace=other_workspace).role == "admin"
    viewer.refresh_from_db()
    assert viewer.check_password("new-long-pass-77")
    assert Workspace.objects.count() == 2


def test_createadmin_rejects_a_weak_password(db, capsys):
    assert main(["createadmin", "--email", "a@example.com", "--password", "short", "--workspace", "X"]) == 1
    assert capsys.readouterr().err == (
        "headway createadmin: password: This password is too short. It must contain at least 10 characters.\n"
    )
    assert User.objects.count() == 0
    assert Workspace.objects.count() == 0


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["createadmin"], "--email"),
        (["createadmin", "--email", "new@example.com", "--workspace", "W"], "--password"),
        (["createadmin", "--email", "new@example.com", "--password", "a-long-secret-9"], "--workspace"),
    ],
)
def test_createadmin_without_a_terminal_names_the_missing_option(db, capsys, monkeypatch, argv, option):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"headway createadmin: {option} is required when the command does not run in a terminal.\n"
    )
    assert User.objects.count() == 0


def test_createadmin_asks_on_a_terminal(db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeTTY(""))
    answers = iter(["ceo@example.com", ""])  # email, then the default workspace name
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt: "typed-secret-42")
    assert main(["createadmin"]) == 0
    assert User.objects.get().check_password("typed-secret-42")
    assert Workspace.objects.get().name == "Product"


def test_createadmin_on_a_terminal_refuses_two_different_passwords(db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeTTY(""))
    typed = iter(["first-secret-42", "other-secret-42"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    with pytest.raises(SystemExit) as exc:
        main(["createadmin", "--email", "ceo@example.com", "--workspace", "W"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == "headway createadmin: The two passwords differ.\n"
    assert User.objects.count() == 0
