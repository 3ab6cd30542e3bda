from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    return render(request, "workspaces/coming.html", {"area": "portfolio", "area_label": "Portfolio"})
