"""The one NinjaAPI: every app contributes a Router; errors leave in one shape."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from headway.core.api import AUTH
from headway.core.errors import HeadwayError

api = NinjaAPI(
    title="Headway API",
    version="1",
    description=(
        "Headway's REST API. Authenticate with `Authorization: Bearer <token>` (create tokens "
        "under Profile → API tokens or with `headway token create`); a token acts in its own "
        'workspace. Errors always have the shape `{"error": {"code", "message", "fields"}}`.'
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, code: str, message: str, fields: dict | None = None) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


@api.exception_handler(HeadwayError)
def headway_error(request: HttpRequest, exc: HeadwayError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "not_authenticated",
        "Send a valid API token as 'Authorization: Bearer <token>', or sign in (with a CSRF token for writes).",
    )


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for i, p in enumerate(err.get("loc", ())) if i or p not in ("body", "query", "path", "payload")]
        # ninja nests the body under the parameter name; keep the field path a client knows (an
        # error about the body as a whole belongs to no field).
        if loc and loc[0] in ("data", "payload", "filters"):
            loc = loc[1:]
        name = ".".join(loc) or "__all__"
        fields.setdefault(name, []).append(err.get("msg", "Invalid value."))
    first_name, first_msgs = next(iter(fields.items()), ("__all__", ["Invalid input."]))
    return _error(request, 422, "validation_error", f"{first_name}: {first_msgs[0]}", fields)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


@api.get("/ping", auth=None, tags=["meta"], summary="Liveness check (no auth, no database)")
def ping(request: HttpRequest) -> dict:
    return {"ok": True}


def _register_routers() -> None:
    from headway.accounts.api import router as accounts_router
    from headway.backlog.api import router as backlog_router
    from headway.customers.api import router as customers_router
    from headway.ideas.api import router as ideas_router
    from headway.insights.api import router as insights_router
    from headway.portfolio.api import router as portfolio_router
    from headway.prioritization.api import router as prioritization_router
    from headway.reports.api import router as reports_router
    from headway.strategy.api import router as strategy_router
    from headway.workspaces.api import router as workspaces_router

    api.add_router("/", accounts_router)
    api.add_router("/", workspaces_router)
    api.add_router("/", portfolio_router)
    api.add_router("/", customers_router)
    api.add_router("/", strategy_router)
    # Before the backlog: its /features/{feature_id} would take /features/ranked (ninja's path
    # parameters match any text, so the first router registered wins).
    api.add_router("/", prioritization_router)
    api.add_router("/", backlog_router)
    api.add_router("/", ideas_router)
    api.add_router("/", insights_router)
    api.add_router("/", reports_router)


_register_routers()
