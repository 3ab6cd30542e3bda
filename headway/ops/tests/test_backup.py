import datetime as dt
import gzip
import json

import pytest
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models

from headway.accounts.models import ApiToken, LoginFailure, User
from headway.cli import main
from headway.core.models import AuditEvent
from headway.customers.models import Company, Contact, ImportBatch
from headway.ideas.models import PortalAccount
from headway.ops.backup import (
    BACKUP_MODELS,
    NOT_BACKED_UP,
    VERSION,
    ArchiveError,
    archive_read,
    backup_build,
    backup_to_file,
    database_counts,
    headway_models,
    restore_from_archive,
    restore_from_file,
)
from headway.ops.people import token_create
from headway.ops.tests.conftest import table_rows, wipe
from headway.portfolio.models import Product
from headway.workspaces.models import Invitation, Membership, Workspace

PAST = dt.datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=dt.UTC)


@pytest.fixture
def rich(demo, outsider):
    """The demo plus everything else an archive must carry: more workspaces (globex with its own admin, acme
    empty), an invitation, a token, an import batch, archived rows, old timestamps with microseconds and a
    user's last workspace."""
    from headway.customers.services import company_create
    from headway.portfolio.services import product_archive
    from headway.workspaces.services import invitation_create

    admin = User.objects.get(email="admin@demo.headway.local")
    invitation_create(actor=admin, workspace=demo.workspace, email="newcomer@example.com", role="pm")
    token_create(email="admin@demo.headway.local", workspace_slug="demo", name="CI")
    product_archive(actor=admin, product=Product.objects.get(workspace=demo.workspace, key="RPT"))
    company_create(actor=outsider, workspace=outsider.memberships.get().workspace, name="Globex Customer")
    Company.objects.filter(name="Bluefin Freight").update(created_at=PAST, updated_at=PAST + dt.timedelta(days=1))
    User.objects.filter(pk=outsider.pk).update(last_workspace=outsider.memberships.get().workspace)
    LoginFailure.objects.create(email="someone@example.com", ip_address="10.0.0.1")
    ImportBatch.objects.create(
        workspace=demo.workspace,
        created_by=admin,
        kind="companies",
        filename="companies.csv",
        rows=[[2, {"name": "Zürich Rückversicherung", "arr": "1200.50"}]],
        notes=["1 row"],
        expires_at=PAST,
    )
    return demo


def test_every_headway_model_is_archived_or_deliberately_left_out():
    labels = {m._meta.label for m in headway_models()}
    assert labels == set(BACKUP_MODELS) | set(NOT_BACKED_UP), (
        "add new models to BACKUP_MODELS (in restore order) or NOT_BACKED_UP (with the reason)"
    )
    assert set(BACKUP_MODELS).isdisjoint(NOT_BACKED_UP)
    assert len(BACKUP_MODELS) == len(set(BACKUP_MODELS))


def test_archived_models_come_after_the_tables_they_require_and_can_be_scoped_to_a_workspace():
    position = {label: i for i, label in enumerate(BACKUP_MODELS)}
    for label in BACKUP_MODELS:
        model = apps.get_model(label)
        for field in model._meta.concrete_fields:
            if field.is_relation and not field.null:
                target = field.related_model._meta.label
                assert target in position, f"{label}.{field.name} points to {target}, which is not archived"
                assert position[target] < position[label], f"{label} must come after {target}"
        has_workspace = any(f.name == "workspace" and f.is_relation for f in model._meta.concrete_fields)
        assert has_workspace or label in {"accounts.User", "workspaces.Workspace"}, label
        assert not model._meta.many_to_many or label == "accounts.User", f"{label} has many-to-many fields"


