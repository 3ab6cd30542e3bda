"""Portals and the workspace's idea settings: statuses, categories, feature-status mapping."""

from __future__ import annotations

import pytest

from headway.backlog.models import WorkflowStatus
from headway.backlog.services import workflow_ensure_defaults
from headway.backlog.tests import factories as backlog
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.ideas import services
from headway.ideas.models import (
    DEFAULT_IDEA_STATUSES,
    FeatureStatusMapping,
    IdeaStatus,
    Portal,
    PortalInvitation,
    PortalProduct,
)
from headway.ideas.tests import factories as f


def audits(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id").values_list("changes", flat=True))


@pytest.mark.django_db
def test_a_leader_creates_a_portal_covering_products(leader, workspace):
    pay = backlog.product(leader, workspace, key="PAY")
    portal = services.portal_create(
        actor=leader,
        workspace=workspace,
        name="  Customer ideas ",
        slug="Acme-Ideas",
        intro="Tell us **anything**.",
        accent_color="#0EA5E9",
        visibility="private",
        allowed_domains="Acme.example, @partner.example\nacme.example",
        require_approval=True,
        products=[pay, pay.pk],
    )
    stored = Portal.objects.get(pk=portal.pk)
    assert (stored.name, stored.slug, stored.accent_color, stored.visibility) == (
        "Customer ideas",
        "acme-ideas",
        "#0ea5e9",
        "private",
    )
    assert stored.allowed_domains == "acme.example\npartner.example"
    assert stored.domains == ["acme.example", "partner.example"]
    assert list(PortalProduct.objects.filter(portal=portal).values_list("product_id", flat=True)) == [pay.pk]
    assert audits("portal.create") == [
        {
            "name": [None, "Customer ideas"],
            "slug": [None, "acme-ideas"],
            "intro": [None, "Tell us **anything**."],
            "accent_color": [None, "#0ea5e9"],
            "visibility": [None, "private"],
            "allowed_domains": [None, "acme.example\npartner.example"],
            "require_approval": [None, True],
            "products": [None, "Product PAY"],
        }
    ]
    # The workspace's idea statuses exist from the first portal on.
    statuses = list(IdeaStatus.objects.filter(workspace=workspace).order_by("position"))
    assert [(s.name, s.public_label, s.category, s.is_default) for s in statuses] == [
        (name, label, str(category), i == 0) for i, (name, label, category) in enumerate(DEFAULT_IDEA_STATUSES)
    ]


@pytest.mark.django_db
def test_a_taken_address_is_a_conflict(leader, workspace, outsider, other_workspace):
    f.portal(leader, workspace, slug="ideas")
    with pytest.raises(Conflict) as exc:
        services.portal_create(actor=outsider, workspace=other_workspace, name="Ideas", slug="IDEAS")
    assert (exc.value.status, exc.value.fields) == (409, {"slug": ["That address is taken. Choose another."]})
    assert Portal.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Not a slug!"}, "slug"),
        ({"slug": "-dash"}, "slug"),
        ({"accent_color": "red"}, "accent_color"),
        ({"accent_color": "#12345"}, "accent_color"),
        ({"visibility": "secret"}, "visibility"),
        ({"allowed_domains": "not a domain!"}, "allowed_domains"),
        ({"require_approval": "yes"}, "require_approval"),
        ({"name": ""}, "name"),
    ],
)
def test_portal_values_are_checked(leader, workspace, fields, field):
    values = {"name": "Ideas", "slug": "ideas", **fields}
    with pytest.raises(ValidationFailed) as exc:
        services.portal_create(actor=leader, workspace=workspace, **values)
    assert list(exc.value.fields) == [field]
    assert Portal.objects.count() == 0


@pytest.mark.django_db
def test_products_must_be_of_the_workspace(leader, workspace, outsider, other_workspace):
    foreign = backlog.product(outsider, other_workspace, key="GLX")
    with pytest.raises(ValidationFailed) as exc:
        services.portal_create(actor=leader, workspace=workspace, name="Ideas", slug="ideas", products=[foreign])
    assert exc.value.fields == {"products": ["Choose products of this workspace."]}


