"""Merging duplicate ideas: votes and followers move (higher importance wins), and an unmerge
puts the source back exactly, row for row."""

import datetime as dt
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from headway.accounts.tests.factories import UserFactory
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.models import Tier
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas.models import Idea, IdeaEvent, Importance, Merge, Portal, StatusCategory, Subscription, Vote
from headway.ideas.services.merges import idea_merge, idea_unmerge, ideas_merge_bulk
from headway.ideas.services.portals import idea_statuses_ensure
from headway.ideas.services.votes import idea_recount

pytestmark = pytest.mark.django_db

NICE, IMPORTANT, CRITICAL = Importance.NICE_TO_HAVE, Importance.IMPORTANT, Importance.CRITICAL
T0 = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def portal(workspace):
    idea_statuses_ensure(workspace=workspace)
    return Portal.objects.create(workspace=workspace, name="Feedback", slug="acme-feedback")


def make_idea(portal, title, **fields):
    statuses = idea_statuses_ensure(workspace=portal.workspace)
    return Idea.objects.create(workspace=portal.workspace, portal=portal, title=title, status=statuses[0], **fields)


def vote(idea, importance, *, voter=None, company=None, proxy_by=None, contact=None, minutes=0):
    v = Vote.objects.create(
        workspace=idea.workspace,
        idea=idea,
        voter=voter,
        company=company,
        contact=contact,
        importance=importance,
        proxy_by=proxy_by,
    )
    # Distinct, old timestamps: an unmerge must bring these back, not "now".
    at = T0 + dt.timedelta(minutes=minutes)
    Vote.objects.filter(pk=v.pk).update(created_at=at, updated_at=at + dt.timedelta(seconds=7))
    return v


def follow(idea, *, user=None, contact=None, reason="voted", unsubscribed=False, minutes=0):
    at = T0 + dt.timedelta(minutes=minutes)
    s = Subscription.objects.create(
        workspace=idea.workspace,
        idea=idea,
        user=user,
        contact=contact,
        reason=reason,
        unsubscribed_at=at + dt.timedelta(days=1) if unsubscribed else None,
    )
    Subscription.objects.filter(pk=s.pk).update(created_at=at, updated_at=at + dt.timedelta(seconds=3))
    return s


def rows(model, **lookup):
    return sorted(
        (
            model_to_dict(o, fields=[f.name for f in model._meta.concrete_fields])
            | {"created_at": o.created_at, "updated_at": o.updated_at}
            for o in model.objects.filter(**lookup)
        ),
        key=lambda r: r["id"],
    )


def idea_row(idea):
    fresh = Idea.objects.get(pk=idea.pk)
    return model_to_dict(fresh, fields=[f.name for f in Idea._meta.concrete_fields]) | {
        "created_at": fresh.created_at,
        "updated_at": fresh.updated_at,
    }


def state(*ideas):
    ids = [i.pk for i in ideas]
    return {
        "ideas": [idea_row(i) for i in ideas],
        "votes": rows(Vote, idea_id__in=ids),
        "subscriptions": rows(Subscription, idea_id__in=ids),
    }