def test_round_trip_reproduces_every_row_exactly(rich, tmp_path):
    before = table_rows()
    assert {label: len(rows) for label, rows in before.items()} == {
        "accounts.User": 7 + 19,  # the demo team, an outsider and the portal people
        "workspaces.Workspace": 3,
        "workspaces.Membership": 7,
        "workspaces.Invitation": 1,
        "accounts.ApiToken": 1,
        "portfolio.ProductLine": 3,
        "portfolio.Product": 8,
        "portfolio.Component": 26,
        "customers.Company": 41,
        "customers.Contact": 114,
        "customers.ImportBatch": 1,
        # The demo's strategy and backlog (headway/ops/demo_plan.py).
        "strategy.Vision": 6,
        "strategy.VisionVersion": 6,
        "strategy.Objective": 20,
        "strategy.KeyResult": 24,
        "strategy.CheckIn": 61,
        "strategy.Initiative": 9,
        "strategy.InitiativeObjective": 9,
        "strategy.InitiativeProduct": 11,
        "backlog.WorkflowStatus": 7,
        "backlog.BacklogSettings": 0,
        "backlog.Tag": 21,
        "backlog.Feature": 148,
        "backlog.FeatureObjective": 116,
        "backlog.FeatureTag": 149,
        "backlog.FeatureStatusChange": 148,
        "backlog.Requirement": 15,
        "backlog.FeatureDependency": 10,
        "backlog.FeatureComment": 0,
        "backlog.FeatureLink": 0,
        "backlog.SavedView": 0,
        # The demo's ideas portal (headway/ops/demo_ideas.py): 3 portals, 33 ideas from 19 portal people.
        "ideas.Portal": 3,
        "ideas.PortalProduct": 10,
        "ideas.PortalInvitation": 0,
        "ideas.PortalAccount": 19,
        "ideas.IdeaStatus": 7,
        "ideas.IdeaCategory": 5,
        "ideas.DemandSettings": 1,
        "ideas.Idea": 33,
        "ideas.Vote": 342,
        "ideas.IdeaComment": 58,
        "ideas.Subscription": 352,
        "ideas.EmailPreference": 0,
        "ideas.IdeaEvent": 417,
        "ideas.Notification": 305,
        "ideas.Merge": 1,
        "ideas.FeatureStatusMapping": 0,
        # The demo's insights inbox (headway/ops/demo_insights.py): 90 notes typed in, forwarded or posted and
        # 49 from two imports, themes with one fitted space, evidence and two corrected labels.
        "insights.NoteImport": 2,
        "insights.Theme": 5,
        "insights.FeedbackNote": 139,
        "insights.Highlight": 25,
        "insights.LabelCorrection": 2,
        "insights.ThemeSpace": 1,
        # The demo's prioritization (headway/ops/demo_prioritization.py): four models, 300 scores and their 304
        # changes, two pins; three teams of four with time off and allocations; the next quarter's plan.
        "prioritization.ScoringModel": 4,
        "prioritization.ProductScoringModel": 0,
        "prioritization.FeatureScore": 300,
        "prioritization.FeatureScoreChange": 304,
        "prioritization.RankOverride": 2,
        "prioritization.Team": 3,
        "prioritization.TeamMember": 12,
        "prioritization.TimeOff": 5,
        "prioritization.TeamAllocation": 8,
        "prioritization.CapacityPlan": 1,
        "prioritization.PlanTeam": 3,
        "prioritization.PlanItem": 82,
        "prioritization.PlanScenario": 1,
        "core.AuditEvent": len(before["core.AuditEvent"]),
    }
    path = backup_to_file(tmp_path / "all.json.gz")["counts"] and tmp_path / "all.json.gz"
    assert path.read_bytes()[:2] == b"\x1f\x8b"

    wipe()
    assert set(database_counts().values()) == {0}
    restored = restore_from_file(path)

    assert restored == {label: len(rows) for label, rows in before.items()}
    assert table_rows() == before
    bluefin = Company.objects.get(name="Bluefin Freight")
    assert (bluefin.created_at, bluefin.updated_at) == (PAST, PAST + dt.timedelta(days=1))
    assert User.objects.get(email="admin@demo.headway.local").check_password("headway-demo")


def test_restored_database_accepts_new_rows(rich, tmp_path):
    """Sequences move past the restored ids (PostgreSQL), so the next insert does not collide."""
    from headway.customers.services import company_create

    backup_to_file(tmp_path / "all.json")
    highest = Company.objects.order_by("-pk").values_list("pk", flat=True)[0]
    wipe()
    # Like a brand-new database: on PostgreSQL the sequences of the empty tables start again at 1.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [apps.get_model(label) for label in BACKUP_MODELS]):
            cursor.execute(sql)
    restore_from_file(tmp_path / "all.json")
    admin = User.objects.get(email="admin@demo.headway.local")
    created = company_create(actor=admin, workspace=Workspace.objects.get(slug="demo"), name="After Restore Ltd")
    assert created.pk > highest


def test_plain_json_archive_holds_format_version_and_counts(rich, tmp_path):
    archive = backup_to_file(tmp_path / "all.json")
    on_disk = json.loads((tmp_path / "all.json").read_text())
    assert on_disk == archive
    assert (on_disk["format"], on_disk["version"], on_disk["scope"]) == ("headway-backup", 1, "all")
    assert on_disk["workspaces"] == ["acme", "demo", "globex"]
    assert on_disk["counts"]["customers.Company"] == 41
    assert list(on_disk["data"]) == BACKUP_MODELS
    assert on_disk["migrations"]["customers"][0] == "0001_initial"
    bluefin = next(r for r in on_disk["data"]["customers.Company"] if r["name"] == "Bluefin Freight")
    assert bluefin["created_at"] == "2021-03-04T05:06:07.123456+00:00"
    assert archive_read(tmp_path / "all.json") == archive


