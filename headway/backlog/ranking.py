"""Fractional ranking: the backlog order is the sort order of short string keys.

A move gives the moved feature a key between its new neighbours' keys and writes that one row;
nothing is renumbered. Keys use the 36 characters ``0-9a-z`` only, because every database
collation (SQLite's binary one, PostgreSQL's locale ones) sorts digits and lower-case letters
in the same order as Python does, so ``ORDER BY rank`` is the backlog order everywhere.

Key shape: a five-character base-36 *head* followed by ``i`` (``"i0000i"``) for items added at
either end (the next head up or down: 30 million additions each way before the keys lengthen),
and for items placed between two others the midpoint of the neighbours' keys (the string
midpoint of David Greenspan's "fractional indexing"). No key ends in ``0``, so there is always
a key between any two different keys. Keys grow by about one character per five moves into the
same gap; past ``MAX_LENGTH`` the caller respaces the product's keys once (``spread``).
"""

from __future__ import annotations

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
HEAD = 5  # characters of the head
HEAD_LIMIT = BASE**HEAD
MAX_LENGTH = 64  # longer keys are refused by key_between's callers, which respace instead
_INDEX = {c: i for i, c in enumerate(DIGITS)}


def is_valid(key: str) -> bool:
    return bool(key) and len(key) <= MAX_LENGTH and key[-1] != "0" and all(c in _INDEX for c in key)


def _head_key(n: int) -> str:
    digits = []
    for _ in range(HEAD):
        n, d = divmod(n, BASE)
        digits.append(DIGITS[d])
    return "".join(reversed(digits)) + "i"


def _head(key: str) -> int:
    n = 0
    for c in key[:HEAD].ljust(HEAD, "0"):
        n = n * BASE + _INDEX[c]
    return n


INITIAL = _head_key(HEAD_LIMIT // 2)  # "i0000i": the first feature of a product


def _midpoint(low: str, high: str | None) -> str:
    """A key strictly between ``low`` ("" = the very bottom) and ``high`` (None = the very top)."""
    if high is not None:
        n = 0
        while n < len(high) and (low[n] if n < len(low) else "0") == high[n]:
            n += 1
        if n:
            return high[:n] + _midpoint(low[n:], high[n:])
    d_low = _INDEX[low[0]] if low else 0
    d_high = _INDEX[high[0]] if high is not None else BASE
    if d_high - d_low > 1:
        return DIGITS[(d_low + d_high) // 2]
    if high is not None and len(high) > 1:
        return high[0]
    return DIGITS[d_low] + _midpoint(low[1:], None)


def key_between(low: str | None, high: str | None) -> str:
    """A key that sorts after ``low`` and before ``high`` (None: no neighbour on that side)."""
    for key in (low, high):
        if key is not None and (not key or key[-1] == "0" or any(c not in _INDEX for c in key)):
            raise ValueError(f"{key!r} is not a rank key")
    if low is not None and high is not None:
        if not low < high:
            raise ValueError(f"{low!r} must sort before {high!r}")
        return _midpoint(low, high)
    if low is None and high is None:
        return INITIAL
    if high is None:
        assert low is not None
        n = _head(low)
        return _head_key(n + 1) if n + 1 < HEAD_LIMIT else _midpoint(low, None)
    n = _head(high)
    return _head_key(n - 1) if n >= 1 else _midpoint("", high)


def spread(count: int) -> list[str]:
    """``count`` evenly spaced short keys in ascending order (for respacing a whole product)."""
    step = (HEAD_LIMIT - 2) // (count + 1)
    if step < 1:
        raise ValueError(f"{count} keys do not fit in one product")
    return [_head_key(step * (i + 1)) for i in range(count)]
