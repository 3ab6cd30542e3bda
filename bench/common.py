"""What every benchmark script shares: where the shared review data is, percentiles, loading a sibling
script by path, and writing its own section of docs/benchmarks.md."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def shared_data() -> Path:
    """The shared data folder: ``$HEADWAY_SHARED_DATA``, else ``../shared/data`` beside the checkout,
    else the workplace's ``/work/shared/data`` (a checkout cloned elsewhere, as CI may do)."""
    named = os.environ.get("HEADWAY_SHARED_DATA", "")
    candidates = [Path(named)] if named else []
    for candidate in [*candidates, ROOT.parent / "shared" / "data", Path("/work/shared/data")]:
        if (candidate / "spotify-reviews.csv").is_file():
            return candidate
    raise SystemExit(
        "The review data (spotify-reviews.csv) is not in ../shared/data beside the checkout nor in "
        "/work/shared/data; set HEADWAY_SHARED_DATA to the folder that holds it."
    )


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0–1) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_module(name: str, path: Path) -> ModuleType:
    """Another bench script, loaded by path (each is also run on its own as ``python bench/x.py``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_doc(name: str, section: str, *, new_file: str = "# Benchmarks\n") -> None:
    """Replace the script's own section (between ``<!-- bench:NAME:start/end -->``) of
    docs/benchmarks.md, or append it; ``new_file`` starts the document when there is none."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{section.strip()}\n{end}"
    text = DOC.read_text() if DOC.exists() else new_file
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def child(script: str | Path, command: str, env: dict[str, str], *extra: str, timeout: int) -> dict:
    """Run one step of ``script`` in a fresh process and read the JSON of its last line; a failure
    is reported, not fatal (other steps still run)."""
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, str(script), command, *extra],
            cwd=Path(script).resolve().parent.parent, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if result.returncode:
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return {"error": " | ".join(tail[-3:])[:400], "wall": time.monotonic() - started}
    return json.loads(result.stdout.strip().splitlines()[-1])
