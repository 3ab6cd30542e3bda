from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def backlog(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspaces/coming.html",
        {
            "area": "backlog",
            "area_label": "Backlog",
            "description": "Features and requirements with their workflow, estimates and rank.",
        },
    )