@pytest.fixture
def world(workspace, portal, pm):
    """A (the duplicate) and B (the idea to keep), with overlapping voters and followers.

    Demand weights are the defaults: nice 1, important 2, critical 4 × company tier strategic 3,
    key 2, standard 1, no company 1.
    """
    strategic = CompanyFactory(workspace=workspace, tier=Tier.STRATEGIC)
    key = CompanyFactory(workspace=workspace, tier=Tier.KEY)
    standard = CompanyFactory(workspace=workspace, tier=Tier.STANDARD)
    contact = ContactFactory(company=standard)
    u1, u2, u3, u4, u5 = (UserFactory() for _ in range(5))
    a = make_idea(portal, "Export to CSV", submitter=u3)
    b = make_idea(portal, "CSV export of reports")
    Idea.objects.filter(pk=a.pk).update(created_at=T0, updated_at=T0 + dt.timedelta(hours=2))
    # A: 5 votes, demand 12 + 1 + 4 + 4 + 8 = 29.
    a_votes = {
        "u1": vote(a, CRITICAL, voter=u1, company=strategic, minutes=1),  # B has u1 nice: B's is raised
        "u2": vote(a, NICE, voter=u2, minutes=2),  # B has u2 important: B's stays important
        "u3": vote(a, IMPORTANT, voter=u3, company=key, minutes=3),  # moves
        "std": vote(a, CRITICAL, company=standard, proxy_by=pm, contact=contact, minutes=4),  # moves
        "key": vote(a, CRITICAL, company=key, proxy_by=pm, minutes=5),  # B has a nice proxy: raised
    }
    # B: 4 votes, demand 3 + 2 + 2 + 2 = 9.
    b_votes = {
        "u1": vote(b, NICE, voter=u1, company=strategic, minutes=11),
        "u2": vote(b, IMPORTANT, voter=u2, minutes=12),
        "u4": vote(b, IMPORTANT, voter=u4, company=standard, minutes=13),
        "key": vote(b, NICE, company=key, proxy_by=pm, minutes=14),
    }
    a_subs = {
        "u1": follow(a, user=u1, minutes=1),  # B has u1 too: removed
        "u2": follow(a, user=u2, minutes=2),  # B has u2 (unsubscribed there): removed, B's stays
        "u3": follow(a, user=u3, reason="submitted", unsubscribed=True, minutes=3),  # moves, still unsubscribed
        "contact": follow(a, contact=contact, minutes=4),  # moves
        "u5": follow(a, user=u5, reason="followed", minutes=5),  # moves
    }
    b_subs = {
        "u1": follow(b, user=u1, minutes=11),
        "u2": follow(b, user=u2, unsubscribed=True, minutes=12),
        "u4": follow(b, user=u4, minutes=13),
    }
    idea_recount(a.pk)
    idea_recount(b.pk)
    a.refresh_from_db()
    b.refresh_from_db()
    return {
        "a": a,
        "b": b,
        "a_votes": a_votes,
        "b_votes": b_votes,
        "a_subs": a_subs,
        "b_subs": b_subs,
        "users": (u1, u2, u3, u4, u5),
        "contact": contact,
    }


def test_the_fixture_counts_as_described(world):
    a, b = world["a"], world["b"]
    assert (a.vote_count, a.demand) == (5, Decimal("29.00"))
    assert (b.vote_count, b.demand) == (4, Decimal("9.00"))


def test_merge_moves_votes_keeping_the_higher_importance(world, pm):
    a, b, av, bv = world["a"], world["b"], world["a_votes"], world["b_votes"]
    merge = idea_merge(actor=pm, source=a, target=b)

    assert Vote.objects.filter(idea=a).count() == 0
    on_b = {v.pk: v.importance for v in Vote.objects.filter(idea=b)}
    assert on_b == {
        bv["u1"].pk: CRITICAL,  # raised from nice by u1's critical vote on A
        bv["u2"].pk: IMPORTANT,  # u2's nice vote on A does not lower it
        bv["u4"].pk: IMPORTANT,
        bv["key"].pk: CRITICAL,  # the key company's proxy: raised from nice
        av["u3"].pk: IMPORTANT,  # moved, same row
        av["std"].pk: CRITICAL,  # moved proxy vote, same row
    }
    assert not Vote.objects.filter(pk__in=[av["u1"].pk, av["u2"].pk, av["key"].pk]).exists()
    assert merge.snapshot["moved_votes"] == [av["u3"].pk, av["std"].pk]
    assert [r["id"] for r in merge.snapshot["removed_votes"]] == [av["u1"].pk, av["u2"].pk, av["key"].pk]
    assert merge.snapshot["raised_votes"] == {
        str(bv["u1"].pk): {"importance": NICE, "updated_at": "2026-03-01T09:41:22.123456+00:00"},
        str(bv["key"].pk): {"importance": NICE, "updated_at": "2026-03-01T09:44:22.123456+00:00"},
    }


