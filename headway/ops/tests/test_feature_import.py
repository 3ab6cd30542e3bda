"""``headway import features``: every row checked, written through the backlog services, all or nothing."""

import datetime as dt
from decimal import Decimal

import pytest

from headway.backlog.models import Feature
from headway.cli import main
from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.importing.reading import ImportFileError
from headway.ops.feature_import import EXAMPLE, import_actor, import_features, read_features_csv, summary_lines

pytestmark = pytest.mark.django_db
Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
HEADER = "title,product,description,status,owner,effort,initiative,objectives,tags,component\n"


@pytest.fixture
def setup(workspace, admin, pm, member):
    from headway.portfolio.tests.factories import ComponentFactory, ProductFactory, ProductLineFactory
    from headway.strategy.models import Initiative, Objective

    other_pm = member("pm", email="max@example.com", full_name="Max PM")
    line = ProductLineFactory(workspace=workspace)
    chk = ProductFactory(product_line=line, name="Checkout", key="CHK", owner=pm)
    ins = ProductFactory(product_line=line, name="Insights", key="INS", owner=other_pm)
    ComponentFactory(product=chk, name="Wallets")

    def objective(title, span=Q1, **kw):
        return Objective.objects.create(workspace=workspace, title=title, starts_on=span[0], ends_on=span[1], **kw)

    grow = objective("Grow revenue")
    fast = objective("Faster checkout", parent=grow)
    again_1 = objective("Retention")
    again_2 = objective("Retention", span=(dt.date(2026, 4, 1), dt.date(2026, 6, 30)))
    revamp = Initiative.objects.create(workspace=workspace, title="Checkout revamp", status="active")
    return {
        "chk": chk, "ins": ins, "grow": grow, "fast": fast, "retention": (again_1, again_2), "revamp": revamp,
        "other_pm": other_pm,
    }  # fmt: skip


def run(actor, workspace, text, **kwargs):
    return import_features(actor=actor, workspace=workspace, data=text.encode(), filename="f.csv", **kwargs)


def test_good_file_creates_every_feature_through_the_services(setup, workspace, admin, pm):
    text = HEADER + (
        "One-page checkout,chk,Fewer **steps**.,Ready,PM@example.com,8,Checkout revamp,"
        "Grow revenue; Faster checkout,conversion;Mobile,Wallets\n"
        "Usage tracking,INS,,,,,,,,\n"
        f"Apple Pay,CHK,,In progress,,2.5,#{setup['revamp'].pk},#{setup['retention'][1].pk},,\n"
    )
    result = run(admin, workspace, text)
    assert (result.written, result.created, result.errors, result.total) == (True, ["CHK-1", "INS-1", "CHK-2"], [], 3)
    f = Feature.objects.select_related("status", "owner", "initiative", "component").get(title="One-page checkout")
    assert (f.product, f.description, f.status.name, f.owner, f.effort, f.initiative, f.component.name) == (
        setup["chk"], "Fewer **steps**.", "Ready", pm, Decimal("8.00"), setup["revamp"], "Wallets",
    )  # fmt: skip
    assert [link.objective.title for link in f.objective_links.order_by("objective_id")] == [
        "Grow revenue", "Faster checkout",
    ]  # fmt: skip
    assert sorted(t.tag.name for t in f.tag_links.all()) == ["Mobile", "conversion"]
    plain = Feature.objects.select_related("status").get(title="Usage tracking")
    assert (plain.status.name, plain.owner, plain.effort, plain.initiative) == ("New", None, None, None)
    third = Feature.objects.get(title="Apple Pay")
    assert [link.objective_id for link in third.objective_links.all()] == [setup["retention"][1].pk]
    actions = list(AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True))
    assert actions.count("feature.create") == 3
    event = AuditEvent.objects.get(action="feature.import")
    assert event.changes == {"file": [None, "f.csv"], "created": [None, 3], "skipped": [None, 0]}
    lines, ok = summary_lines(result, dry_run=False, only_good_rows=False)
    assert (lines, ok) == (["Imported 3 feature(s): CHK-1…CHK-2, INS-1."], True)


