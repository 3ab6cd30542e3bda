"""Re-parenting under concurrency, on PostgreSQL: two crossing moves never build a cycle."""

import threading

import pytest
from django.db import connection, connections

from headway.core.errors import ValidationFailed
from headway.strategy import services
from headway.strategy.models import Objective
from headway.strategy.tests.conftest import YEAR


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_crossing_moves_at_the_same_moment_leave_no_cycle(workspace, leader):
    """Two leaders at once: one puts A under B, the other B under A. Each move alone is fine; both
    would make A and B each other's ancestor. The workspace lock makes the second one see the first."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    rounds = 8
    pairs = [
        (
            services.objective_create(actor=leader, workspace=workspace, title=f"A{i}", **YEAR),
            services.objective_create(actor=leader, workspace=workspace, title=f"B{i}", **YEAR),
        )
        for i in range(rounds)
    ]
    refused: list[str] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def worker(forward: bool) -> None:
        try:
            for a, b in pairs:
                barrier.wait(timeout=10)
                child, parent = (a, b) if forward else (b, a)
                try:
                    services.objective_move(
                        actor=leader,
                        objective=Objective.objects.select_related("workspace", "parent").get(pk=child.pk),
                        parent=Objective.objects.get(pk=parent.pk),
                    )
                except ValidationFailed as exc:
                    refused.append(exc.fields["parent"][0])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(forward,)) for forward in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(refused) == rounds  # exactly one of each crossing pair lost, with the cycle named
    assert all(message.startswith("An objective cannot be its own ancestor:") for message in refused)
    parents = dict(Objective.objects.values_list("pk", "parent_id"))
    for a, b in pairs:
        assert (parents[a.pk], parents[b.pk]) in ((b.pk, None), (None, a.pk))
