"""The portal's own pages, under /p/<portal>/, for customers, partners and colleagues.

Thin views: parse, call one service or selector, render. Every page goes through ``portal_page``,
which finds the portal and asks ``permissions.portal_access`` what this person may do there:

- no access to a private or submit-only portal → the portal's sign-in page (anonymous or not),
  so people can sign in, join or confirm their email; an internal portal → 404 for signed-in
  non-members and the main sign-in for everybody else, so its name never shows to outsiders;
- reading only where taking part is needed (voting, submitting…) → the sign-in page, with a
  ``next`` back to where they were.

Every POST works without JavaScript (redirect back, with a message) and, from htmx, answers with
the fresh fragment of the page it came from (``render_page`` + ``{% partialdef %}``).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from headway.accounts import services as account_services
from headway.accounts.views import client_ip
from headway.core import permissions
from headway.core.errors import HeadwayError, NotFound, RateLimited
from headway.core.htmx import render_page
from headway.core.permissions import PortalAccess
from headway.ideas import notify, selectors, services, similarity
from headway.ideas.forms_portal import (
    SORTS,
    CommentForm,
    IdeaFilterForm,
    IdeaForm,
    SigninForm,
    SignupForm,
    portal_categories,
    portal_products,
)
from headway.ideas.models import (
    Approval,
    Idea,
    IdeaEvent,
    Importance,
    Portal,
    PortalAccount,
    StatusCategory,
    Visibility,
    Vote,
)

_ORDER = [PortalAccess.NONE, PortalAccess.READ, PortalAccess.PARTICIPATE, PortalAccess.STAFF]
SIMILAR_MIN_CHARS = 3
SIMILAR_LIMIT = 5


@dataclass
class Here:
    """The portal a request is in, and who is asking."""

    portal: Portal
    access: PortalAccess
    account: PortalAccount | None
    user: Any

    @property
    def signed_in(self) -> bool:
        return bool(self.user.is_authenticated)

    @property
    def staff(self) -> bool:
        return self.access == PortalAccess.STAFF

    @property
    def participates(self) -> bool:
        return _ORDER.index(self.access) >= _ORDER.index(PortalAccess.PARTICIPATE)

    def url(self, name: str, **kwargs: Any) -> str:
        return reverse(f"portal:{name}", kwargs={"portal": self.portal.slug, **kwargs})


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted  # type: ignore[union-attr]


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect; an htmx request is told to load the page itself instead of swapping it in."""
    if _htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _safe_next(request: HttpRequest, default: str = "") -> str:
    """Where to go afterwards: only a path on this site, never another host."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _here(request: HttpRequest, slug: str) -> Here:
    portal = selectors.portal_by_slug(slug)
    user = request.user
    account = PortalAccount.objects.filter(portal=portal, user_id=user.pk).first() if user.is_authenticated else None
    return Here(portal=portal, access=permissions.portal_access(user, portal, account), account=account, user=user)


def _gate(request: HttpRequest, here: Here, needed: PortalAccess) -> HttpResponse | None:
    """None when the person may go on; else where to send them (or NotFound)."""
    portal = here.portal
    if here.access == PortalAccess.NONE:
        if portal.archived_at is not None or (portal.visibility == Visibility.INTERNAL and here.signed_in):
            raise NotFound("No such portal, or it is not open to you.")
        if portal.visibility == Visibility.INTERNAL:
            return _go(request, _with_next(reverse("accounts:login"), request.get_full_path()))
        return _go(request, _with_next(here.url("signin"), _back(request, here)))
    if _ORDER.index(here.access) < _ORDER.index(needed):
        # Reading only: sign in (or join, or confirm the email) first, then come back here.
        return _go(request, _with_next(here.url("signin"), _back(request, here)))
    # Raises for anything portal_access did not already answer (one rule for every page).
    permissions.require_portal(here.user, portal, needed, here.account)
    return None


def _back(request: HttpRequest, here: Here) -> str:
    """The page to come back to after signing in: the page itself for a GET, else the form's."""
    if request.method == "GET" and not _htmx(request):
        return request.get_full_path()
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()}):
        current = urlsplit(current)._replace(scheme="", netloc="").geturl()
    else:
        current = ""
    return _safe_next(request, current or here.url("home"))


