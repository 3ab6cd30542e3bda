"""``/api/v1/insights…`` and ``/themes…``: one router made of one sub-router per area."""

from ninja import Router

router = Router(tags=["insights"])


def _register() -> None:
    from headway.insights.api import duplicates, evidence, notes, themes

    # duplicates first: its fixed paths (/insights/duplicates) must win over /insights/{note_id}.
    for module in (duplicates, notes, evidence, themes):
        router.add_router("/", module.router)


_register()
