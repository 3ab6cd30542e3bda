from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspaces/coming.html",
        {
            "area": "strategy",
            "area_label": "Strategy",
            "description": "Vision, objectives with key results, and the initiatives that serve them.",
        },
    )
