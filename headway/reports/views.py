from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspaces/coming.html",
        {
            "area": "reports",
            "area_label": "Reports",
            "description": "Reports and decks for stakeholders, built from what you keep here.",
        },
    )