def portal_page(needed: PortalAccess = PortalAccess.READ) -> Callable:
    """Resolve the portal and check access; service errors in a portal the person may see become
    a page in the portal's own look (elsewhere the site's plain 404)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, portal: str, **kwargs: Any) -> HttpResponse:
            here = _here(request, portal)
            refused = _gate(request, here, needed)
            if refused is not None:
                return refused
            try:
                return view(request, here, **kwargs)
            except HeadwayError as exc:
                if _htmx(request):
                    return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
                context = {**_base(request, here), "message": exc.message, "status": exc.status}
                return render(request, "ideas/portal/error.html", context, status=exc.status)

        return wrapped

    return decorate


def _base(request: HttpRequest, here: Here, **extra: Any) -> dict[str, Any]:
    """What the portal layout needs on every page."""
    unread = notify.unread_count(here.user, here.portal.workspace) if here.signed_in else 0
    return {"portal": here.portal, "here": here, "access": here.access, "unread": unread, **extra}


def _who(user: Any) -> str:
    """A person's name as others see it: never their email address."""
    return (getattr(user, "full_name", "") or "").strip() or "Someone"


def _submitted_by(idea: Idea) -> str:
    """Who asked, as the page says it: by Ann Lee, or on behalf of Acme (filed by a member)."""
    if idea.on_behalf_company_id:
        return f"on behalf of {idea.on_behalf_company.name}"  # type: ignore[union-attr]
    if idea.on_behalf_contact_id:
        return "on behalf of a customer"
    if idea.submitter_id and not idea.entered_by_id:
        return f"by {_who(idea.submitter)}"
    return "by the team"


def _mark_votes(user: Any, ideas: list[Idea]) -> None:
    """Set ``my_importance`` on each idea of a page: one query for the whole page."""
    mine: dict[int, str] = {}
    if user.is_authenticated and ideas:
        mine = dict(
            Vote.objects.filter(voter_id=user.pk, idea_id__in=[i.pk for i in ideas]).values_list(
                "idea_id", "importance"
            )
        )
    for idea in ideas:
        idea.my_importance = mine.get(idea.pk, "")  # type: ignore[attr-defined]


def _idea(here: Here, pk: int) -> Idea:
    return selectors.idea_for_portal(user=here.user, portal=here.portal, access=here.access, pk=pk)


# --- the idea list ---------------------------------------------------------------------------


