"""Feedback notes and themes for tests, written straight to the database (no classification,
no theme assignment) so a test controls every field; use the services to test the pipeline."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from headway.insights.models import FeedbackNote, Source, Theme

_seq = itertools.count(1)


def note(workspace: Any, text: str | None = None, **fields: Any) -> FeedbackNote:
    n = next(_seq)
    fields.setdefault("source", Source.MANUAL)
    fields.setdefault("channel", Source(fields["source"]).label)
    fields.setdefault("received_at", timezone.now())
    return FeedbackNote.objects.create(workspace=workspace, text=text or f"Feedback number {n}", **fields)


def theme(workspace: Any, name: str | None = None, **fields: Any) -> Theme:
    return Theme.objects.create(workspace=workspace, name=name or f"Theme {next(_seq)}", **fields)
