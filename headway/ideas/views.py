"""The team's side of the ideas portal, under /w/<ws>/ideas/.

Views parse input, call one selector or service, and render; the rules live in the services.
Every change works as a plain POST form (redirect back with a message); the sections of an idea's
page that change often (comments, votes, the merge search) also answer htmx with the fresh section.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from headway.backlog import selectors as backlog_selectors
from headway.backlog import services as backlog_services
from headway.backlog.models import WorkflowStatus
from headway.core import permissions
from headway.core.errors import HeadwayError, NotFound, ValidationFailed
from headway.core.htmx import render_page
from headway.core.permissions import Action
from headway.customers.models import Company, Contact
from headway.ideas import exporting, notify, services
from headway.ideas import selectors as idea_selectors
from headway.ideas.forms import (
    CategoryForm,
    CommentForm,
    DemandForm,
    EditForm,
    IdeaStatusForm,
    InviteForm,
    LinkFeatureForm,
    LinkIdeaForm,
    MergeForm,
    PortalForm,
    PromoteForm,
    ProxyVoteForm,
    StatusForm,
    SubmitForm,
)
from headway.ideas.models import (
    Approval,
    FeatureStatusMapping,
    Idea,
    IdeaCategory,
    IdeaStatus,
    Portal,
    PortalInvitation,
    StatusCategory,
)
from headway.ideas.selectors import staff
from headway.ideas.selectors.staff import MERGED_CHOICES, IdeaFilters
from headway.ideas.services import features as idea_features
from headway.ideas.services import merges
from headway.insights.selectors.evidence import idea_evidence
from headway.workspaces.selectors import audit_for_object

PAGE_SIZE = 50
HISTORY_LIMIT = 50
COMPANY_CHOICES_LIMIT = 500


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return reverse(name, kwargs={"ws": request.workspace.slug, **kwargs})


def _scripted(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _errors(form: Any) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def _query(filters: IdeaFilters, **extra: Any) -> str:
    params = {**filters.as_params(), **{k: v for k, v in extra.items() if v not in (None, "")}}
    return f"?{urlencode(params)}" if params else ""


def _idea(request: HttpRequest, pk: int) -> Idea:
    return staff.staff_idea_get(user=request.user, workspace=request.workspace, idea_id=pk)


def _portal_url(portal: Portal, idea: Idea | None = None) -> str:
    """The portal's own address (the portal app may not be mounted in every setup)."""
    try:
        if idea is not None:
            return reverse("portal:idea", kwargs={"portal": portal.slug, "pk": idea.pk})
        return reverse("portal:home", kwargs={"portal": portal.slug})
    except NoReverseMatch:
        return f"/p/{portal.slug}/" + (f"{idea.pk}/" if idea is not None else "")


def _company(request: HttpRequest, name: str, field: str = "company") -> Company | None:
    name = name.strip()
    if not name:
        return None
    company = Company.objects.filter(workspace=request.workspace, name__iexact=name).first()
    if company is None:
        message = f"No company named “{name}” in your customer list."
        raise ValidationFailed.on(field, message)
    return company


def _contact(request: HttpRequest, email: str, field: str = "contact") -> Contact | None:
    email = email.strip()
    if not email:
        return None
    contact = Contact.objects.filter(workspace=request.workspace, email__iexact=email).select_related("company").first()
    if contact is None:
        message = f"No contact with the address {email} in your customer list."
        raise ValidationFailed.on(field, message)
    return contact


def _company_names(request: HttpRequest) -> list[str]:
    """Names offered while typing a company (a datalist: any name of the customer list is accepted)."""
    qs = Company.objects.filter(workspace=request.workspace, archived_at__isnull=True).order_by("name")
    return list(qs.values_list("name", flat=True)[:COMPANY_CHOICES_LIMIT])


def _products(request: HttpRequest) -> list[Any]:
    return backlog_selectors.product_choices(actor=request.user, workspace=request.workspace)


def _statuses(request: HttpRequest) -> list[IdeaStatus]:
    return list(services.idea_statuses_ensure(workspace=request.workspace))


def _categories(request: HttpRequest) -> list[IdeaCategory]:
    return staff.category_choices(user=request.user, workspace=request.workspace)


def _pending_count(request: HttpRequest) -> int:
    return Idea.objects.filter(
        workspace=request.workspace, approval=Approval.PENDING, deleted_at__isnull=True, merged_into__isnull=True
    ).count()


