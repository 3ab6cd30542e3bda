"""Votes under concurrency: 32 people voting at the same moment lose or double nothing, on SQLite
(IMMEDIATE transactions queue the writers) and on PostgreSQL (the idea's row lock).

The test suite's SQLite database lives in memory with a shared cache, where a second writer gets
"database table is locked" at once instead of waiting (SQLite's busy timeout does not apply to
shared-cache locks). Production SQLite is a file, so on SQLite the threads here work on a file copy
of the test database, opened with the project's settings (WAL, IMMEDIATE, busy timeout).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from headway.ideas import services
from headway.ideas.models import Idea, IdeaStatus, Vote
from headway.ideas.tests import factories as f

THREADS = 32


class Database:
    """Where the worker threads connect: the test database, or on SQLite a file copy of it."""

    def __init__(self, tmp_path: Path) -> None:
        self.file: str | None = None
        if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
            self.file = str(tmp_path / "concurrency.sqlite3")

    def snapshot(self) -> None:
        """Copy what the test set up so far into the file (after it is all committed)."""
        if self.file is not None:
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()

    def enter(self) -> None:
        """Call first thing in a thread: its connection opens the file instead."""
        if self.file is not None:
            wrapper = connections["default"]
            wrapper.settings_dict = {**wrapper.settings_dict, "NAME": self.file}

    def read(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the database the threads wrote to."""
        result: list[Any] = []

        def work() -> None:
            self.enter()
            try:
                result.append(fn())
            finally:
                connections.close_all()

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=60)
        return result[0]

    def run(self, workers: list[threading.Thread]) -> None:
        self.snapshot()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert not any(worker.is_alive() for worker in workers)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(tmp_path)


def _counts(idea_id: int) -> tuple[int, Any, int, set[int]]:
    idea = Idea.objects.get(pk=idea_id)
    votes = Vote.objects.filter(idea_id=idea_id)
    voters = set(votes.filter(voter__isnull=False).values_list("voter_id", flat=True))
    return idea.vote_count, idea.demand, votes.count(), voters


@pytest.mark.django_db(transaction=True)
def test_32_people_voting_at_once_are_all_counted(leader, workspace, database):
    portal = f.portal(leader, workspace, slug="votes")
    idea = f.idea(leader, portal, "Dark mode")
    services.vote_retract(actor=leader, idea=idea)  # start from zero votes
    voters = [f.portal_user(portal, f"voter{i}@customer.example") for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def vote(user) -> None:
        database.enter()
        try:
            target = Idea.objects.select_related("portal").get(pk=idea.pk)
            barrier.wait(timeout=30)
            services.vote_cast(actor=user, idea=target, importance="critical")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    database.run([threading.Thread(target=vote, args=(user,)) for user in voters])
    assert errors == []
    vote_count, demand, rows, who = database.read(lambda: _counts(idea.pk))
    assert vote_count == THREADS
    assert rows == THREADS
    assert who == {u.pk for u in voters}
    assert demand == THREADS * 4  # critical (4) × no company (1)


@pytest.mark.django_db(transaction=True)
def test_32_cast_and_retract_pairs_at_once_lose_nothing(leader, workspace, database):
    """Half the people vote, withdraw and vote again; the other half (who voted before) withdraw;
    all at the same moment."""
    portal = f.portal(leader, workspace, slug="churn")
    idea = f.idea(leader, portal, "Offline mode")
    people = [f.portal_user(portal, f"person{i}@customer.example") for i in range(THREADS)]
    leaving = people[: THREADS // 2]
    for user in leaving:
        services.vote_cast(actor=user, idea=idea)
    joining = people[THREADS // 2 :]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def act(user, cast: bool) -> None:
        database.enter()
        try:
            target = Idea.objects.select_related("portal").get(pk=idea.pk)
            barrier.wait(timeout=30)
            if cast:
                services.vote_cast(actor=user, idea=target, importance="nice_to_have")
                services.vote_retract(actor=user, idea=target)
                services.vote_cast(actor=user, idea=target, importance="nice_to_have")
            else:
                services.vote_retract(actor=user, idea=target)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=act, args=(u, True)) for u in joining]
    workers += [threading.Thread(target=act, args=(u, False)) for u in leaving]
    database.run(workers)
    assert errors == []
    vote_count, demand, rows, who = database.read(lambda: _counts(idea.pk))
    expected = 1 + len(joining)  # the leader's own vote and every joiner's
    assert vote_count == expected
    assert rows == expected
    assert who == {leader.pk, *(u.pk for u in joining)}
    assert demand == 2 + len(joining) * 1  # important (2) for the leader + nice-to-have (1) each


@pytest.mark.django_db(transaction=True)
def test_statuses_asked_for_at_the_same_moment_are_created_once(workspace, database):
    """Eight first visitors of a new workspace's portals at once: one set of default statuses."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    seen: list[list[int]] = []

    def ensure() -> None:
        database.enter()
        try:
            barrier.wait(timeout=30)
            seen.append([s.pk for s in services.idea_statuses_ensure(workspace=workspace)])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    database.run([threading.Thread(target=ensure) for _ in range(8)])
    assert errors == []
    stored = database.read(lambda: list(IdeaStatus.objects.filter(workspace=workspace).values_list("pk", flat=True)))
    assert len(stored) == 7
    assert all(ids == stored for ids in seen)