def test_merge_counts_and_demand_of_both_ideas(world, pm):
    a, b = world["a"], world["b"]
    idea_merge(actor=pm, source=a, target=b)
    # B: u1 critical strategic 12 + u2 important 2 + u4 important standard 2 + key proxy critical 8
    #    + u3 important key 4 + standard proxy critical 4 = 32 over 6 votes.
    assert (b.vote_count, b.demand) == (6, Decimal("32.00"))
    assert (a.vote_count, a.demand) == (0, Decimal("0.00"))
    assert a.merged_into_id == b.pk
    assert a.status.category == StatusCategory.DUPLICATE
    assert a.status_changed_at is not None


def test_merge_moves_followers_once_each(world, pm):
    a, b, asubs, bsubs = world["a"], world["b"], world["a_subs"], world["b_subs"]
    merge = idea_merge(actor=pm, source=a, target=b)
    assert Subscription.objects.filter(idea=a).count() == 0
    on_b = {s.pk: (s.user_id, s.contact_id, s.unsubscribed_at is not None) for s in Subscription.objects.filter(idea=b)}
    u1, u2, u3, u4, u5 = world["users"]
    assert on_b == {
        bsubs["u1"].pk: (u1.pk, None, False),
        bsubs["u2"].pk: (u2.pk, None, True),  # u2 unfollowed B: merging A in does not re-subscribe them
        bsubs["u4"].pk: (u4.pk, None, False),
        asubs["u3"].pk: (u3.pk, None, True),
        asubs["contact"].pk: (None, world["contact"].pk, False),
        asubs["u5"].pk: (u5.pk, None, False),
    }
    assert merge.snapshot["moved_subscriptions"] == [asubs["u3"].pk, asubs["contact"].pk, asubs["u5"].pk]
    assert [r["id"] for r in merge.snapshot["removed_subscriptions"]] == [asubs["u1"].pk, asubs["u2"].pk]


def test_merge_records_the_event_before_moving_followers_and_audits(world, pm):
    a, b = world["a"], world["b"]
    seen = {}

    from headway.ideas import notify

    original = notify.fan_out

    def spy(event):
        seen["followers"] = set(Subscription.objects.filter(idea_id=event.idea_id).values_list("pk", flat=True))
        seen["voters"] = Vote.objects.filter(idea_id=event.idea_id).count()
        return original(event)

    notify.fan_out = spy
    try:
        merge = idea_merge(actor=pm, source=a, target=b)
    finally:
        notify.fan_out = original
    assert seen == {"followers": {s.pk for s in world["a_subs"].values()}, "voters": 5}
    events = list(IdeaEvent.objects.filter(kind=IdeaEvent.Kind.MERGED))
    assert [(e.idea_id, e.payload["target"], e.payload["merge"]) for e in events] == [(a.pk, b.pk, merge.pk)]
    audit = AuditEvent.objects.get(action="idea.merge")
    assert audit.target_id == a.pk
    assert audit.changes["merged_into"] == [None, "CSV export of reports"]
    assert audit.changes["status"] == ["New", "Duplicate"]


def test_the_source_followers_are_told_once_and_the_target_followers_not(world, pm):
    from headway.ideas.models import Notification

    a, b = world["a"], world["b"]
    u1, u2, _u3, _u4, u5 = world["users"]
    idea_merge(actor=pm, source=a, target=b)
    told = list(Notification.objects.filter(event__kind=IdeaEvent.Kind.MERGED).values_list("email", "message"))
    # u3 unfollowed A; u4 follows only B.
    expected = [u1.email, u2.email, u5.email, world["contact"].email]
    assert sorted(email for email, _ in told) == sorted(expected)
    assert all("CSV export of reports" in message for _, message in told)  # the wording is notify's


