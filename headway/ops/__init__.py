"""Operator tasks behind the ``headway`` command: demo data, backup and restore, configuration checks.

Each module holds plain functions that call the domain services; ``headway/cli.py`` only parses
arguments, calls them and prints what they return.
"""

from collections.abc import Iterable
from typing import Protocol


class Progress(Protocol):
    """Wraps an iterable to show progress (the CLI passes a tqdm bar; tests and code pass nothing)."""

    def __call__[T](self, items: Iterable[T], label: str, total: int) -> Iterable[T]: ...


def no_progress[T](items: Iterable[T], label: str, total: int) -> Iterable[T]:
    return items