BAD = HEADER + (
    "Good one,CHK,,,,,,,,\n"  # row 2
    ",XYZ,,Doing,nobody@example.com,abc,Nope,Retention;Missing,,\n"  # row 3
    "Good two,INS,,,,3,,,,\n"  # row 4
    "Good one,chk,,,,,,,,\n"  # row 5: same as row 2
    "Negative,CHK,,,,-1,,,,\n"  # row 6: the service refuses it
    "Kiosk mode,INS,,,,,,,,Kiosk\n"  # row 7: INS has no component Kiosk
)


def test_any_bad_row_means_nothing_is_written_and_every_error_is_listed(setup, workspace, admin):
    r = setup["retention"]
    result = run(admin, workspace, BAD)
    assert result.written is False
    assert Feature.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="feature.").exists()
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "effort", "“abc” is not a number."),
        (3, "initiative", "No initiative titled “Nope” in this workspace."),
        (3, "objectives", f"Several objectives are titled “Retention” (#{r[0].pk}, #{r[1].pk}); write the one you "
                          "mean as #id."),
        (3, "objectives", "No objective titled “Missing” in this workspace."),
        (3, "owner", "nobody@example.com is not a member of this workspace."),
        (3, "product", "No product with key XYZ (products: CHK, INS)."),
        (3, "status", "No workflow status named “Doing” (statuses: New, Discovery, Ready, In progress, Released, "
                      "Parked, Won't do)."),
        (3, "title", "Title is required."),
        (5, "title", "Same title and product as row 2."),
        (6, "effort", "Effort cannot be negative."),
        (7, "component", "INS has no component named “Kiosk”."),
    ]  # fmt: skip
    assert result.created == ["CHK-1", "INS-1"]  # what would have been written
    lines, ok = summary_lines(result, dry_run=False, only_good_rows=False)
    assert ok is False
    assert lines[0] == "Row 3, effort: “abc” is not a number."
    assert lines[-1] == (
        "4 row(s) have errors, so nothing was imported. Fix the file and run the command again, or add --only-good "
        "to import the 2 good row(s)."
    )


def test_service_rules_apply_row_by_row(setup, workspace, admin):
    tags = ";".join(f"t{i}" for i in range(21))
    text = HEADER + f"Tagged,CHK,,,,,,,{tags},\nPrecise,CHK,,,,1.234,,,,\n"
    result = run(admin, workspace, text)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "tags", "A feature carries at most 20 tags."),
        (3, "effort", "Use at most two decimals."),
    ]
    assert Feature.objects.count() == 0


def test_only_good_imports_the_good_rows(setup, workspace, admin):
    result = run(admin, workspace, BAD, only_good_rows=True)
    assert (result.written, result.created, result.error_rows) == (True, ["CHK-1", "INS-1"], 4)
    assert sorted(Feature.objects.values_list("title", flat=True)) == ["Good one", "Good two"]
    assert AuditEvent.objects.get(action="feature.import").changes["skipped"] == [None, 4]
    lines, ok = summary_lines(result, dry_run=False, only_good_rows=True)
    assert ok is True
    assert lines[-1] == "Imported 2 feature(s): CHK-1, INS-1. Skipped 4 row(s) with errors (listed above)."


def test_dry_run_writes_nothing_but_reports_exactly(setup, workspace, admin):
    result = run(admin, workspace, EXAMPLE.replace("pm@example.com", "max@example.com"), dry_run=True)
    assert (result.written, result.created, result.errors) == (False, ["CHK-1", "INS-1"], [])
    assert Feature.objects.count() == 0
    lines, ok = summary_lines(result, dry_run=True, only_good_rows=False)
    assert ok is True
    assert lines == ["Dry run: 2 of 2 rows would be imported (CHK-1, INS-1); no errors. Nothing was written."]


def test_importing_the_same_file_twice_does_not_duplicate(setup, workspace, admin):
    text = HEADER + "Dark mode,CHK,,,,,,,,\n"
    assert run(admin, workspace, text).written is True
    again = run(admin, workspace, text)
    assert [(e.row, e.column, e.reason) for e in again.errors] == [(2, "title", "CHK-1 already has this title in CHK.")]
    assert Feature.objects.count() == 1


