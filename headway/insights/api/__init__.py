"""``/api/v1/insights…`` and ``/themes…``: one router made of one sub-router per area."""

from ninja import Router

router = Router(tags=["insights"])


def _register() -> None:
    from headway.insights.api import duplicates, evidence, notes, themes

    for module in (notes, evidence, themes, duplicates):
        router.add_router("/", module.router)


_register()