def test_one_workspace_archive_holds_only_that_workspace_and_its_people(rich, tmp_path):
    demo_ws = rich.workspace
    before = table_rows()
    archive = backup_build(workspace_slug="demo")
    assert archive["scope"] == "workspace"
    assert archive["workspaces"] == ["demo"]
    emails = sorted(r["email"] for r in archive["data"]["accounts.User"])
    portal_people = PortalAccount.objects.filter(workspace=demo_ws).values_list("user__email", flat=True)
    assert len(portal_people) == 19
    assert emails == sorted(
        ["admin@demo.headway.local", "leader@demo.headway.local", "pm@demo.headway.local", "pm2@demo.headway.local",
         "contributor@demo.headway.local", "viewer@demo.headway.local", *portal_people]
    )  # fmt: skip
    assert archive["counts"]["customers.Company"] == 40

    wipe()
    restore_from_archive(archive)
    after = table_rows()
    user_ids = {r["id"] for r in archive["data"]["accounts.User"]}
    for label, rows in before.items():
        if label == "accounts.User":
            expected = [r for r in rows if r["id"] in user_ids]
        elif label == "workspaces.Workspace":
            expected = [r for r in rows if r["id"] == demo_ws.pk]
        else:
            expected = [r for r in rows if r["workspace_id"] == demo_ws.pk]
        assert after[label] == expected, label


def test_one_workspace_archive_drops_a_last_workspace_outside_it(demo, workspace, member):
    person = member("pm", ws=demo.workspace, email="both@example.com")
    Membership.objects.create(workspace=workspace, user=person, role="viewer")
    User.objects.filter(pk=person.pk).update(last_workspace=workspace)
    archive = backup_build(workspace_slug="demo")
    row = next(r for r in archive["data"]["accounts.User"] if r["email"] == "both@example.com")
    assert row["last_workspace_id"] is None
    assert archive["counts"]["workspaces.Membership"] == 7


def test_backup_of_an_unknown_workspace_fails(db):
    with pytest.raises(ArchiveError) as exc:
        backup_build(workspace_slug="nope")
    assert exc.value.message == "No workspace with slug 'nope' to back up."


def test_restore_refuses_a_database_that_is_not_empty(demo):
    archive = backup_build()
    with pytest.raises(ArchiveError) as exc:
        restore_from_archive(archive)
    assert exc.value.message == (
        "The database is not empty (25 users, 1 workspace, 6 memberships, 3 product lines, 8 products, "
        "26 components, 40 companies, 114 contacts, 6 visions, 6 vision versions, 20 objectives, 24 key results, "
        "61 check-ins, 9 initiatives, 9 initiative objectives, 11 initiative products, 7 workflow statuses, 21 tags, "
        "148 features, 116 feature objectives, 149 feature tags, 148 feature status changes, 15 requirements, "
        "10 feature dependencies, 3 portals, 10 portal products, 19 portal accounts, 7 idea statuses, "
        "5 idea categories, 1 demand settings, 33 ideas, 342 votes, 58 idea comments, 352 subscriptions, "
        "417 idea events, 305 notifications, 1 merge, 2 note imports, 5 themes, 139 feedback notes, 25 highlights, "
        "2 label corrections, 1 theme space, 4 scoring models, 300 feature scores, 304 score changes, "
        "2 rank overrides, 3 teams, 12 team members, 5 time off, 8 team allocations, 1 capacity plan, 3 plan teams, "
        "82 plan items, 1 plan scenario, 1097 audit events). Restore keeps every primary key, so it "
        "needs an empty database: point HEADWAY_VAR_DIR or DATABASE_URL at a new one, then restore (the tables "
        "are created automatically)."
    )


def test_restore_refuses_another_format_version(demo):
    archive = backup_build()
    wipe()
    archive["version"] = VERSION + 1
    with pytest.raises(ArchiveError) as exc:
        restore_from_archive(archive)
    assert exc.value.message == (
        "This backup has format version 2; this Headway restores version 1 only. "
        "Restore it with the Headway release that wrote it."
    )
    assert set(database_counts().values()) == {0}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda a: a.update(format="something-else"), "This file is not a Headway backup (its 'format' is not "
         "'headway-backup')."),
        (lambda a: a.pop("counts"), "The backup is damaged: 'data' or 'counts' is missing."),
        (lambda a: a["counts"].update({"customers.Company": 39}), "The backup is damaged: customers.Company should "
         "have 39 rows, it has 40."),
        (lambda a: a["data"].update({"insights.Note": []}), "The backup holds tables this Headway does not know: "
         "insights.Note."),
        (lambda a: a["data"]["customers.Company"][2].update(mood="sunny"), "customers.Company row 3 has fields this "
         "Headway does not know (mood); the backup was made by a newer release."),
        (lambda a: a["migrations"]["customers"].append("0099_future"), "The backup was made with database "
         "migrations this database lacks (customers.0099_future). Run `headway migrate` with the same or a newer "
         "release, then restore."),
        (lambda a: a["data"]["customers.Company"][0].update(arr="lots"), "customers.Company row 1, field arr: "
         "“lots” value must be a decimal number."),
    ],
)  # fmt: skip
def test_restore_refuses_a_damaged_archive_and_writes_nothing(demo, damage, message):
    archive = backup_build()
    wipe()
    damage(archive)
    with pytest.raises(ArchiveError) as exc:
        restore_from_archive(archive)
    assert exc.value.message == message
    assert set(database_counts().values()) == {0}


