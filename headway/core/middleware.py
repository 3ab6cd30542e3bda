"""Request-wide guards."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestBodyLimitMiddleware:
    """Reject API bodies over the limit with 413 before anything reads them.

    HTML forms keep Django's own, larger limit because CSV uploads go through them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.HEADWAY_MAX_BODY_BYTES:
                return JsonResponse(
                    {
                        "error": {
                            "code": "payload_too_large",
                            "message": f"Request body is {length} bytes; the limit is "
                            f"{settings.HEADWAY_MAX_BODY_BYTES} bytes.",
                            "fields": {},
                        }
                    },
                    status=413,
                )
        return self.get_response(request)


class HeadwayErrorMiddleware:
    """Service errors that reach an HTML view become a page with the service's own message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from headway.core.errors import HeadwayError

        if not isinstance(exception, HeadwayError) or request.path.startswith("/api/"):
            return None
        template = {404: "404.html", 403: "403.html"}.get(exception.status, "error.html")
        return render(request, template, {"message": exception.message}, status=exception.status)