def _area(request: HttpRequest, tab: str) -> dict[str, Any]:
    """What the ideas tabs need on every page."""
    return {"area": "ideas", "tab": tab, "pending_count": _pending_count(request)}


# --- the list ------------------------------------------------------------------------------------


@login_required
def idea_list(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.IDEA_VIEW, workspace)
    filters = IdeaFilters.from_params(request.GET)
    ideas = staff.staff_idea_list(user=user, workspace=workspace, filters=filters)
    page = Paginator(ideas, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **_area(request, "list"),
        "filters": filters,
        "page": page,
        "portals": staff.portal_choices(user=user, workspace=workspace, include_archived=True),
        "statuses": _statuses(request),
        "categories": _categories(request),
        "products": _products(request),
        "approvals": Approval.choices,
        "merged_choices": MERGED_CHOICES.items(),
        "sorts": [
            ("votes", "Most votes"),
            ("demand", "Highest demand"),
            ("trending", "Trending"),
            ("newest", "Newest"),
        ],
        "query": _query(filters),
        "can_manage": permissions.can(user, Action.IDEA_MANAGE, workspace),
    }
    return render_page(request, "ideas/list.html", context, fragment="ideas")


def _ids(values: list[str]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values if v.isdigit() and len(v) < 12))


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Merge the ticked ideas into one of them, or move them all to one status."""
    user, workspace = request.user, request.workspace
    back = _url(request, "ideas:list") + _query(IdeaFilters.from_params(QueryDict(request.POST.get("query", ""))))
    ids = _ids(request.POST.getlist("ideas"))
    action = request.POST.get("action", "")
    try:
        permissions.require(user, Action.IDEA_MANAGE, workspace)
        if not ids:
            raise ValidationFailed("Tick the ideas first.")
        qs = staff.staff_idea_list(user=user, workspace=workspace, filters=IdeaFilters(merged="all"))
        chosen = {idea.pk: idea for idea in qs.filter(pk__in=ids)}
        if action == "merge":
            target_id = _ids([request.POST.get("target", "")])
            if not target_id:
                raise ValidationFailed("Choose the idea to merge the others into.")
            target = chosen.get(target_id[0]) or _idea(request, target_id[0])
            sources = [chosen[i] for i in ids if i in chosen and i != target.pk]
            if not sources:
                raise ValidationFailed("Tick at least one idea besides the one to merge into.")
            count = len(merges.ideas_merge_bulk(actor=user, sources=sources, target=target))
            messages.success(
                request, f"Merged {count} idea{'s' if count != 1 else ''} into #{target.pk} “{target.title}”."
            )
        elif action == "status":
            status_id = _ids([request.POST.get("status", "")])
            status = IdeaStatus.objects.filter(workspace=workspace, pk=status_id[0] if status_id else 0).first()
            if status is None:
                raise ValidationFailed("Choose the new status.")
            message = request.POST.get("message", "").strip()[:5000]
            done, failed = 0, []
            for idea_id in ids:
                idea = chosen.get(idea_id)
                if idea is None:
                    continue
                try:
                    services.idea_status_change(actor=user, idea=idea, status=status, message=message)
                    done += 1
                except HeadwayError as exc:
                    failed.append(f"#{idea.pk}: {exc.message_without_field}")
            if done:
                messages.success(request, f"{done} idea{'s are' if done != 1 else ' is'} now “{status.name}”.")
            for line in failed:
                messages.error(request, line)
        else:
            raise ValidationFailed("Choose what to do with the ticked ideas.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(back)


@login_required
def export(request: HttpRequest) -> StreamingHttpResponse:
    """The list as filtered and sorted on screen, every page of it. No comments at all."""
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.IDEA_VIEW, workspace)
    ideas = staff.staff_idea_list(user=user, workspace=workspace, filters=IdeaFilters.from_params(request.GET))
    response = StreamingHttpResponse(
        exporting.stream_csv(exporting.IDEA_HEADER, exporting.idea_rows(ideas)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{workspace.slug}-ideas-{stamp}.csv"'
    return response


# --- submit on behalf, moderation ----------------------------------------------------------------


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.IDEA_SUBMIT, workspace)
    portals = staff.portal_choices(user=user, workspace=workspace)
    if not portals:
        messages.info(request, "There is no portal yet: a leader sets one up under Ideas settings.")
        return redirect(_url(request, "ideas:list"))
    portal_param = request.GET.get("portal", "")
    form = SubmitForm(
        request.POST if request.method == "POST" else None,
        portals=portals,
        products=_products(request),
        categories=_categories(request),
        initial={"portal": portal_param if portal_param.isdigit() else portals[0].pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            portal = next((p for p in portals if p.pk == data["portal"]), None)
            if portal is None:
                raise NotFound("No such portal in this workspace.")
            contact = _contact(request, data["contact"])
            company = _company(request, data["company"]) or (contact.company if contact else None)
            idea = services.idea_create(
                actor=user,
                portal=portal,
                title=data["title"],
                description=data["description"],
                product=_product(request, data["product"]),
                category=_category(request, data["category"]),
                on_behalf_contact=contact,
                on_behalf_company=company,
                audience=data["audience"],
                importance=data["importance"],
            )
            who = f" for {company.name}" if company else (f" for {contact.name}" if contact else "")
            messages.success(request, f"Idea #{idea.pk} “{idea.title}” filed{who}.")
            return redirect(_url(request, "ideas:idea", pk=idea.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {**_area(request, "submit"), "form": form, "company_names": _company_names(request)}
    return render_page(request, "ideas/submit.html", context, status=422 if form.errors else 200)


def _product(request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return None
    product = next((p for p in _products(request) if p.pk == pk), None)
    if product is None:
        raise ValidationFailed("product: Choose from the list.", fields={"product": ["Choose from the list."]})
    return product


def _category(request: HttpRequest, pk: int | None) -> IdeaCategory | None:
    if pk is None:
        return None
    return permissions.get_or_404(IdeaCategory.objects.filter(workspace=request.workspace), pk=pk)


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.IDEA_VIEW, workspace)
    queue = idea_selectors.moderation_queue(user=user, workspace=workspace)
    context = {
        **_area(request, "moderation"),
        "ideas": queue,
        "can_manage": permissions.can(user, Action.IDEA_MANAGE, workspace),
    }
    return render_page(request, "ideas/moderation.html", context)


# --- one idea ------------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, idea: Idea, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, request.workspace
    can_manage = permissions.can(user, Action.IDEA_MANAGE, workspace)
    statuses = _statuses(request)
    products = _products(request)
    context = {
        **_area(request, "list"),
        "idea": idea,
        "portal_url": _portal_url(idea.portal, idea),
        "can_manage": can_manage,
        "can_submit": permissions.can(user, Action.IDEA_SUBMIT, workspace),
        "can_comment": permissions.can(user, Action.COMMENT_ADD, workspace),
        "comments": idea_selectors.idea_comments(user=user, idea=idea),
        "votes": staff.idea_votes(idea),
        "told": notify.notifications_for_idea(user=user, idea=idea),
        "merged_ideas": list(idea.merged_ideas.filter(deleted_at__isnull=True).order_by("-vote_count", "-id")),
        "history": audit_for_object(actor=user, workspace=workspace, target=idea)[:HISTORY_LIMIT],
        "idea_evidence": idea_evidence(user=user, idea=idea),
        "company_names": _company_names(request),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "status_form": StatusForm(statuses=statuses, initial={"status": idea.status_id}),
        "vote_form": extra.pop("vote_form", None) or ProxyVoteForm(),
        "promote_form": PromoteForm(products=products, initial={"product": idea.product_id, "title": idea.title}),
        "link_form": LinkFeatureForm(),
        "merge_candidates": extra.pop("merge_candidates", None),
        "merge_q": extra.pop("merge_q", ""),
        **extra,
    }
    return context


@login_required
def idea_detail(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    return render_page(request, "ideas/idea.html", _detail_context(request, idea))


def _section(request: HttpRequest, idea: Idea, fragment: str, **extra: Any) -> HttpResponse:
    """After a change on the idea's page: the fresh section for htmx, else back to the page."""
    if _scripted(request):
        idea = _idea(request, idea.pk)  # counts and status changed under us
        return render_page(request, "ideas/idea.html", _detail_context(request, idea, **extra), fragment=fragment)
    for form in [f for f in extra.values() if getattr(f, "errors", None)]:
        messages.error(request, _errors(form))
    return redirect(_url(request, "ideas:idea", pk=idea.pk) + f"#{fragment}")