def test_unmerge_restores_both_ideas_exactly(world, pm):
    a, b = world["a"], world["b"]
    before = state(a, b)
    assert len(before["votes"]) == 9 and len(before["subscriptions"]) == 8

    merge = idea_merge(actor=pm, source=a, target=b)
    assert state(a, b) != before
    result = idea_unmerge(actor=pm, idea=a)

    assert state(a, b) == before  # every column of every row: ids, importances, timestamps, counters
    assert result.unmerge_skipped == []
    assert (result.vote_count, result.demand, result.merged_into_id) == (5, Decimal("29.00"), None)
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert list(IdeaEvent.objects.filter(idea=a).values_list("kind", flat=True)) == [
        IdeaEvent.Kind.UNMERGED,
        IdeaEvent.Kind.MERGED,
    ]
    assert AuditEvent.objects.filter(action="idea.unmerge", target_id=a.pk).count() == 1
    # It can be merged again (the first merge is closed).
    idea_merge(actor=pm, source=a, target=b)
    assert Merge.objects.filter(source=a).count() == 2


def test_unmerge_keeps_what_people_changed_after_the_merge(world, pm):
    a, b, av, bv = world["a"], world["b"], world["a_votes"], world["b_votes"]
    idea_merge(actor=pm, source=a, target=b)
    Vote.objects.filter(pk=av["u3"].pk).delete()  # u3 withdrew the moved vote
    Vote.objects.filter(pk=bv["u1"].pk).update(importance=IMPORTANT)  # u1 changed the raised vote
    Vote.objects.filter(pk=bv["key"].pk).delete()  # the key company's proxy vote was withdrawn

    result = idea_unmerge(actor=pm, idea=a)

    assert {v.pk: v.importance for v in Vote.objects.filter(idea=a)} == {
        av["u1"].pk: CRITICAL,  # re-created: u1's vote on B still stands
        av["u2"].pk: NICE,
        av["std"].pk: CRITICAL,
    }
    assert Vote.objects.get(pk=bv["u1"].pk).importance == IMPORTANT
    assert result.unmerge_skipped == [
        "1 moved vote(s) were withdrawn after the merge and stay withdrawn",
        f"vote {bv['u1'].pk} on #{b.pk} was changed after the merge and keeps its importance",
        f"vote {av['key'].pk} is not restored: its voter withdrew their vote on #{b.pk}",
    ]
    # A: u1 critical strategic 12 + u2 nice 1 + standard proxy critical 4 = 17.
    assert (result.vote_count, result.demand) == (3, Decimal("17.00"))
    audit = AuditEvent.objects.get(action="idea.unmerge")
    assert audit.changes["skipped"][1].startswith("1 moved vote(s) were withdrawn")


def test_merge_refusals(world, pm, portal):
    a, b = world["a"], world["b"]
    with pytest.raises(ValidationFailed) as exc:
        idea_merge(actor=pm, source=a, target=a)
    assert exc.value.fields == {"target": ["An idea cannot be merged into itself."]}
    c = make_idea(portal, "Another idea")
    idea_merge(actor=pm, source=c, target=b)
    with pytest.raises(Conflict, match="is itself merged into"):
        idea_merge(actor=pm, source=a, target=c)
    with pytest.raises(Conflict, match="already merged into"):
        idea_merge(actor=pm, source=c, target=a)
    d = make_idea(portal, "Deleted idea")
    Idea.objects.filter(pk=d.pk).update(deleted_at=T0)
    d.refresh_from_db()
    with pytest.raises(Conflict, match="is deleted") as exc:
        idea_merge(actor=pm, source=d, target=b)
    assert list(exc.value.fields) == ["source"]
    with pytest.raises(Conflict) as exc:
        idea_merge(actor=pm, source=a, target=d)
    assert list(exc.value.fields) == ["target"]
    with pytest.raises(Conflict, match="is not merged"):
        idea_unmerge(actor=pm, idea=a)


def test_merge_across_workspaces_is_refused(world, pm, other_workspace):
    idea_statuses_ensure(workspace=other_workspace)
    elsewhere = make_idea(Portal.objects.create(workspace=other_workspace, name="X", slug="globex-x"), "Theirs")
    with pytest.raises(NotFound) as exc:
        idea_merge(actor=pm, source=world["a"], target=elsewhere)
    assert list(exc.value.fields) == ["target"]


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_members_below_pm_may_not_merge_and_nothing_changes(world, member, pm, role):
    a, b = world["a"], world["b"]
    before = state(a, b)
    with pytest.raises(PermissionDenied):
        idea_merge(actor=member(role), source=a, target=b)
    with pytest.raises(PermissionDenied):
        ideas_merge_bulk(actor=member(role), sources=[a], target=b)
    assert state(a, b) == before
    idea_merge(actor=pm, source=a, target=b)
    merged = state(a, b)
    with pytest.raises(PermissionDenied):
        idea_unmerge(actor=member(role), idea=a)
    assert state(a, b) == merged
    assert Merge.objects.get().undone_at is None