def anonymous_microcache(view: Callable) -> Callable:
    """Serve the same page to every anonymous reader for a few seconds.

    A public portal's list is read far more than it changes, mostly by people who are not signed
    in, and for them the page is the same. Only requests with no session or message cookies are
    cached (so no one's flash message or identity is ever stored), per full URL and htmx flavour,
    in the shared cache (the database by default), for ``HEADWAY_PORTAL_ANONYMOUS_CACHE_SECONDS``
    (10 s; 0 turns it off): a new idea or vote shows to anonymous readers within that time.

    When the page is due, one request renders it again while the others keep getting the page
    they had (for up to a minute more), so readers never queue behind a burst of renderings.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = settings.HEADWAY_PORTAL_ANONYMOUS_CACHE_SECONDS
        cookieless = set(request.COOKIES) <= {settings.CSRF_COOKIE_NAME}
        if not seconds or request.method != "GET" or not cookieless or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        flavour = f"{request.headers.get('HX-Request', '')}|{request.headers.get('HX-Boosted', '')}"
        key = "portal-anon:" + hashlib.sha256(f"{flavour}|{request.get_full_path()}".encode()).hexdigest()
        hit = cache.get(key)  # (rendered at, content, content type)
        now = time.time()
        if hit is not None and (now - hit[0] < seconds or not cache.add(f"{key}:rendering", 1, 30)):
            return HttpResponse(hit[1], content_type=hit[2])
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            cache.set(key, (now, response.content, response["Content-Type"]), seconds + 60)
        cache.delete(f"{key}:rendering")
        return response

    return wrapper


@anonymous_microcache
@portal_page()
def portal_home(request: HttpRequest, here: Here) -> HttpResponse:
    products, categories = portal_products(here.portal), portal_categories(here.portal)
    form = IdeaFilterForm(request.GET, products=products, categories=categories)
    params = form.params()
    page = selectors.portal_idea_page(user=here.user, portal=here.portal, access=here.access, **params)
    items = list(page["items"])
    _mark_votes(here.user, items)
    filtered = bool(params["q"] or params["status_category"] or params["category_id"] or params["product_id"])
    # The pages' links keep the filters that are set (and nothing empty).
    kept = {
        "sort": "" if params["sort"] == "votes" else params["sort"],
        "q": params["q"],
        "status": params["status_category"],
        "category": params["category_id"] or "",
        "product": params["product_id"] or "",
    }
    filter_query = urlencode({key: value for key, value in kept.items() if value})
    context = _base(
        request,
        here,
        form=form,
        params=params,
        ideas=items,
        page=page,
        sorts=SORTS,
        filtered=filtered,
        filter_query=filter_query,
        show_products=len(products) > 1,
        area="ideas",
    )
    return render_page(request, "ideas/portal/home.html", context, fragment="idea-list")


# --- submitting --------------------------------------------------------------------------------


@portal_page(PortalAccess.PARTICIPATE)
def submit(request: HttpRequest, here: Here) -> HttpResponse:
    products, categories = portal_products(here.portal), portal_categories(here.portal)
    form = IdeaForm(request.POST if request.method == "POST" else None, products=products, categories=categories)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.service_fields()
            try:
                idea = services.idea_create(
                    actor=here.user,
                    portal=here.portal,
                    title=data["title"],
                    description=data["description"],
                    product=data.get("product"),
                    category=data.get("category"),
                    importance=data["importance"],
                    ip_address=client_ip(request),
                    honeypot=data["website"],
                )
            except HeadwayError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                if idea.approval == Approval.PENDING:
                    messages.info(
                        request,
                        "Thank you! Your idea is waiting for approval: only you and the team see it until then.",
                    )
                else:
                    messages.success(request, "Thank you! Your idea is posted, with your vote.")
                return redirect(here.url("idea", pk=idea.pk))
    return render(request, "ideas/portal/submit.html", _base(request, here, form=form, area="submit"), status=status)


@portal_page()
def similar(request: HttpRequest, here: Here) -> HttpResponse:
    """Ideas like the title being typed (an htmx fragment of the submit page)."""
    text = request.GET.get("title", "").strip()[:200]
    found: list[Idea] = []
    if len(text) >= SIMILAR_MIN_CHARS:
        if here.portal.visibility == Visibility.SUBMIT_ONLY and not here.staff:
            # People see only their own ideas here: suggest among those.
            own = permissions.portal_ideas(Idea.objects.all(), here.user, here.portal, here.access)
            scored = similarity.similar_ideas(portal=here.portal, text=text, limit=SIMILAR_LIMIT, candidates=own)
        else:
            # Elsewhere all but others' ideas waiting for approval: ask for a few more, keep the visible.
            limit = SIMILAR_LIMIT if here.staff else SIMILAR_LIMIT * 3
            scored = similarity.similar_ideas(portal=here.portal, text=text, limit=limit)
        for idea, _score in scored:
            idea.portal = here.portal  # the same row: spares a query per suggestion
            if permissions.portal_can_see_idea(here.user, idea, here.access):
                found.append(idea)
            if len(found) == SIMILAR_LIMIT:
                break
    _mark_votes(here.user, found)
    context = _base(request, here, similar=found, title=text, searched=len(text) >= SIMILAR_MIN_CHARS)
    return render(request, "ideas/portal/submit.html#similar", context)


# --- one idea --------------------------------------------------------------------------------


def _idea_context(request: HttpRequest, here: Here, idea: Idea, **extra: Any) -> dict[str, Any]:
    my_vote = selectors.my_vote(here.user, idea) if here.signed_in else None
    idea.my_importance = my_vote.importance if my_vote else ""  # type: ignore[attr-defined]
    comments = list(selectors.idea_comments(user=here.user, idea=idea))
    for comment in comments:
        comment.who = _who(comment.author) if comment.author_id else "Someone"  # type: ignore[attr-defined]
    own = here.signed_in and idea.submitter_id == here.user.pk
    others_voted = idea.vote_count - (1 if my_vote else 0) > 0
    return {
        **_base(request, here),
        "idea": idea,
        "my_vote": my_vote,
        "following": selectors.is_following(here.user, idea) if here.signed_in else False,
        "comments": comments,
        "submitted_by": _submitted_by(idea),
        "own": own,
        "can_change": here.participates and own and not others_voted and idea.deleted_at is None,
        "others_voted": others_voted,
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "importances": Importance.choices,
        **extra,
    }


@portal_page()
def idea_detail(request: HttpRequest, here: Here, pk: int) -> HttpResponse:
    idea = _idea(here, pk)
    if idea.merged_into_id:
        target = idea.merged_into
        messages.info(request, f"This idea was merged into “{target.title}”.")  # type: ignore[union-attr]
        return redirect(here.url("idea", pk=target.pk))  # type: ignore[union-attr]
    return render_page(request, "ideas/portal/idea.html", _idea_context(request, here, idea))


@portal_page(PortalAccess.PARTICIPATE)
def idea_edit(request: HttpRequest, here: Here, pk: int) -> HttpResponse:
    idea = _idea(here, pk)
    products, categories = portal_products(here.portal), portal_categories(here.portal)
    initial = {
        "title": idea.title,
        "description": idea.description,
        "product": idea.product_id,
        "category": idea.category_id,
    }
    form = IdeaForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        products=products,
        categories=categories,
        with_importance=False,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.idea_update(actor=here.user, idea=idea, **form.service_fields())
            except HeadwayError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, "Your idea is updated.")
                return redirect(here.url("idea", pk=idea.pk))
    context = _base(request, here, form=form, idea=idea)
    return render(request, "ideas/portal/idea_edit.html", context, status=status)


@portal_page(PortalAccess.PARTICIPATE)
def idea_delete(request: HttpRequest, here: Here, pk: int) -> HttpResponse:
    idea = _idea(here, pk)
    if request.method != "POST":
        return render(request, "ideas/portal/idea_delete.html", _base(request, here, idea=idea))
    try:
        services.idea_delete(actor=here.user, idea=idea)
    except HeadwayError as exc:
        messages.error(request, exc.message)
        return redirect(here.url("idea", pk=idea.pk))
    messages.success(request, f"Your idea “{idea.title}” is deleted.")
    return redirect(here.url("home"))


@require_POST
@portal_page(PortalAccess.PARTICIPATE)
def vote(request: HttpRequest, here: Here, pk: int) -> HttpResponse:
    """Vote (``importance``, important by default), change the importance, or retract."""
    idea = _idea(here, pk)
    error = None
    try:
        if request.POST.get("action") == "retract":
            services.vote_retract(actor=here.user, idea=idea)
        else:
            importance = request.POST.get("importance") or Importance.IMPORTANT
            services.vote_cast(actor=here.user, idea=idea, importance=importance)
    except HeadwayError as exc:
        error = exc.message
    if not _htmx(request):
        if error:
            messages.error(request, error)
        return redirect(_safe_next(request, here.url("idea", pk=idea.pk)))
    idea = _idea(here, pk)  # the fresh count
    _mark_votes(here.user, [idea])
    variant = "instead" if request.POST.get("variant") == "instead" else "box"
    context = {
        **_base(request, here),
        "idea": idea,
        "variant": variant,
        "vote_error": error,
        "next": _safe_next(request),
    }
    return render_page(request, "ideas/portal/_vote.html", context, fragment="vote")


@require_POST
@portal_page(PortalAccess.PARTICIPATE)
def comment(request: HttpRequest, here: Here, pk: int) -> HttpResponse:
    idea = _idea(here, pk)
    form = CommentForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.comment_add(
                actor=here.user,
                idea=idea,
                body=form.cleaned_data["body"],
                internal=bool(form.cleaned_data["internal"]) and here.staff,
            )
        except HeadwayError as exc:
            form.add_service_error(exc)
            status = exc.status
        else:
            if not _htmx(request):
                messages.success(request, "Your comment is posted.")
                return redirect(here.url("idea", pk=idea.pk) + "#comments")
            form = CommentForm()
            status = 200
    idea = _idea(here, pk)  # the fresh comment count
    context = _idea_context(request, here, idea, comment_form=form)
    if _htmx(request):
        # 200 even with errors: htmx swaps successful answers only, and the errors are in the section.
        return render_page(request, "ideas/portal/idea.html", context, fragment="comments")
    return render(request, "ideas/portal/idea.html", context, status=status)


@require_POST
@portal_page(PortalAccess.PARTICIPATE)
def follow(request: HttpRequest, here: Here, pk: int) -> HttpResponse:
    idea = _idea(here, pk)
    stop = request.POST.get("action") == "unfollow"
    error = None
    try:
        if stop:
            services.idea_unfollow(actor=here.user, idea=idea)
        else:
            services.idea_follow(actor=here.user, idea=idea)
    except HeadwayError as exc:
        error = exc.message
    if not _htmx(request):
        if error:
            messages.error(request, error)
        elif stop:
            messages.info(request, "You no longer follow this idea.")
        else:
            messages.success(request, "You follow this idea: we will tell you what becomes of it.")
        return redirect(here.url("idea", pk=idea.pk))
    context = {**_base(request, here), "idea": idea, "following": selectors.is_following(here.user, idea)}
    return render_page(request, "ideas/portal/idea.html", context, fragment="follow")


# --- roadmap and changelog --------------------------------------------------------------------

ROADMAP_COLUMNS = [
    (StatusCategory.PLANNED, "Planned"),
    (StatusCategory.IN_PROGRESS, "In progress"),
    (StatusCategory.SHIPPED, "Shipped recently"),
]


@portal_page()
def roadmap(request: HttpRequest, here: Here) -> HttpResponse:
    found = selectors.portal_roadmap(user=here.user, portal=here.portal, access=here.access)
    columns = [
        {"key": str(key), "label": label, "ideas": list(found.get(key, found.get(str(key), [])))}
        for key, label in ROADMAP_COLUMNS
    ]
    context = _base(request, here, columns=columns, area="roadmap")
    return render(request, "ideas/portal/roadmap.html", context)


@portal_page()
def changelog(request: HttpRequest, here: Here) -> HttpResponse:
    ideas = list(selectors.portal_changelog(user=here.user, portal=here.portal, access=here.access))
    # The public message the team gave when each idea shipped (the latest one).
    said: dict[int, str] = {}
    shipped = IdeaEvent.objects.filter(idea_id__in=[i.pk for i in ideas], kind=IdeaEvent.Kind.SHIPPED)
    for idea_id, payload in shipped.order_by("created_at", "id").values_list("idea_id", "payload"):
        said[idea_id] = (payload or {}).get("message", "") or ""
    for idea in ideas:
        idea.status_message = said.get(idea.pk, "")  # type: ignore[attr-defined]
    return render(request, "ideas/portal/changelog.html", _base(request, here, ideas=ideas, area="changelog"))


# --- signing up, in and out --------------------------------------------------------------------


def _open_to_signups(portal: Portal) -> bool:
    return portal.archived_at is None and portal.visibility != Visibility.INTERNAL


def _entry(request: HttpRequest, slug: str) -> Here | HttpResponse:
    """The sign-in and sign-up pages: open to everybody on a portal that takes people from
    outside; an internal portal sends people to the site's own sign-in."""
    here = _here(request, slug)
    if here.portal.archived_at is not None:
        raise NotFound("No such portal, or it is not open to you.")
    if here.portal.visibility == Visibility.INTERNAL:
        if here.access == PortalAccess.STAFF:
            return redirect(_safe_next(request, here.url("home")))
        if here.signed_in:
            raise NotFound("No such portal, or it is not open to you.")
        return redirect(_with_next(reverse("accounts:login"), _safe_next(request, here.url("home"))))
    return here


