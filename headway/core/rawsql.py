"""Model values from hand-written SQL, converted exactly as the ORM converts them.

A few hot paths (API authentication, large lists) keep their SQL because compiling the ORM query
costs several times more than running it. Their rows must still become the same Python values
the ORM produces (aware datetimes, booleans, decimals), whatever the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.db.models.expressions import Col


def row_converter(model: type[Model], attnames: Sequence[str]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function turning one raw row of these columns into ORM-equivalent values. Looking the
    converters up costs more than a short query, so the plan is kept per database connection."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's connection, not the shared proxy
    cache = wrapper.__dict__.setdefault("_headway_row_converters", {})
    key = (model, tuple(attnames))
    if key not in cache:
        cache[key] = _plan_converter(wrapper, model, attnames)
    return cache[key]


def _plan_converter(
    wrapper: BaseDatabaseWrapper, model: type[Model], attnames: Sequence[str]
) -> Callable[[Sequence[Any]], list[Any]]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    plan = []
    for attname in attnames:
        field = fields[attname]
        column = Col(model._meta.db_table, field)
        converters = wrapper.ops.get_db_converters(column) + field.get_db_converters(wrapper)
        plan.append((column, converters))

    def convert(values: Sequence[Any]) -> list[Any]:
        converted = []
        for (column, converters), value in zip(plan, values, strict=True):
            for converter in converters:
                value = converter(value, column, wrapper)
            converted.append(value)
        return converted

    return convert


def instance_from_row(model: type[Model], attnames: Sequence[str], values: Sequence[Any]) -> Any:
    """A model instance as if loaded by the ORM (fields not listed are deferred)."""
    return model.from_db(connection.alias, list(attnames), row_converter(model, attnames)(values))
