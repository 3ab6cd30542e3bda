"""CSV/XLSX import of feedback: the real review files end to end, mapping, per-row problems, idempotence."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.conf import settings

from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.insights.importing.mapping import parse_date
from headway.insights.models import MAX_NOTE_CHARS, FeedbackNote, Kind, NoteImport, Sentiment, Source
from headway.insights.services.imports import (
    import_cancel,
    import_confirm,
    import_preview,
    import_remap,
    import_run,
    import_upload,
)
from headway.portfolio.tests.factories import ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


def shared_data() -> Path:
    """Like bench/ideas.py: $HEADWAY_SHARED_DATA, ../shared/data beside the checkout, /work/shared/data."""
    named = os.environ.get("HEADWAY_SHARED_DATA", "")
    candidates = [Path(named)] if named else []
    for candidate in [*candidates, Path(settings.BASE_DIR).parent / "shared" / "data", Path("/work/shared/data")]:
        if (candidate / "spotify-reviews.csv").is_file():
            return candidate
    pytest.fail("The shared review data (spotify-reviews.csv) is missing; set HEADWAY_SHARED_DATA.")


def upload(actor, workspace, content: str | bytes, name: str = "feedback.csv", channel: str = "Survey", **kw):
    data = content.encode() if isinstance(content, str) else content
    return import_upload(actor=actor, workspace=workspace, data=data, filename=name, channel=channel, **kw)


def run(actor, imp, skip_errors=False) -> NoteImport:
    """Confirm and run. The task runs on commit (only transactional tests commit; others run it here)."""
    import_confirm(actor=actor, note_import=imp, skip_errors=skip_errors)
    import_run(import_id=imp.pk)
    imp.refresh_from_db()
    return imp


# --- the real files ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_spotify_reviews_end_to_end_and_again(workspace, pm):
    path = shared_data() / "spotify-reviews.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = sum(1 for r in rows if r["content"].strip())
    assert expected == 10_000  # what the file really holds: no empty review in it
    imp = upload(pm, workspace, path.read_bytes(), "spotify-reviews.csv", "Google Play")
    assert imp.mapping == {"text": "content", "external_ref": "reviewId", "rating": "score"}
    assert (imp.status, imp.total, imp.skipped) == (NoteImport.Status.PREVIEW, 10_000, 0)
    imp = run(pm, imp)
    assert (imp.status, imp.created, imp.updated, imp.skipped, imp.done) == ("done", 10_000, 0, 0, 10_000)
    assert imp.rows == []
    notes = FeedbackNote.objects.filter(workspace=workspace)
    assert notes.count() == 10_000
    sample = notes.get(external_ref=rows[1]["reviewId"])
    assert sample.text == rows[1]["content"].strip()
    assert sample.rating == int(rows[1]["score"])
    assert (sample.source, sample.channel, sample.import_batch_id, sample.author) == (
        "import",
        "Google Play",
        imp.pk,
        pm,
    )
    assert notes.filter(kind="").count() == 0
    assert set(notes.values_list("kind", flat=True)) <= set(Kind.values)
    assert set(notes.values_list("sentiment", flat=True)) <= set(Sentiment.values)
    # Idempotent: the same file again creates nothing and changes nothing.
    again = run(pm, upload(pm, workspace, path.read_bytes(), "spotify-reviews.csv", "Google Play"))
    assert (again.status, again.created, again.updated, again.skipped) == ("done", 0, 0, 0)
    assert notes.count() == 10_000


def test_app_reviews_labeled(workspace, pm):
    path = shared_data() / "app-reviews-labeled.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    empty = [i + 2 for i, r in enumerate(rows) if not r["text"].strip()]
    assert len(rows) == 3_691 and len(empty) == 2
    imp = upload(pm, workspace, path.read_bytes(), "app-reviews-labeled.csv", "App stores")
    # The "date" column holds values such as "12:44": not dates, so it is not used (and said so).
    assert imp.mapping == {"text": "text", "title": "title", "external_ref": "id", "rating": "rating"}
    preview = import_preview(note_import=imp)
    assert any("Column “date” was not used" in n for n in preview.notes)
    assert [(p["row"], p["field"]) for p in preview.problems] == [(r, "text") for r in empty]
    assert (preview.valid, preview.skipped) == (3_689, 2)
    assert len(preview.rows) == 20
    with pytest.raises(ValidationFailed) as exc:
        import_confirm(actor=pm, note_import=imp)
    assert exc.value.fields == {
        "skip_errors": [
            "2 rows have problems. Confirm that you want to import the 3,689 valid rows and skip them, or fix the file."
        ]
    }
    assert FeedbackNote.objects.count() == 0
    imp = run(pm, imp, skip_errors=True)
    assert (imp.status, imp.created, imp.updated, imp.skipped) == ("done", 3_689, 0, 2)
    note = FeedbackNote.objects.get(external_ref="1")
    assert note.title == "Almost perfect"
    assert note.extra == {"kind": "bug", "source": "RE2014_app_and_play_store_apps"}


# --- mapping and per-row problems ----------------------------------------------------------------------


def test_guessed_mapping_and_values(workspace, pm):
    acme = CompanyFactory(workspace=workspace, name="Acme Corp", domain="acme.example")
    jane = ContactFactory(company=acme, workspace=workspace, email="jane@acme.example", name="Jane")
    initech = CompanyFactory(workspace=workspace, name="Initech", domain="initech.example")
    product = ProductFactory(product_line=ProductLineFactory(workspace=workspace), name="Mobile App")
    content = (
        "Ticket ID,Subject,Comment,Stars,Email,Customer,Organisation,Created,Link,Product,Plan\n"
        "T-1,Crash,It crashes on start,1,JANE@acme.example,,,2024-05-31 14:05,https://x.example/1,mobile app,Pro\n"
        "T-2,Idea,Add dark mode,5,bob@initech.example,Bob,,31.05.2024,,,\n"
        "T-3,,Works,4,,Carl,Initech,05/30/2024,,,\n"
    )
    imp = upload(pm, workspace, content)
    assert imp.mapping == {
        "text": "Comment", "title": "Subject", "external_ref": "Ticket ID", "rating": "Stars",
        "customer_email": "Email", "customer_name": "Customer", "company": "Organisation",
        "received_at": "Created", "url": "Link", "product": "Product",
    }  # fmt: skip
    imp = run(pm, imp)
    assert (imp.created, imp.skipped) == (3, 0)
    t1, t2, t3 = (FeedbackNote.objects.get(external_ref=r) for r in ("T-1", "T-2", "T-3"))
    assert (t1.contact, t1.company, t1.customer_name, t1.product) == (jane, acme, "Jane", product)
    assert t1.received_at == dt.datetime(2024, 5, 31, 14, 5, tzinfo=dt.UTC)
    assert (t1.url, t1.rating, t1.title, t1.extra) == ("https://x.example/1", 1, "Crash", {"Plan": "Pro"})
    assert (t2.contact, t2.company, t2.customer_name) == (None, initech, "Bob")
    assert t2.received_at == dt.datetime(2024, 5, 31, tzinfo=dt.UTC)
    assert (t3.company, t3.source, t3.channel) == (initech, Source.IMPORT, "Survey")


def test_row_problems_are_named_and_skipped_only_when_confirmed(workspace, pm):
    content = (
        "id,text,rating,date,product,email,url\n"
        "1,Fine row,5,2024-01-01,,,\n"
        "2,,3,,,,\n"  # empty text
        "3,Bad rating,six,,,,\n"
        "4,Bad date,4,someday,,,\n"
        "5,Unknown product,4,,Rocket,,\n"
        "6,Bad email,4,,,not-an-email,\n"
        "7,Bad url,4,,,,javascript:alert(1)\n"
        f"8,{'x' * (MAX_NOTE_CHARS + 5)},4,,,,\n"
    )
    imp = upload(pm, workspace, content)
    preview = import_preview(note_import=imp)
    assert [(p["row"], p["field"], p["message"]) for p in preview.problems] == [
        (3, "text", "The text is empty; the row is skipped."),
        (4, "rating", "“six” is not a rating: give a whole number from 1 to 5."),
        (5, "received_at", "“someday” is not a date (use e.g. 2024-05-31 or 2024-05-31 14:05)."),
        (6, "product", "No product named “Rocket” in this workspace."),
        (7, "customer_email", "“not-an-email” is not an email address."),
        (8, "url", "“javascript:alert(1)” is not an http:// or https:// address."),
        (9, "text", "The text is longer than the limit of 100,000 characters."),
    ]
    assert (preview.valid, preview.skipped) == (1, 7)
    with pytest.raises(ValidationFailed):
        import_confirm(actor=pm, note_import=imp)
    assert NoteImport.objects.get(pk=imp.pk).status == "preview"
    assert FeedbackNote.objects.count() == 0
    imp = run(pm, imp, skip_errors=True)
    assert (imp.created, imp.skipped) == (1, 7)
    assert list(FeedbackNote.objects.values_list("external_ref", flat=True)) == ["1"]


def test_a_ten_megabyte_cell_is_a_row_problem(workspace, pm):
    huge = "y" * (10 * 1024 * 1024 + 1)
    content = f'id,text\n1,"{huge}"\n2,Short and fine\n'
    imp = upload(pm, workspace, content)
    preview = import_preview(note_import=imp)
    assert [(p["row"], p["field"]) for p in preview.problems] == [(2, "text")]
    assert len(imp.rows[0][1][1]) == MAX_NOTE_CHARS + 1  # not stored whole
    assert run(pm, imp, skip_errors=True).created == 1


def test_html_and_script_are_stored_as_text(workspace, pm):
    content = 'id,text\n1,"<script>alert(1)</script><b>bold</b> & more"\n'
    run(pm, upload(pm, workspace, content))
    assert FeedbackNote.objects.get().text == "<script>alert(1)</script><b>bold</b> & more"


def test_empty_rows_are_ignored_and_duplicates_in_the_file_keep_the_last(workspace, pm):
    content = "id,text\n\n1,First version\n,\n2,Other\n1,Second version\n\n"
    imp = upload(pm, workspace, content)
    assert imp.total == 3
    preview = import_preview(note_import=imp)
    assert [(p["row"], p["field"]) for p in preview.problems] == [(3, "external_ref")]
    imp = run(pm, imp, skip_errors=True)
    assert (imp.created, imp.skipped) == (2, 1)
    assert FeedbackNote.objects.get(external_ref="1").text == "Second version"


def test_reimport_updates_changed_rows_only_and_keeps_corrections(workspace, pm):
    run(pm, upload(pm, workspace, "id,text,rating\n1,Crashes a lot,1\n2,Love it,5\n"))
    note = FeedbackNote.objects.get(external_ref="1")
    FeedbackNote.objects.filter(pk=note.pk).update(kind="experience", kind_corrected=True, state="processed")
    imp = run(pm, upload(pm, workspace, "id,text,rating\n1,Crashes a lot on login,1\n2,Love it,5\n3,New,4\n"))
    assert (imp.created, imp.updated, imp.skipped) == (1, 1, 0)
    note.refresh_from_db()
    assert (note.text, note.kind, note.kind_corrected, note.state) == (
        "Crashes a lot on login",
        "experience",
        True,
        "processed",
    )
    assert FeedbackNote.objects.count() == 3


def test_remap_and_missing_text_column(workspace, pm):
    imp = upload(pm, workspace, "ref,verbatim,when\nA,Needs export,2024-01-01\n")
    assert imp.mapping == {"external_ref": "ref"}
    preview = import_preview(note_import=imp)
    assert preview.file_errors[0].startswith("No column is chosen for the feedback text.")
    with pytest.raises(ValidationFailed):
        import_confirm(actor=pm, note_import=imp)
    imp = import_remap(
        actor=pm, note_import=imp, mapping={"text": "verbatim", "external_ref": "ref", "received_at": "when", "x": "y"}
    )
    assert imp.mapping == {"text": "verbatim", "external_ref": "ref", "received_at": "when"}
    assert run(pm, imp).created == 1
    with pytest.raises(Conflict):
        import_remap(actor=pm, note_import=imp, mapping={"text": "ref"})


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "The file is empty."),
        (b"text\n", "a.csv", "The file has a header row but no data rows."),
        (b"\x00\x01\x02binary" * 10, "a.csv", "This is not a CSV text file"),
        (b"\xd0\xcf\x11\xe0 old excel", "a.xls", "Old Excel workbooks (.xls) cannot be read."),
        (b"PK\x03\x04 broken zip", "a.xlsx", "The file is not a readable Excel workbook (.xlsx)."),
        (b"text\n\x81\x8d\x8f\x90\x9d bytes", "a.csv", "The file is not UTF-8 text (byte 0x81 at position 6"),
        (b'text\n"never closed\n', "a.csv", "Row 2 could not be read: a cell opened with a double quote"),
    ],
)
def test_file_problems(workspace, pm, data, name, message):
    with pytest.raises(ValidationFailed) as exc:
        upload(pm, workspace, data, name)
    assert exc.value.message.startswith(message), exc.value.message
    assert NoteImport.objects.count() == 0


def test_latin1_file_is_read_with_a_note(workspace, pm):
    imp = upload(pm, workspace, "id,text\n1,Très bien\n".encode("cp1252"))
    assert "read as Windows-1252" in import_preview(note_import=imp).notes[0]
    run(pm, imp)
    assert FeedbackNote.objects.get().text == "Très bien"


def test_too_big_and_too_many_rows(workspace, pm, settings):
    settings.HEADWAY_MAX_FEEDBACK_IMPORT_BYTES = 100
    with pytest.raises(ValidationFailed) as exc:
        upload(pm, workspace, "text\n" + "a\n" * 100)
    assert exc.value.message == "The file is 0.2 KB; the limit is 0.1 KB. Split it into smaller files." or "limit" in (
        exc.value.message
    )
    settings.HEADWAY_MAX_FEEDBACK_IMPORT_BYTES = 10_000
    settings.HEADWAY_MAX_FEEDBACK_IMPORT_ROWS = 3
    with pytest.raises(ValidationFailed) as exc:
        upload(pm, workspace, "text\na\nb\nc\nd\n")
    assert (
        exc.value.message
        == "The file has more than 3 data rows; the limit is 3 per import. Split it into smaller files."
    )


def test_xlsx(workspace, pm):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["reviewId", "content", "score", "at"])
    sheet.append(["r1", "Great playlists", 5, dt.datetime(2024, 3, 1, 10, 0)])
    sheet.append([None, None, None, None])
    sheet.append(["r2", "Ads are too loud", 2.0, dt.datetime(2024, 3, 2, 11, 30)])
    buffer = io.BytesIO()
    book.save(buffer)
    imp = upload(pm, workspace, buffer.getvalue(), "reviews.xlsx", "Play Store")
    assert imp.mapping == {"text": "content", "external_ref": "reviewId", "rating": "score", "received_at": "at"}
    assert imp.total == 2
    imp = run(pm, imp)
    assert imp.created == 2
    r2 = FeedbackNote.objects.get(external_ref="r2")
    assert (r2.rating, r2.received_at) == (2, dt.datetime(2024, 3, 2, 11, 30, tzinfo=dt.UTC))


def test_parse_date():
    assert parse_date("2024-05-31T10:00:00Z") == dt.datetime(2024, 5, 31, 10, tzinfo=dt.UTC)
    assert parse_date("Fri, 31 May 2024 10:00:00 +0000") == dt.datetime(2024, 5, 31, 10, tzinfo=dt.UTC)
    assert parse_date("May 31, 2024") == dt.datetime(2024, 5, 31, tzinfo=dt.UTC)
    assert parse_date("12:44") is None
    assert parse_date("26:07:13:08:31:49") is None
    assert parse_date("soon") is None


# --- who may ------------------------------------------------------------------------------------------


def test_permissions(workspace, pm, viewer, contributor, outsider, leader):
    from headway.ideas.tests import factories as ideas

    for actor, error in [(viewer, PermissionDenied), (contributor, PermissionDenied), (outsider, NotFound)]:
        with pytest.raises(error):
            upload(actor, workspace, "text\nhello\n")
    customer = ideas.portal_user(ideas.portal(leader, workspace))
    with pytest.raises(NotFound):
        upload(customer, workspace, "text\nhello\n")
    assert NoteImport.objects.count() == 0
    imp = upload(pm, workspace, "text\nhello\n")
    with pytest.raises(PermissionDenied):
        import_confirm(actor=viewer, note_import=imp)
    with pytest.raises(NotFound):
        import_cancel(actor=outsider, note_import=imp)
    assert NoteImport.objects.get(pk=imp.pk).status == "preview"
    assert FeedbackNote.objects.count() == 0
    import_cancel(actor=pm, note_import=imp)
    imp.refresh_from_db()
    assert (imp.status, imp.rows) == ("cancelled", [])
    with pytest.raises(Conflict):
        import_confirm(actor=pm, note_import=imp)


# --- pages ------------------------------------------------------------------------------------------


def _url(name: str, **kw) -> str:
    from django.urls import reverse

    return reverse(f"insights:{name}", kwargs={"ws": "acme", **kw})


def test_pages_upload_preview_confirm_progress(workspace, pm, web_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web_client(pm)
    assert client.get(_url("imports")).status_code == 200
    assert client.get(_url("import_upload")).status_code == 200
    content = b'id,text,rating\n1,"<script>alert(1)</script> loud ads",2\n2,,3\n3,Good,9\n4,Fine,4\n'
    response = client.post(
        _url("import_upload"),
        {"file": SimpleUploadedFile("reviews.csv", content, "text/csv"), "channel": "Play Store", "product": ""},
    )
    imp = NoteImport.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("import_preview", pk=imp.pk)
    page = client.get(_url("import_preview", pk=imp.pk)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; loud ads" in page
    assert "<script>alert(1)</script>" not in page
    assert "Import 2 valid rows and skip 2" in page
    assert 'name="skip_errors" required' in page
    # Without the checkbox nothing happens.
    response = client.post(_url("import_confirm", pk=imp.pk))
    assert response.status_code == 302
    assert NoteImport.objects.get().status == "preview"
    assert FeedbackNote.objects.count() == 0
    response = client.post(_url("import_confirm", pk=imp.pk), {"skip_errors": "on"})
    assert response["Location"] == _url("import_progress", pk=imp.pk)
    assert NoteImport.objects.get().status == "queued"  # the task runs on commit (not in this test's transaction)
    import_run(import_id=imp.pk)
    fragment = client.get(_url("import_progress", pk=imp.pk), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment  # finished: no more polling
    assert f"?batch={imp.pk}&amp;state=all" in fragment
    assert "<dt>Created</dt><dd>2</dd>" in fragment
    listing = client.get(_url("imports")).content.decode()
    assert "reviews.csv" in listing and "Imported" in listing


def test_progress_polls_while_running(workspace, pm, web_client):
    imp = upload(pm, workspace, "text\nhello\n")
    NoteImport.objects.filter(pk=imp.pk).update(status="running", total=10, done=4)
    fragment = web_client(pm).get(_url("import_progress", pk=imp.pk), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert '<progress max="10" value="4"' in fragment
    assert "<html" not in fragment


def test_upload_page_shows_file_errors(workspace, pm, web_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = web_client(pm).post(
        _url("import_upload"), {"file": SimpleUploadedFile("a.csv", b"text\n", "text/csv"), "channel": "X"}
    )
    assert response.status_code == 400
    assert "The file has a header row but no data rows." in response.content.decode()
    assert NoteImport.objects.count() == 0


def test_pages_permissions(workspace, pm, viewer, outsider, leader, web_client, client):
    from headway.ideas.tests import factories as ideas

    imp = upload(pm, workspace, "text\nhello\n")
    viewer_client = web_client(viewer)
    assert viewer_client.get(_url("imports")).status_code == 200
    assert viewer_client.get(_url("import_upload")).status_code == 403
    assert viewer_client.post(_url("import_confirm", pk=imp.pk), {"skip_errors": "on"}).status_code == 403
    assert NoteImport.objects.get().status == "preview"
    client.force_login(outsider)
    for name in ("import_preview", "import_progress"):
        assert client.get(_url(name, pk=imp.pk)).status_code == 404
    assert client.post(_url("import_cancel", pk=imp.pk)).status_code == 404
    customer = ideas.portal_user(ideas.portal(leader, workspace))
    client.force_login(customer)
    assert client.get(_url("imports")).status_code in (302, 404)
    assert client.get(_url("import_preview", pk=imp.pk)).status_code in (302, 404)
    assert NoteImport.objects.get().status == "preview"


# --- command line -------------------------------------------------------------------------------------


def test_cli_import_feedback(workspace, admin, tmp_path, capsys):
    from headway.cli import main

    path = tmp_path / "tickets.csv"
    path.write_text("Ticket,Verbatim,Stars\nT1,Slow search,2\nT2,,3\nT3,Great support,5\n")
    args = ["import", "feedback", str(path), "--workspace", "acme", "--channel", "Zendesk", "--map", "text=Verbatim"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Row 3: text: The text is empty; the row is skipped." in err
    assert "2 valid rows" in err
    assert FeedbackNote.objects.count() == 0
    assert main([*args, "--yes"]) == 0
    assert "Imported: 2 created, 0 updated, 0 unchanged, 1 skipped." in capsys.readouterr().out
    assert sorted(FeedbackNote.objects.values_list("external_ref", flat=True)) == ["T1", "T3"]
    assert main([*args, "--yes"]) == 0
    assert "Imported: 0 created, 0 updated, 2 unchanged, 1 skipped." in capsys.readouterr().out
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["import", "feedback", str(empty), "--workspace", "acme", "--channel", "X"]) == 1
    assert "The file is empty." in capsys.readouterr().err