def _entry_context(request: HttpRequest, here: Here, **extra: Any) -> dict[str, Any]:
    return {**_base(request, here), "next": _safe_next(request), **extra}


def signup(request: HttpRequest, portal: str) -> HttpResponse:
    """Sign up (name, email, password); a person already signed in joins with one click instead."""
    here = _entry(request, portal)
    if isinstance(here, HttpResponse):
        return here
    if here.signed_in:
        if request.method == "POST":
            try:
                account = services.portal_join(portal=here.portal, user=here.user)
            except HeadwayError as exc:
                messages.error(request, exc.message)
                return redirect(here.url("signin"))
            if account.email_verified_at is None:
                return redirect(here.url("verify_again"))
            messages.success(request, f"Welcome to {here.portal.name}!")
            return redirect(_safe_next(request, here.url("home")))
        return redirect(_with_next(here.url("signin"), _safe_next(request)))
    form = SignupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                account = services.portal_signup(
                    portal=here.portal,
                    email=data["email"],
                    password=data["password"],
                    full_name=data["full_name"],
                    ip_address=client_ip(request),
                )
            except HeadwayError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                login(request, account.user, backend="headway.accounts.backends.EmailBackend")
                return redirect(here.url("verify_again"))
    context = _entry_context(request, here, form=form, area="signup")
    return render(request, "ideas/portal/signup.html", context, status=status)


