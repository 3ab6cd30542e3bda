"""Comments: public ones from the portal, official replies from the team, internal notes that stay inside."""

from __future__ import annotations

import pytest

from headway.core.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from headway.core.models import AuditEvent
from headway.ideas import selectors, services
from headway.ideas.models import IdeaComment, IdeaEvent, Subscription
from headway.ideas.tests import factories as f


@pytest.fixture
def portal(leader, workspace):
    return f.portal(leader, workspace, slug="feedback")


@pytest.fixture
def idea(pm, portal):
    return f.idea(pm, portal, "Dark mode")


@pytest.mark.django_db
def test_a_portal_user_comments_in_public_and_follows_the_idea(idea, portal):
    person = f.portal_user(portal)
    comment = services.comment_add(actor=person, idea=idea, body="  We need this for night shifts.  ")
    assert (comment.body, comment.is_internal, comment.is_official) == ("We need this for night shifts.", False, False)
    assert f.fresh(idea).comment_count == 1
    assert Subscription.objects.get(idea=idea, user=person).reason == "commented"
    event = IdeaEvent.objects.get(idea=idea, kind="idea.commented")
    assert event.payload == {
        "idea": idea.pk,
        "title": "Dark mode",
        "comment": comment.pk,
        "internal": False,
        "official": False,
        "body": "We need this for night shifts.",
    }


@pytest.mark.django_db
def test_a_members_public_comment_is_an_official_reply(idea, contributor):
    comment = services.comment_add(actor=contributor, idea=idea, body="We are looking into it.")
    assert (comment.is_official, comment.is_internal) == (True, False)
    assert IdeaEvent.objects.filter(idea=idea, kind="idea.official_reply").count() == 1
    assert f.fresh(idea).comment_count == 1


@pytest.mark.django_db
def test_internal_comments_leave_no_text_in_events_and_no_count(idea, contributor, portal):
    comment = services.comment_add(actor=contributor, idea=idea, body="Customer X pays 1M; prioritise.", internal=True)
    assert (comment.is_internal, comment.is_official) == (True, False)
    assert f.fresh(idea).comment_count == 0
    event = IdeaEvent.objects.get(idea=idea, kind="idea.commented")
    assert event.payload == {"idea": idea.pk, "title": "Dark mode", "comment": comment.pk, "internal": True}
    assert "1M" not in str(list(IdeaEvent.objects.values_list("payload", flat=True)))
    person = f.portal_user(portal)
    assert list(selectors.idea_comments(user=person, idea=idea)) == []
    assert list(selectors.idea_comments(user=contributor, idea=idea)) == [comment]


@pytest.mark.django_db
def test_portal_people_cannot_write_internal_comments_and_viewers_cannot_comment(idea, portal, viewer):
    with pytest.raises(PermissionDenied, match="Only the team"):
        services.comment_add(actor=f.portal_user(portal), idea=idea, body="Psst", internal=True)
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=viewer, idea=idea, body="Hello")
    with pytest.raises(PermissionDenied, match="Sign in"):
        services.comment_add(actor=f.portal_user(portal, verified=False), idea=idea, body="Hello")
    assert IdeaComment.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"), [("   ", "Write something first."), ("z" * 20_001, "Use at most 20,000 characters.")]
)
def test_the_body_must_hold_something_and_not_too_much(idea, portal, body, message):
    with pytest.raises(ValidationFailed) as exc:
        services.comment_add(actor=f.portal_user(portal), idea=idea, body=body)
    assert exc.value.fields == {"body": [message]}


@pytest.mark.django_db
def test_comments_per_person_are_rate_limited_but_not_the_teams(idea, portal, pm, settings):
    settings.HEADWAY_COMMENTS_PER_PERSON_PER_HOUR = 2
    person = f.portal_user(portal)
    for i in range(2):
        services.comment_add(actor=person, idea=idea, body=f"Comment {i}")
    with pytest.raises(RateLimited) as exc:
        services.comment_add(actor=person, idea=idea, body="Comment 3")
    assert exc.value.message == "Too many comments from you in the last hour; try again in 60 minutes."
    for i in range(3):
        services.comment_add(actor=pm, idea=idea, body=f"Reply {i}")
    assert f.fresh(idea).comment_count == 5


@pytest.mark.django_db
def test_authors_delete_their_comments_and_moderators_public_ones(idea, portal, pm, contributor):
    author = f.portal_user(portal)
    first = services.comment_add(actor=author, idea=idea, body="First")
    second = services.comment_add(actor=author, idea=idea, body="Second")
    note = services.comment_add(actor=contributor, idea=idea, body="Internal note", internal=True)
    with pytest.raises(PermissionDenied, match="Only its author"):
        services.comment_delete(actor=f.portal_user(portal), comment=first)
    services.comment_delete(actor=author, comment=first)
    services.comment_delete(actor=pm, comment=second)
    assert f.fresh(idea).comment_count == 0
    assert list(AuditEvent.objects.filter(action="idea_comment.delete").values_list("changes", flat=True)) == [
        {"comment": [second.pk, None]}
    ]
    with pytest.raises(PermissionDenied):  # internal notes are their author's only
        services.comment_delete(actor=pm, comment=note)
    with pytest.raises(NotFound):
        services.comment_delete(actor=author, comment=note)
    services.comment_delete(actor=contributor, comment=note)
    assert IdeaComment.objects.filter(deleted_at__isnull=True).count() == 0
    assert IdeaComment.objects.count() == 3
    assert list(selectors.idea_comments(user=pm, idea=idea)) == []
