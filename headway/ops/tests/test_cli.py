import pytest

from headway.cli import build_parser, main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: command"),
        (["bogus"], "argument command: invalid choice: 'bogus'"),
        (["token"], "the following arguments are required: token_command"),
        (["token", "create"], "the following arguments are required: EMAIL"),
        (["backup"], "the following arguments are required: FILE"),
        (["restore"], "the following arguments are required: FILE"),
        (["demo", "--wipe"], "unrecognized arguments: --wipe"),
        (["serve", "--port", "eighty"], "argument --port: invalid int value: 'eighty'"),
    ],
)
def test_argument_errors_exit_with_2_and_say_what_is_wrong(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_every_command_is_listed():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sorted(sub.choices) == [
        "backup", "check", "createadmin", "demo", "digest", "import", "ingest", "insights", "migrate", "plan",
        "restore", "serve", "token", "worker",
    ]  # fmt: skip


def test_parsed_defaults():
    parser = build_parser()
    args = parser.parse_args(["serve"])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8000, 2)
    args = parser.parse_args(["backup", "out.json.gz", "--workspace", "demo"])
    assert (args.file, args.workspace) == ("out.json.gz", "demo")
    args = parser.parse_args(["token", "create", "a@example.com"])
    assert (args.email, args.workspace, args.name) == ("a@example.com", None, "")
    assert parser.parse_args(["demo"]).reset is False
    assert parser.parse_args(["demo", "--reset"]).reset is True


def test_migrate_command(db, capsys):
    assert main(["migrate"]) == 0
    assert "No migrations to apply." in capsys.readouterr().out