def test_restore_is_all_or_nothing(demo):
    archive = backup_build()
    wipe()
    duplicate = dict(archive["data"]["customers.Contact"][0])
    archive["data"]["customers.Contact"].append(duplicate)
    archive["counts"]["customers.Contact"] += 1
    with pytest.raises(ArchiveError) as exc:
        restore_from_archive(archive)
    assert exc.value.message.startswith("The backup is inconsistent and was not restored (nothing was changed): ")
    assert set(database_counts().values()) == {0}


def test_archive_read_explains_unreadable_files(tmp_path):
    with pytest.raises(ArchiveError) as exc:
        archive_read(tmp_path / "missing.json")
    assert exc.value.message == f"No such file: {tmp_path / 'missing.json'}"
    (tmp_path / "bad.json.gz").write_bytes(gzip.compress(b"{not json"))
    with pytest.raises(ArchiveError) as exc:
        archive_read(tmp_path / "bad.json.gz")
    assert exc.value.message.startswith(f"{tmp_path / 'bad.json.gz'} is not a Headway backup (not readable JSON: ")


def test_cli_backup_and_restore(rich, tmp_path, capsys):
    before = table_rows()
    path = tmp_path / "demo.json.gz"
    assert main(["backup", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Backed up all workspaces to {path}: 26 users, 3 workspaces, 7 memberships, 1 invitation, ")
    assert main(["restore", str(path)]) == 1
    assert capsys.readouterr().err.startswith("headway restore: The database is not empty (26 users, 3 workspaces,")

    wipe()
    assert main(["restore", str(path)]) == 0
    assert capsys.readouterr().out.startswith(
        f"Restored {path} (workspaces: acme, demo, globex): 26 users, 3 workspaces, "
    )
    assert table_rows() == before

    assert main(["backup", str(tmp_path / "one.json"), "--workspace", "globex"]) == 0
    assert capsys.readouterr().out == (
        f"Backed up workspace globex to {tmp_path / 'one.json'}: 1 user, 1 workspace, 1 membership, 1 company, "
        "1 audit event.\n"
    )
    assert main(["restore", str(tmp_path / "nothing.json")]) == 1
    assert capsys.readouterr().err == f"headway restore: No such file: {tmp_path / 'nothing.json'}\n"


def test_login_failures_are_not_archived(rich):
    assert LoginFailure.objects.count() == 1
    assert "accounts.LoginFailure" not in backup_build()["data"]


def test_model_fields_survive_the_json_encoding():
    """Every concrete field type used by archived models is one the encoder round-trips."""
    handled = (
        models.AutoField, models.BigAutoField, models.BooleanField, models.CharField, models.TextField,
        models.DateTimeField, models.DecimalField, models.ForeignKey, models.JSONField, models.PositiveIntegerField,
        models.BigIntegerField, models.IntegerField, models.EmailField, models.SlugField,
        models.GenericIPAddressField,
        models.DateField,  # objectives' and check-ins' dates: the demo round trip restores them exactly
        models.FloatField,  # ideas' trending rank: JSON writes floats by repr, which reads back the same float
        models.BinaryField,  # the fitted theme space: written as hex, read back byte for byte
    )  # fmt: skip
    for label in BACKUP_MODELS:
        for field in apps.get_model(label)._meta.concrete_fields:
            if field.generated:
                continue  # computed by the database, never written
            assert isinstance(field, handled), f"{label}.{field.name} is a {type(field).__name__}: add a test"


def test_token_hashes_and_invitations_are_restored(rich, tmp_path):
    token = ApiToken.objects.get()
    invitation = Invitation.objects.get()
    backup_to_file(tmp_path / "a.json")
    wipe()
    restore_from_file(tmp_path / "a.json")
    assert ApiToken.objects.get().token_hash == token.token_hash
    assert Invitation.objects.get().token_hash == invitation.token_hash
    assert AuditEvent.objects.filter(action="api_token.create").count() == 1
    assert Contact.objects.count() == 114