def _back(request: HttpRequest, idea: Idea) -> HttpResponse:
    if request.POST.get("next") == "moderation":
        return redirect(_url(request, "ideas:moderation"))
    if request.POST.get("next") == "feature" and idea.feature_id:
        return redirect(_url(request, "backlog:feature", pk=idea.feature_id) + "#ideas")
    return redirect(_url(request, "ideas:idea", pk=idea.pk))


@login_required
def idea_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace
    idea = _idea(request, pk)
    permissions.require(user, Action.IDEA_MANAGE, workspace)
    initial = {
        "title": idea.title,
        "description": idea.description,
        "product": idea.product_id,
        "category": idea.category_id,
        "audience": idea.audience,
    }
    form = EditForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        products=_products(request),
        categories=_categories(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.idea_update(
                actor=user,
                idea=idea,
                title=data["title"],
                description=data["description"],
                product=_product(request, data["product"]),
                category=_category(request, data["category"]),
                audience=data["audience"],
            )
            messages.success(request, f"Idea #{idea.pk} saved.")
            return redirect(_url(request, "ideas:idea", pk=idea.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {**_area(request, "list"), "idea": idea, "form": form}
    return render_page(request, "ideas/edit.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                actor=request.user, idea=idea, body=form.cleaned_data["body"], internal=form.cleaned_data["internal"]
            )
            form = CommentForm()
        except HeadwayError as exc:
            form.add_service_error(exc)
    return _section(request, idea, "comments", comment_form=form)


@login_required
@require_POST
def status_change(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    form = StatusForm(request.POST, statuses=_statuses(request))
    if form.is_valid():
        status = IdeaStatus.objects.get(workspace=request.workspace, pk=form.cleaned_data["status"])
        try:
            services.idea_status_change(
                actor=request.user, idea=idea, status=status, message=form.cleaned_data["message"]
            )
            told = " and told the people who follow it" if form.cleaned_data["message"] else ""
            messages.success(request, f"#{idea.pk} is now “{status.name}”{told}.")
        except HeadwayError as exc:
            messages.error(request, exc.message_without_field)
    else:
        messages.error(request, _errors(form))
    return _back(request, idea)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    try:
        services.idea_approve(actor=request.user, idea=idea)
        messages.success(request, f"#{idea.pk} “{idea.title}” approved: it shows in its portal now.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _back(request, idea)


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    try:
        services.idea_reject(actor=request.user, idea=idea)
        messages.success(request, f"#{idea.pk} “{idea.title}” rejected: only its author sees it.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _back(request, idea)


@login_required
@require_POST
def vote_proxy(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    form = ProxyVoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            contact = _contact(request, data["contact"])
            company = _company(request, data["company"])
            services.vote_proxy(
                actor=request.user, idea=idea, company=company, contact=contact, importance=data["importance"]
            )
            form = ProxyVoteForm()
            if not _scripted(request):
                messages.success(request, f"Vote recorded for {company.name if company else ''}.")
        except HeadwayError as exc:
            form.add_service_error(exc)
    return _section(request, idea, "votes", vote_form=form)


@login_required
@require_POST
def vote_proxy_retract(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    company_id = _ids([request.POST.get("company", "")])
    try:
        company = permissions.get_or_404(
            Company.objects.filter(workspace=request.workspace), pk=company_id[0] if company_id else 0
        )
        services.vote_proxy_retract(actor=request.user, idea=idea, company=company)
        if not _scripted(request):
            messages.success(request, f"The vote for {company.name} was removed.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _section(request, idea, "votes")


@login_required
def merge_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Ideas to merge this one into, by title or number (the picker on the idea's page)."""
    idea = _idea(request, pk)
    q = request.GET.get("q", "").strip()[:200]
    candidates = staff.merge_candidates(user=request.user, workspace=request.workspace, idea=idea, q=q)
    context = _detail_context(request, idea, merge_candidates=candidates, merge_q=q)
    return render_page(request, "ideas/idea.html", context, fragment="merge-results")


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_url(request, "ideas:idea", pk=idea.pk) + "#merge")
    try:
        target = _idea(request, form.cleaned_data["target"])
        merges.idea_merge(actor=request.user, source=idea, target=target)
        messages.success(
            request, f"#{idea.pk} merged into #{target.pk} “{target.title}”: its votes and followers moved."
        )
        return redirect(_url(request, "ideas:idea", pk=target.pk))
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:idea", pk=idea.pk))


@login_required
@require_POST
def unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    try:
        merges.idea_unmerge(actor=request.user, idea=idea)
        messages.success(request, f"#{idea.pk} is back on its own, with its votes and followers.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:idea", pk=idea.pk))


@login_required
@require_POST
def promote(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    form = PromoteForm(request.POST, products=_products(request))
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_url(request, "ideas:idea", pk=idea.pk) + "#backlog")
    try:
        feature = idea_features.idea_promote(
            actor=request.user,
            idea=idea,
            product=_product(request, form.cleaned_data["product"]),
            title=form.cleaned_data["title"] or None,
        )
        messages.success(request, f"{feature.ref} “{feature.title}” added to the backlog, linked to this idea.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:idea", pk=idea.pk))


@login_required
@require_POST
def link_feature(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    form = LinkFeatureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_url(request, "ideas:idea", pk=idea.pk) + "#backlog")
    try:
        feature = backlog_selectors.feature_by_ref(
            actor=request.user, workspace=request.workspace, ref=form.cleaned_data["ref"]
        )
        idea_features.idea_link_feature(actor=request.user, idea=idea, feature=feature)
        messages.success(request, f"Linked to {feature.ref} “{feature.title}”.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:idea", pk=idea.pk))


@login_required
@require_POST
def unlink_feature(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request, pk)
    feature_id = idea.feature_id
    try:
        idea_features.idea_unlink_feature(actor=request.user, idea=idea)
        messages.success(request, f"#{idea.pk} is no longer linked to a feature.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    if request.POST.get("next") == "feature" and feature_id:
        return redirect(_url(request, "backlog:feature", pk=feature_id) + "#ideas")
    return redirect(_url(request, "ideas:idea", pk=idea.pk))


@login_required
@require_POST
def feature_link_idea(request: HttpRequest, pk: int) -> HttpResponse:
    """From a feature's page: link an idea (by its number) to the feature."""
    feature = backlog_selectors.feature_get(actor=request.user, workspace=request.workspace, feature_id=pk)
    form = LinkIdeaForm(request.POST)
    if form.is_valid():
        try:
            idea = _idea(request, form.cleaned_data["idea"])
            idea_features.idea_link_feature(actor=request.user, idea=idea, feature=feature)
            messages.success(request, f"Idea #{idea.pk} “{idea.title}” linked to {feature.ref}.")
        except HeadwayError as exc:
            messages.error(request, exc.message_without_field)
    else:
        messages.error(request, _errors(form))
    return redirect(_url(request, "backlog:feature", pk=feature.pk) + "#ideas")


# --- settings: portals ---------------------------------------------------------------------------


def _settings(request: HttpRequest, tab: str) -> dict[str, Any]:
    permissions.require(request.user, Action.PORTAL_MANAGE, request.workspace)
    return {**_area(request, "settings"), "settings_tab": tab}


def _portal(request: HttpRequest, pk: int) -> Portal:
    qs = permissions.scope(Portal.objects.all(), request.user, request.workspace, Action.IDEA_VIEW)
    portal: Portal = permissions.get_or_404(qs, pk=pk)
    return portal


@login_required
def settings_portals(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    context = _settings(request, "portals")
    portals = staff.portal_choices(user=user, workspace=workspace, include_archived=True)
    from django.db.models import Count, Q

    counts = dict(
        Idea.objects.filter(workspace=workspace, deleted_at__isnull=True, merged_into__isnull=True)
        .order_by()
        .values_list("portal_id")
        .annotate(n=Count("id"))
        .values_list("portal_id", "n")
    )
    products: dict[int, list[str]] = {}
    for portal_id, key in (
        Portal.objects.filter(workspace=workspace)
        .filter(~Q(portal_products=None))
        .values_list("pk", "portal_products__product__key")
        .order_by("pk", "portal_products__product__key")
    ):
        products.setdefault(portal_id, []).append(key)
    for portal in portals:
        portal.idea_total = counts.get(portal.pk, 0)  # type: ignore[attr-defined]
        portal.product_keys = products.get(portal.pk, [])  # type: ignore[attr-defined]
        portal.url = _portal_url(portal)  # type: ignore[attr-defined]
        portal.visibility_short = portal.get_visibility_display().split(":")[0]  # type: ignore[attr-defined]
    return render_page(request, "ideas/settings_portals.html", {**context, "portals": portals})


def _portal_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    wanted = set(fields.pop("products"))
    fields["products"] = [p for p in _products(request) if p.pk in wanted]
    return fields


@login_required
def portal_create(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    context = _settings(request, "portals")
    form = PortalForm(request.POST if request.method == "POST" else None, products=_products(request))
    if request.method == "POST" and form.is_valid():
        try:
            portal = services.portal_create(
                actor=user, workspace=workspace, **_portal_fields(request, form.cleaned_data)
            )
            messages.success(request, f"Portal “{portal.name}” created. It opens at /p/{portal.slug}/.")
            return redirect(_url(request, "ideas:portal_edit", pk=portal.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context |= {"form": form, "title": "New portal", "submit": "Create portal"}
    return render_page(request, "ideas/portal_form.html", context, status=422 if form.errors else 200)


@login_required
def portal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    context = _settings(request, "portals")
    portal = _portal(request, pk)
    initial = {
        "name": portal.name,
        "slug": portal.slug,
        "intro": portal.intro,
        "accent_color": portal.accent_color,
        "visibility": portal.visibility,
        "allowed_domains": portal.allowed_domains,
        "require_approval": portal.require_approval,
        "products": list(portal.portal_products.values_list("product_id", flat=True)),
    }
    form = PortalForm(request.POST if request.method == "POST" else None, initial=initial, products=_products(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_update(actor=user, portal=portal, **_portal_fields(request, form.cleaned_data))
            messages.success(request, f"Portal “{portal.name}” saved.")
            return redirect(_url(request, "ideas:portal_edit", pk=portal.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context |= {
        "form": form,
        "portal": portal,
        "portal_url": _portal_url(portal),
        "title": f"Portal “{portal.name}”",
        "submit": "Save portal",
        "invitations": list(PortalInvitation.objects.filter(portal=portal).select_related("invited_by")),
        "invite_form": InviteForm(),
    }
    return render_page(request, "ideas/portal_form.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def portal_invite(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request, pk)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            made = services.portal_invite(actor=request.user, portal=portal, emails=form.cleaned_data["emails"])
            messages.success(request, f"{len(made)} address{'es' if len(made) != 1 else ''} invited.")
        except HeadwayError as exc:
            messages.error(request, exc.message_without_field)
    else:
        messages.error(request, _errors(form))
    return redirect(_url(request, "ideas:portal_edit", pk=portal.pk) + "#invitations")


@login_required
@require_POST
def portal_uninvite(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = permissions.get_or_404(
        permissions.scope(PortalInvitation.objects.all(), request.user, request.workspace, Action.IDEA_VIEW), pk=pk
    )
    try:
        services.portal_uninvite(actor=request.user, invitation=invitation)
        messages.success(request, f"The invitation of {invitation.email} was withdrawn.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:portal_edit", pk=invitation.portal_id) + "#invitations")


@login_required
@require_POST
def portal_archive(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request, pk)
    try:
        services.portal_archive(actor=request.user, portal=portal)
        messages.success(request, f"Portal “{portal.name}” archived: it is closed to visitors; its ideas stay here.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:portal_edit", pk=portal.pk))


@login_required
@require_POST
def portal_restore(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request, pk)
    try:
        services.portal_restore(actor=request.user, portal=portal)
        messages.success(request, f"Portal “{portal.name}” is open again.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:portal_edit", pk=portal.pk))


# --- settings: statuses and categories -----------------------------------------------------------


def _status(request: HttpRequest, pk: int) -> IdeaStatus:
    status: IdeaStatus = permissions.get_or_404(IdeaStatus.objects.filter(workspace=request.workspace), pk=pk)
    return status


@login_required
def settings_statuses(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    context = _settings(request, "statuses")
    form = IdeaStatusForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            status = services.idea_status_create(actor=user, workspace=workspace, **form.cleaned_data)
            messages.success(request, f"Status “{status.name}” added at the end.")
            return redirect(_url(request, "ideas:settings_statuses"))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context |= {
        "form": form,
        "statuses": _statuses(request),
        "usage": staff.status_usage(user=user, workspace=workspace),
        "status_categories": StatusCategory.choices,
        "categories": _categories(request),
        "category_form": CategoryForm(),
    }
    return render_page(request, "ideas/settings_statuses.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def status_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a status, its public label and category, or make it the default (``default``)."""
    _settings(request, "statuses")
    status = _status(request, pk)
    try:
        if "default" in request.POST:
            services.idea_status_update(actor=request.user, status=status, is_default=True)
            messages.success(request, f"New ideas now start in “{status.name}”.")
        else:
            form = IdeaStatusForm(request.POST)
            if not form.is_valid():
                raise ValidationFailed(_errors(form))
            services.idea_status_update(actor=request.user, status=status, **form.cleaned_data)
            messages.success(request, f"Status “{form.cleaned_data['name']}” saved.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:settings_statuses") + f"#status-{status.pk}")


@login_required
@require_POST
def status_move(request: HttpRequest, pk: int) -> HttpResponse:
    _settings(request, "statuses")
    status = _status(request, pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.idea_status_move(actor=request.user, status=status, position=max(0, status.position + step))
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:settings_statuses") + f"#status-{status.pk}")


@login_required
@require_POST
def status_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _settings(request, "statuses")
    status = _status(request, pk)
    try:
        services.idea_status_delete(actor=request.user, status=status)
        messages.success(request, f"Status “{status.name}” deleted.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:settings_statuses"))


@login_required
@require_POST
def category_create(request: HttpRequest) -> HttpResponse:
    _settings(request, "statuses")
    form = CategoryForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(_errors(form))
        category = services.idea_category_create(
            actor=request.user, workspace=request.workspace, name=form.cleaned_data["name"]
        )
        messages.success(request, f"Category “{category.name}” added.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:settings_statuses") + "#categories")


def _idea_category(request: HttpRequest, pk: int) -> IdeaCategory:
    category: IdeaCategory = permissions.get_or_404(IdeaCategory.objects.filter(workspace=request.workspace), pk=pk)
    return category


@login_required
@require_POST
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _settings(request, "statuses")
    category = _idea_category(request, pk)
    form = CategoryForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(_errors(form))
        services.idea_category_update(actor=request.user, category=category, name=form.cleaned_data["name"])
        messages.success(request, f"Category “{form.cleaned_data['name']}” saved.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:settings_statuses") + "#categories")


@login_required
@require_POST
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _settings(request, "statuses")
    category = _idea_category(request, pk)
    try:
        services.idea_category_delete(actor=request.user, category=category)
        messages.success(request, f"Category “{category.name}” deleted; its ideas have no category now.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:settings_statuses") + "#categories")


# --- settings: demand and the feature-status mapping ---------------------------------------------


def _demand_form(settings_row: Any, data: Any = None) -> DemandForm:
    initial = {name: getattr(settings_row, name) for name in DemandForm.base_fields}
    return DemandForm(data, initial=initial)


@login_required
def settings_demand(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    context = _settings(request, "demand")
    settings_row = services.demand_settings_get(workspace=workspace)
    form = _demand_form(settings_row, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.demand_settings_update(actor=user, workspace=workspace, **form.cleaned_data)
            messages.success(request, "Demand weights saved; every idea's demand was recomputed.")
            return redirect(_url(request, "ideas:settings_demand"))
        except HeadwayError as exc:
            form.add_service_error(exc)
    workflow = list(backlog_services.workflow_ensure_defaults(actor=user, workspace=workspace))
    mapping = dict(
        FeatureStatusMapping.objects.filter(workspace=workspace).values_list("feature_status_id", "idea_status_id")
    )
    for status in workflow:
        status.idea_status_id = mapping.get(status.pk)  # type: ignore[attr-defined]
    context |= {"form": form, "workflow": workflow, "statuses": _statuses(request)}
    return render_page(request, "ideas/settings_demand.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def mapping_save(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    _settings(request, "demand")
    workflow_ids = set(WorkflowStatus.objects.filter(workspace=workspace).values_list("pk", flat=True))
    mapping: dict[int, int | None] = {}
    for status_id in workflow_ids:
        value = request.POST.get(f"map-{status_id}", "")
        mapping[status_id] = int(value) if value.isdigit() and len(value) < 12 else None
    try:
        services.feature_status_mapping_set(actor=user, workspace=workspace, mapping=mapping)
        messages.success(request, "Saved: linked ideas follow their feature's status as mapped.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "ideas:settings_demand") + "#mapping")