def signin(request: HttpRequest, portal: str) -> HttpResponse:
    """Email and password, with the site's lock-out after repeated failures. A person signed in
    already sees what stands between them and taking part: joining, or confirming their email."""
    here = _entry(request, portal)
    if isinstance(here, HttpResponse):
        return here
    form = SigninForm(request.POST if request.method == "POST" and not here.signed_in else None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            email, ip = form.cleaned_data["email"], client_ip(request)
            try:
                account_services.login_check_allowed(email=email, ip_address=ip)
                user = authenticate(request, email=email, password=form.cleaned_data["password"])
                if user is None:
                    account_services.login_failure_record(email=email, ip_address=ip)
                    account_services.login_check_allowed(email=email, ip_address=ip)  # maybe the last try allowed
                    form.add_error(None, "That email and password do not match an account.")
                else:
                    account_services.login_success_record(user=user)
                    login(request, user)
                    return redirect(_safe_next(request, here.url("home")))
            except RateLimited as exc:
                form.add_error(None, exc.message)
                status = 429
    context = _entry_context(request, here, form=form, area="signin")
    return render(request, "ideas/portal/signin.html", context, status=status)


@require_POST
def signout(request: HttpRequest, portal: str) -> HttpResponse:
    here = _here(request, portal)
    logout(request)
    messages.info(request, "You are signed out.")
    if here.portal.visibility == Visibility.INTERNAL:
        return redirect("accounts:login")
    return redirect(here.url("home") if here.portal.visibility == Visibility.PUBLIC else here.url("signin"))


def verify(request: HttpRequest, portal: str, token: str) -> HttpResponse:
    """The link in the confirmation email."""
    here = _entry(request, portal)
    if isinstance(here, HttpResponse):
        return here
    try:
        account = services.portal_verify(portal=here.portal, token=token)
    except HeadwayError as exc:
        context = _entry_context(request, here, message=exc.message)
        return render(request, "ideas/portal/verify_failed.html", context, status=exc.status)
    if here.signed_in and here.user.pk == account.user_id:
        messages.success(request, "Your email address is confirmed: welcome!")
        return redirect(here.url("home"))
    messages.success(request, "Your email address is confirmed. Sign in to take part.")
    return redirect(here.url("signin"))


def verify_again(request: HttpRequest, portal: str) -> HttpResponse:
    """ "Check your email": the page after signing up, with a button to send the link again."""
    here = _entry(request, portal)
    if isinstance(here, HttpResponse):
        return here
    if here.account is None:
        return redirect(here.url("signin"))
    if here.account.email_verified_at is not None:
        return redirect(here.url("home"))
    status = 200
    if request.method == "POST":
        try:
            services.portal_verification_send(account=here.account, ip_address=client_ip(request))
            messages.success(request, f"We sent a new link to {here.user.email}.")
            return redirect(here.url("verify_again"))
        except HeadwayError as exc:
            messages.error(request, exc.message)
            status = exc.status
    return render(request, "ideas/portal/check_email.html", _entry_context(request, here), status=status)
