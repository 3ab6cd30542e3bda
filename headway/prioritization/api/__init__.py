"""``/api/v1/scoring-models…``, ``/features/…/scores``, ``/features/ranked``, ``/teams…``, ``/plans…``.

One router made of one sub-router per area.
"""

from ninja import Router

router = Router(tags=["prioritization"])


def _register() -> None:
    from headway.prioritization.api import capacity, plans, scoring

    for module in (scoring, capacity, plans):
        router.add_router("/", module.router)


_register()