def test_a_pm_imports_only_into_their_own_products(setup, workspace, pm):
    result = run(pm, workspace, HEADER + "Mine,CHK,,,,,,,,\nTheirs,INS,,,,,,,,\n")
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "product", "Your role (Product manager) may not edit features of this product.")
    ]
    result = run(pm, workspace, HEADER + "Mine,CHK,,,,,,,,\nTheirs,INS,,,,,,,,\n", only_good_rows=True)
    assert list(Feature.objects.values_list("title", flat=True)) == ["Mine"]


def test_viewers_and_outsiders_may_not_import(setup, workspace, viewer, outsider):
    with pytest.raises(PermissionDenied):
        run(viewer, workspace, HEADER + "X,CHK,,,,,,,,\n")
    with pytest.raises(NotFound):
        run(outsider, workspace, HEADER + "X,CHK,,,,,,,,\n")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"name,product\nX,CHK\n", "Missing required column: title."),
        (b"title,product\n", "The file has a header row but no data rows."),
        (b'title,product\n"Open,CHK\n', "Row 2 could not be read: a cell opened with a double quote"),
    ],
)
def test_file_problems(data, message):
    with pytest.raises(ImportFileError) as exc:
        read_features_csv(data)
    assert exc.value.message.startswith(message)


def test_semicolons_and_unknown_columns_are_noted():
    parsed = read_features_csv(b"title;product;colour\nX;CHK;red\n")
    assert parsed.notes == ["Columns are separated by semicolons.", "Ignored columns: colour."]
    assert parsed.rows == [(2, {"title": "X", "product": "CHK"}, 0)]


# --- who and where --------------------------------------------------------------------------


def test_import_actor_defaults(setup, workspace, admin, pm, other_workspace):
    assert import_actor(email="pm@example.com", workspace_slug=None) == (pm, workspace)
    assert import_actor(email=None, workspace_slug="acme") == (admin, workspace)
    with pytest.raises(ValidationFailed) as exc:
        import_actor(email=None, workspace_slug=None)
    assert exc.value.message == ("workspace: there are 2 workspaces (acme, globex); choose one with --workspace SLUG.")
    with pytest.raises(NotFound) as exc:
        import_actor(email="pm@example.com", workspace_slug="globex")
    assert exc.value.message == "pm@example.com is not a member of workspace 'globex'."


def test_import_actor_needs_as_when_there_are_several_admins(setup, workspace, member):
    member("admin", email="second@example.com")
    with pytest.raises(ValidationFailed) as exc:
        import_actor(email=None, workspace_slug="acme")
    assert exc.value.message == (
        "as: workspace 'acme' has 2 admins (admin@example.com, second@example.com); say who imports with --as EMAIL."
    )


# --- the command ----------------------------------------------------------------------------


def test_cli_import(setup, workspace, admin, tmp_path, capsys):
    path = tmp_path / "features.csv"
    path.write_text(BAD)
    assert main(["import", "features", str(path), "--workspace", "acme"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Importing features from features.csv into workspace acme as admin@example.com.\n")
    assert "Row 6, effort: Effort cannot be negative.\n" in out
    assert Feature.objects.count() == 0

    assert main(["import", "features", str(path), "--dry-run", "--only-good"]) == 1
    out = capsys.readouterr().out
    assert out.endswith(
        "Dry run: 2 of 6 rows would be imported (CHK-1, INS-1); 4 row(s) have errors. Nothing was written.\n"
    )

    assert main(["import", "features", str(path), "--as", "admin@example.com", "--only-good"]) == 0
    out = capsys.readouterr().out
    assert "Imported 2 feature(s): CHK-1, INS-1. Skipped 4 row(s) with errors (listed above).\n" in out
    assert Feature.objects.count() == 2


def test_cli_import_refusals(setup, workspace, admin, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["import", "features", str(tmp_path / "missing.csv")])
    assert exc.value.code == 2
    assert capsys.readouterr().err == f"headway import: {tmp_path / 'missing.csv'}: no such file.\n"
    path = tmp_path / "f.csv"
    path.write_text("name\nX\n")
    assert main(["import", "features", str(path)]) == 1
    assert capsys.readouterr().err.startswith("headway import: Missing required columns: title, product.")
