"""Word-by-word differences between two texts, for the vision's version history."""

from __future__ import annotations

import difflib
import re

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``[(kind, text), …]`` with kind "same", "del" or "ins": read in order, they show ``old`` becoming ``new``.

    Whitespace is kept, so line breaks in markdown survive; runs of the same kind are merged.
    """
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts: list[tuple[str, str]] = []

    def add(kind: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if parts and parts[-1][0] == kind:
            parts[-1] = (kind, parts[-1][1] + text)
        else:
            parts.append((kind, text))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            add("same", a[i1:i2])
        else:
            add("del", a[i1:i2])
            add("ins", b[j1:j2])
    return parts
