import pytest

from headway.ops.backup import BACKUP_MODELS


def table_rows() -> dict[str, list[dict]]:
    """Every archived table, every row, every column, as the database returns it."""
    from django.apps import apps

    return {label: list(apps.get_model(label)._base_manager.order_by("pk").values()) for label in BACKUP_MODELS}


def wipe() -> None:
    """Empty every archived table inside the test's transaction (children first; FKs are checked at commit)."""
    from django.apps import apps
    from django.db import connection

    for label in reversed(BACKUP_MODELS):
        apps.get_model(label)._base_manager.all()._raw_delete(connection.alias)


@pytest.fixture
def demo(db):
    from headway.ops.demo import demo_create

    return demo_create()