@pytest.mark.django_db
def test_managing_portals_needs_a_leader(pm, outsider, workspace, leader):
    with pytest.raises(PermissionDenied):
        services.portal_create(actor=pm, workspace=workspace, name="Ideas", slug="ideas")
    with pytest.raises(NotFound):
        services.portal_create(actor=outsider, workspace=workspace, name="Ideas", slug="ideas")
    portal = f.portal(leader, workspace, slug="ideas")
    with pytest.raises(PermissionDenied):
        services.portal_update(actor=pm, portal=portal, name="Mine")
    with pytest.raises(NotFound):
        services.portal_archive(actor=outsider, portal=portal)


@pytest.mark.django_db
def test_updating_a_portal_replaces_its_products_and_is_audited(leader, workspace):
    pay = backlog.product(leader, workspace, key="PAY")
    crm = backlog.product(leader, workspace, key="CRM")
    portal = f.portal(leader, workspace, slug="ideas", name="Ideas", products=[pay])
    services.portal_update(actor=leader, portal=portal, name="All ideas", products=[crm.pk], visibility="submit_only")
    assert list(PortalProduct.objects.filter(portal=portal).values_list("product_id", flat=True)) == [crm.pk]
    assert audits("portal.update") == [
        {
            "name": ["Ideas", "All ideas"],
            "visibility": ["public", "submit_only"],
            "products": ["Product PAY", "Product CRM"],
        }
    ]
    services.portal_update(actor=leader, portal=portal, name="All ideas")
    assert len(audits("portal.update")) == 1  # nothing changed, nothing recorded


@pytest.mark.django_db
def test_updating_to_a_taken_address_is_refused_and_the_object_shows_the_stored_values(leader, workspace):
    f.portal(leader, workspace, slug="taken")
    portal = f.portal(leader, workspace, slug="mine")
    with pytest.raises(Conflict):
        services.portal_update(actor=leader, portal=portal, slug="taken")
    assert portal.slug == "mine"
    with pytest.raises(ValidationFailed) as exc:
        services.portal_update(actor=leader, portal=portal, colour="#000000")
    assert list(exc.value.fields) == ["colour"]


@pytest.mark.django_db
def test_archive_and_restore(leader, workspace):
    portal = f.portal(leader, workspace, slug="ideas")
    services.portal_archive(actor=leader, portal=portal)
    assert Portal.objects.get(pk=portal.pk).archived_at is not None
    services.portal_restore(actor=leader, portal=portal)
    assert Portal.objects.get(pk=portal.pk).archived_at is None
    assert audits("portal.archive") == [{"archived": [False, True]}]
    assert audits("portal.restore") == [{"archived": [True, False]}]


@pytest.mark.django_db
def test_invitations_are_deduplicated_and_checked(leader, workspace):
    portal = f.portal(leader, workspace, slug="private", visibility="private")
    first = services.portal_invite(
        actor=leader, portal=portal, emails=["Ann@Example.com", "ann@example.com", "bo@x.io"]
    )
    assert [i.email for i in first] == ["ann@example.com", "bo@x.io"]
    assert services.portal_invite(actor=leader, portal=portal, emails=["ANN@example.com"]) == []
    with pytest.raises(ValidationFailed) as exc:
        services.portal_invite(actor=leader, portal=portal, emails=["not-an-email"])
    assert exc.value.fields == {"emails": ["“not-an-email” is not an email address."]}
    services.portal_uninvite(actor=leader, invitation=first[1])
    assert list(PortalInvitation.objects.values_list("email", flat=True)) == ["ann@example.com"]
    assert audits("portal.invite") == [{"invited": [None, "ann@example.com, bo@x.io"]}]
    assert audits("portal.uninvite") == [{"invited": ["bo@x.io", None]}]


# --- statuses and categories ------------------------------------------------------------------


@pytest.mark.django_db
def test_ensuring_statuses_creates_them_once(workspace, django_assert_num_queries):
    first = services.idea_statuses_ensure(workspace=workspace)
    with django_assert_num_queries(1):
        second = services.idea_statuses_ensure(workspace=workspace)
    assert [s.pk for s in first] == [s.pk for s in second]
    assert len(first) == 7
    assert IdeaStatus.objects.filter(workspace=workspace, is_default=True).count() == 1


