import pytest
from django.db import OperationalError, connections

from headway.cli import main
from headway.ops import checks
from headway.ops.checks import ERROR, OK, WARNING, Finding

GOOD_KEY = "k7Qv-2mZpL9xT4rW8nB1cY6hJ3sD5fG0aE_uI2oP7lK9jH4gF6dS1"


@pytest.fixture
def configured(settings, monkeypatch):
    """A correctly configured production-like environment; each test breaks one thing."""
    monkeypatch.setenv("HEADWAY_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("EMAIL_URL", "smtp+tls://u:p@mail.example.com:587")
    settings.SECRET_KEY = GOOD_KEY
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["headway.example.com"]
    settings.HEADWAY_BASE_URL = "https://headway.example.com"
    return settings


def test_embedded_mode_uses_the_generated_key(configured, monkeypatch):
    monkeypatch.delenv("HEADWAY_SECRET_KEY")
    monkeypatch.setitem(configured.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    assert checks.check_secret_key() == [
        Finding(
            OK,
            "secret key",
            f"Using the random key generated for this installation in {configured.VAR_DIR / 'secret_key'}.",
        )
    ]


def test_missing_secret_key_on_a_server_database_is_a_warning(configured, monkeypatch):
    monkeypatch.delenv("HEADWAY_SECRET_KEY")
    monkeypatch.setitem(configured.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    [finding] = checks.check_secret_key()
    assert finding.level == WARNING
    assert finding.message.startswith(
        "HEADWAY_SECRET_KEY is not set, so this machine uses its own generated key. Every server process"
    )


def test_short_secret_key_is_an_error(configured, monkeypatch):
    monkeypatch.setenv("HEADWAY_SECRET_KEY", "hunter2hunter2")
    configured.SECRET_KEY = "hunter2hunter2"
    [finding] = checks.check_secret_key()
    assert finding.level == ERROR
    assert finding.message.startswith("HEADWAY_SECRET_KEY is too easy to guess (14 characters, 7 different). ")


def test_good_secret_key(configured):
    assert checks.check_secret_key() == [Finding(OK, "secret key", "HEADWAY_SECRET_KEY is set and long enough.")]


def test_email(configured, monkeypatch):
    assert checks.check_email() == [Finding(OK, "email", "Mail goes out through mail.example.com:587.")]
    monkeypatch.setenv("EMAIL_URL", "mail.example.com")
    [finding] = checks.check_email()
    assert finding == Finding(
        ERROR,
        "email",
        "EMAIL_URL must look like smtp://host:25, smtp+tls://user:password@host:587 or "
        "smtps://user:password@host:465 (it starts with nothing://).",
    )
    monkeypatch.delenv("EMAIL_URL")
    [finding] = checks.check_email()
    assert (finding.level, finding.topic) == (WARNING, "email")
    assert finding.message.startswith("EMAIL_URL is not set, so invitations and password-reset mails are printed to ")


def test_allowed_hosts(configured):
    assert checks.check_hosts() == [Finding(OK, "allowed hosts", "Serving headway.example.com.")]
    configured.ALLOWED_HOSTS = []
    assert [f.level for f in checks.check_hosts()] == [ERROR]
    configured.ALLOWED_HOSTS = ["*"]
    assert [f.level for f in checks.check_hosts()] == [WARNING]
    configured.ALLOWED_HOSTS = ["other.example.com"]
    [finding] = checks.check_hosts()
    assert finding.level == ERROR
    assert finding.message.startswith(
        "HEADWAY_BASE_URL uses the host 'headway.example.com', which HEADWAY_ALLOWED_HOSTS (other.example.com) "
        "does not allow"
    )
    configured.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    configured.HEADWAY_BASE_URL = "http://127.0.0.1:8000"
    [finding] = checks.check_hosts()
    assert finding.level == WARNING
    assert finding.message.startswith("Headway answers only to localhost.")


def test_static_vendor_files(configured, tmp_path):
    assert checks.check_static() == [Finding(OK, "static files", "Front-end packages are in place.")]
    (tmp_path / "static" / "vendor").mkdir(parents=True)
    (tmp_path / "static" / "vendor" / "htmx.min.js").write_text("//")
    configured.BASE_DIR = tmp_path
    assert checks.check_static() == [
        Finding(
            ERROR,
            "static files",
            f"alpine.min.js, sortable.min.js, echarts.min.js missing from {tmp_path / 'static' / 'vendor'}: pages "
            "would load without their scripts. Run `make install` (it copies them from the npm packages).",
        )
    ]


def test_python_version():
    assert checks.check_python((3, 11, 9)) == [
        Finding(ERROR, "python", "Python 3.11.9 is too old; Headway needs Python 3.12 or newer.")
    ]
    assert checks.check_python((3, 12, 3)) == [Finding(OK, "python", "Python 3.12.3.")]


def test_unreachable_database(db, monkeypatch):
    def refuse():
        raise OperationalError('connection to server at "db.internal" failed: Connection refused\nIs it running?')

    monkeypatch.setenv("DATABASE_URL", "postgres://headway@db.internal/headway")
    monkeypatch.setattr(checks, "_sqlite_path", lambda alias="default": None)
    with monkeypatch.context() as patch:  # undone before the test database is torn down
        patch.setattr(connections["default"], "ensure_connection", refuse)
        [finding] = checks.check_database()
        everything = checks.run_all()  # the checks that need the database are skipped, not crashed
    assert (finding.level, finding.topic) == (ERROR, "database")
    assert finding in everything
    assert not any(f.topic == "migrations" for f in everything)
    assert checks.exit_code(everything) == 1
    assert 'connection to server at "db.internal" failed: Connection refused. Check that the server runs' in (
        finding.message
    )
    assert finding.message.startswith("Cannot connect to DATABASE_URL (")


def test_sqlite_folder_that_cannot_be_created(db, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(checks, "_sqlite_path", lambda alias="default": blocker / "var" / "headway.sqlite3")
    [finding] = checks.check_database()
    assert finding.level == ERROR
    assert finding.message.startswith(f"The SQLite folder {blocker / 'var'} does not exist and cannot be created (")


def test_sqlite_folder_that_is_not_writable(db, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a file where the folder should be: nothing can be written "in" it
    monkeypatch.setattr(checks, "_sqlite_path", lambda alias="default": blocker / "headway.sqlite3")
    assert checks.check_database() == [
        Finding(
            ERROR,
            "database",
            f"The SQLite folder {blocker} is not writable by this user; SQLite needs to create its journal files "
            "next to the database. Fix the permissions or set HEADWAY_VAR_DIR.",
        )
    ]


def test_migrations(db, monkeypatch):
    assert checks.check_migrations() == [Finding(OK, "migrations", "The database schema is up to date.")]

    from django.db.migrations import Migration
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [(Migration("0002_more", "portfolio"), False)]
    )
    assert checks.check_migrations() == [
        Finding(
            WARNING,
            "migrations",
            "1 database migration(s) are not applied yet (portfolio.0002_more). Run `headway migrate` "
            "(`headway serve` also applies them when it starts).",
        )
    ]


def test_django_system_checks_pass(db):
    assert [f for f in checks.check_django() if f.level == ERROR] == []


def test_cli_check_exit_codes(configured, db, capsys, monkeypatch):
    assert main(["check"]) == 0
    assert capsys.readouterr().out == "0 error(s), 0 warning(s).\n"

    monkeypatch.delenv("EMAIL_URL")
    assert main(["check"]) == 0  # warnings only
    out = capsys.readouterr().out
    assert out.startswith("WARNING  email: EMAIL_URL is not set")
    assert out.endswith("0 error(s), 1 warning(s).\n")

    monkeypatch.setenv("HEADWAY_SECRET_KEY", "hunter2hunter2")
    configured.SECRET_KEY = "hunter2hunter2"
    assert main(["check", "--verbose"]) == 1
    out = capsys.readouterr().out
    assert "ERROR    secret key: HEADWAY_SECRET_KEY is too easy to guess (14 characters, 7 different)." in out
    assert "OK       static files: Front-end packages are in place.\n" in out
    assert out.endswith("1 error(s), 1 warning(s).\n")