def test_outsiders_get_not_found(world, outsider):
    with pytest.raises(NotFound):
        idea_merge(actor=outsider, source=world["a"], target=world["b"])
    assert Merge.objects.count() == 0


def test_bulk_merge_merges_every_source(world, pm, portal):
    a, b = world["a"], world["b"]
    c = make_idea(portal, "Export as spreadsheet")
    u = UserFactory()
    vote(c, CRITICAL, voter=u, minutes=30)  # no company: 4
    idea_recount(c.pk)
    merges = ideas_merge_bulk(actor=pm, sources=[a, c.pk], target=b)
    assert [(m.source_id, m.target_id) for m in merges] == [(a.pk, b.pk), (c.pk, b.pk)]
    b.refresh_from_db()
    assert (b.vote_count, b.demand) == (7, Decimal("36.00"))
    assert set(Idea.objects.filter(merged_into=b).values_list("pk", flat=True)) == {a.pk, c.pk}


def test_bulk_merge_is_all_or_nothing_and_names_the_failing_idea(world, pm, portal):
    a, b = world["a"], world["b"]
    c = make_idea(portal, "Already elsewhere")
    d = make_idea(portal, "Somewhere")
    idea_merge(actor=pm, source=c, target=d)
    before = state(a, b, c, d)
    with pytest.raises(Conflict) as exc:
        ideas_merge_bulk(actor=pm, sources=[a, c], target=b)
    assert exc.value.message.startswith(f"Idea #{c.pk} “Already elsewhere” cannot be merged:")
    assert exc.value.message.endswith("Nothing was merged.")
    assert list(exc.value.fields) == ["sources"]
    assert state(a, b, c, d) == before
    assert Merge.objects.count() == 1
    assert not IdeaEvent.objects.filter(idea=a, kind=IdeaEvent.Kind.MERGED).exists()


def test_bulk_merge_checks_its_input(world, pm):
    a, b = world["a"], world["b"]
    with pytest.raises(ValidationFailed, match="is the target"):
        ideas_merge_bulk(actor=pm, sources=[a, b], target=b)
    with pytest.raises(ValidationFailed, match="at least one"):
        ideas_merge_bulk(actor=pm, sources=[], target=b)
    with pytest.raises(NotFound, match="No idea 999999"):
        ideas_merge_bulk(actor=pm, sources=[a, 999999], target=b)
    assert Merge.objects.count() == 0


def test_merges_undo_in_reverse_order(world, pm, portal):
    a, b = world["a"], world["b"]
    c = make_idea(portal, "Third")
    idea_recount(c.pk)  # as the services leave every idea
    before = state(a, b, c)
    idea_merge(actor=pm, source=a, target=b)
    idea_merge(actor=pm, source=b, target=c)
    with pytest.raises(Conflict, match="unmerge it first"):
        idea_unmerge(actor=pm, idea=a)
    idea_unmerge(actor=pm, idea=b)
    idea_unmerge(actor=pm, idea=a)
    assert state(a, b, c) == before


def test_a_linked_idea_keeps_its_feature_when_merged(world, pm, workspace, leader):
    from headway.backlog.tests import factories as backlog

    product = backlog.product(leader, workspace, owner=pm)
    feature = backlog.feature(pm, product, "CSV export")
    a = world["a"]
    Idea.objects.filter(pk=a.pk).update(feature=feature)
    a.refresh_from_db()
    idea_merge(actor=pm, source=a, target=world["b"])
    assert a.feature_id == feature.pk
    idea_unmerge(actor=pm, idea=a)
    assert Idea.objects.get(pk=a.pk).feature_id == feature.pk
