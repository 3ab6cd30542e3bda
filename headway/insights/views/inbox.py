"""The inbox: the list of notes with filters and keyboard triage, a note's page, typing a note in,
highlighting a passage as evidence."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def inbox(request: HttpRequest, ws: str) -> HttpResponse:  # replaced by the inbox work
    return HttpResponse("Insights inbox")


urlpatterns = [
    path("", inbox, name="inbox"),
]