@pytest.mark.django_db
def test_status_create_update_move_and_delete(leader, workspace):
    services.idea_statuses_ensure(workspace=workspace)
    beta = services.idea_status_create(actor=leader, workspace=workspace, name="In beta", category="in_progress")
    assert (beta.public_label, beta.position, beta.is_default) == ("In beta", 7, False)
    with pytest.raises(Conflict) as exc:
        services.idea_status_create(actor=leader, workspace=workspace, name="in BETA", category="planned")
    assert exc.value.fields == {"name": ["There is already an idea status named “In beta”."]}
    services.idea_status_update(actor=leader, status=beta, public_label="Try it now", is_default=True)
    assert IdeaStatus.objects.get(is_default=True, workspace=workspace).pk == beta.pk
    services.idea_status_move(actor=leader, status=beta, position=0)
    names = list(IdeaStatus.objects.filter(workspace=workspace).order_by("position").values_list("name", flat=True))
    assert names[:2] == ["In beta", "New"]
    with pytest.raises(Conflict, match="is the default status"):
        services.idea_status_delete(actor=leader, status=beta)
    new = IdeaStatus.objects.get(workspace=workspace, name="New")
    services.idea_status_update(actor=leader, status=new, is_default=True)
    f.idea(leader, f.portal(leader, workspace, slug="p"), "Uses the new default")
    services.idea_status_update(actor=leader, status=beta, is_default=True)
    with pytest.raises(Conflict, match="1 idea is in “New”"):
        services.idea_status_delete(actor=leader, status=new)
    services.idea_status_delete(actor=leader, status=IdeaStatus.objects.get(workspace=workspace, name="Under review"))
    statuses = IdeaStatus.objects.filter(workspace=workspace).order_by("position")
    positions = list(statuses.values_list("position", flat=True))
    assert positions == list(range(7))


@pytest.mark.django_db
def test_status_category_must_be_known(leader, workspace):
    with pytest.raises(ValidationFailed) as exc:
        services.idea_status_create(actor=leader, workspace=workspace, name="Later", category="someday")
    assert list(exc.value.fields) == ["category"]


@pytest.mark.django_db
def test_categories_are_unique_per_workspace_ignoring_case(leader, workspace, pm):
    reporting = services.idea_category_create(actor=leader, workspace=workspace, name="Reporting")
    with pytest.raises(Conflict):
        services.idea_category_create(actor=leader, workspace=workspace, name="reporting")
    services.idea_category_update(actor=leader, category=reporting, name="Reports")
    with pytest.raises(PermissionDenied):
        services.idea_category_delete(actor=pm, category=reporting)
    services.idea_category_delete(actor=leader, category=reporting)
    assert audits("idea_category.update") == [{"name": ["Reporting", "Reports"]}]
    assert audits("idea_category.delete") == [{"name": ["Reports", None]}]


@pytest.mark.django_db
def test_feature_status_mapping_sets_changes_and_clears(leader, workspace, outsider, other_workspace):
    workflow = workflow_ensure_defaults(actor=leader, workspace=workspace)
    statuses = {s.category: s for s in services.idea_statuses_ensure(workspace=workspace)}
    active = workflow[1]
    services.feature_status_mapping_set(actor=leader, workspace=workspace, mapping={active.pk: statuses["planned"].pk})
    services.feature_status_mapping_set(
        actor=leader, workspace=workspace, mapping={str(active.pk): statuses["in_progress"].pk}
    )
    assert list(FeatureStatusMapping.objects.values_list("feature_status_id", "idea_status_id")) == [
        (active.pk, statuses["in_progress"].pk)
    ]
    services.feature_status_mapping_set(actor=leader, workspace=workspace, mapping={active.pk: None})
    assert FeatureStatusMapping.objects.count() == 0
    foreign = workflow_ensure_defaults(actor=outsider, workspace=other_workspace)[0]
    with pytest.raises(NotFound):
        services.feature_status_mapping_set(actor=leader, workspace=workspace, mapping={foreign.pk: None})
    assert WorkflowStatus.objects.filter(pk=foreign.pk).exists()
    assert [next(iter(c.values())) for c in audits("feature_status_mapping.update")] == [
        [None, "Planned"],
        ["Planned", "In progress"],
        ["In progress", None],
    ]
