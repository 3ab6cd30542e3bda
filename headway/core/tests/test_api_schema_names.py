"""The OpenAPI document names each schema by its class name: two different classes of one name
would share one definition (the later silently replaces the earlier), so one of them would be
documented wrong. Twins of the same shape are harmless."""

import json
from collections import defaultdict

from ninja import Schema


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_api_schema_has_its_own_name():
    import config.api  # noqa: F401 (imports every router and its schemas)

    by_name: dict[str, dict[str, str]] = defaultdict(dict)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("headway."):
            by_name[cls.__name__][f"{cls.__module__}.{cls.__qualname__}"] = json.dumps(
                cls.model_json_schema(), sort_keys=True
            )
    clashes = {name: sorted(shapes) for name, shapes in by_name.items() if len(set(shapes.values())) > 1}
    assert clashes == {}
