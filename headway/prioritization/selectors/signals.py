"""Built-in signals of many features at once, for scoring models that read them.

One :class:`SignalTable` holds every signal in :data:`headway.prioritization.frameworks.SIGNALS`
as a float64 column aligned with ``feature_ids``:

* ``votes`` — Σ ``Idea.vote_count`` of the linked ideas (not deleted, not merged), as
  ``headway.ideas.selectors.features_demand`` counts ideas;
* ``demand`` — the ideas' demand (``features_demand``) plus the evidence demand
  (``headway.insights.selectors.evidence.evidence_demand``: highlights on the feature or on its
  ideas, the same passage once at its highest weight, weighed by the workspace's demand settings
  as they are now);
* ``companies`` / ``arr`` — the distinct companies behind those votes and behind that evidence
  (the note's company), and the sum of their ARR;
* ``objectives`` / ``objective_priority`` — how many objectives (not archived) the feature serves
  and the highest weight among them (0 when none);
* ``age_days`` — whole days since the feature was created;
* ``effort`` — the feature's estimate (NaN when not estimated).

Everything is aggregated in the database (a few queries, whatever the number of features and
votes); no per-feature query and no model instance per vote. With a short list of features the
queries are filtered by id; with a long one (or none: the whole workspace) they read the
workspace and the table keeps the features asked for. No permission check: callers scope.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from headway.backlog.models import Feature, FeatureObjective
from headway.customers.models import Company, Tier
from headway.ideas.models import CompanyBasis, DemandSettings, Idea, Importance, Vote
from headway.insights.models import FeedbackNote, Highlight
from headway.prioritization.frameworks import SIGNALS
from headway.strategy.models import Objective

# Up to this many features the queries filter by id; beyond, they read the whole workspace
# (SQLite limits the parameters of one query, and a long IN list is slower than the scan).
ID_FILTER_LIMIT = 900


@dataclass
class SignalTable:
    """Signals of many features: ``columns[name][i]`` belongs to ``feature_ids[i]``."""

    feature_ids: list[int]
    columns: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        self._index = {pk: i for i, pk in enumerate(self.feature_ids)}

    def index(self, feature_id: int) -> int:
        return self._index[feature_id]

    def row(self, feature_id: int) -> dict[str, float]:
        """One feature's signals as floats (NaN effort when not estimated); KeyError if absent."""
        i = self._index[feature_id]
        return {name: float(column[i]) for name, column in self.columns.items()}

    def take(self, feature_ids: Sequence[int]) -> dict[str, np.ndarray]:
        """The columns for ``feature_ids`` in that order (each must be in the table)."""
        rows = np.fromiter((self._index[pk] for pk in feature_ids), dtype=np.intp, count=len(feature_ids))
        return {name: column[rows] for name, column in self.columns.items()}


def _rows(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _id_filter(column: str, only: list[int] | None) -> tuple[str, list[int]]:
    if only is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(only))})", list(only)


# "double precision": PostgreSQL's float8; SQLite reads any type naming "DOUB" as REAL.
_FLOAT = "double precision"


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


class _Places:
    """Where each feature id sits in the table, for many rows at once (sorted ids + searchsorted)."""

    def __init__(self, ids: list[int]):
        array = np.array(ids, dtype=np.int64)
        self.order = np.argsort(array, kind="stable")
        self.sorted = array[self.order]

    def scatter(self, rows: list[tuple], *targets: np.ndarray, add: bool = False) -> None:
        """Write (or add) each row's values, after its feature id, into the targets at that feature's place."""
        if not rows or not len(self.sorted):
            return
        table = np.array(rows, dtype=np.float64).reshape(len(rows), len(targets) + 1)
        table[np.isnan(table)] = 0.0
        ids = table[:, 0].astype(np.int64)
        spot = np.minimum(np.searchsorted(self.sorted, ids), len(self.sorted) - 1)
        found = self.sorted[spot] == ids
        places = self.order[spot[found]]
        for column, target in enumerate(targets, start=1):
            if add:
                np.add.at(target, places, table[found, column])
            else:
                target[places] = table[found, column]


def feature_signals(
    *, workspace_id: int, feature_ids: Sequence[int] | None = None, only: Collection[str] | None = None
) -> SignalTable:
    """Signals of ``feature_ids`` (in that order; ids of other workspaces are left out), or of every
    feature of the workspace by id when None.

    ``only``: compute just these signals (the others are NaN), for a model that reads a few of
    them: companies and ARR over a million votes are the dear ones (effort always comes, it is
    free). Up to six queries.
    """
    wanted_signals = set(SIGNALS) if only is None else set(only) & set(SIGNALS)
    narrow = feature_ids is not None and len(feature_ids) <= ID_FILTER_LIMIT
    wanted = list(dict.fromkeys(int(pk) for pk in feature_ids)) if feature_ids is not None else []
    by_id = wanted if narrow else None
    if feature_ids is not None and not wanted:
        return SignalTable(feature_ids=[], columns={name: np.zeros(0, dtype=np.float64) for name in SIGNALS})
    now = timezone.now()
    stamp: list[Any]
    where, extra = _id_filter("id", by_id)
    if "age_days" not in wanted_signals:
        age, stamp = "0", []
    elif connection.vendor == "postgresql":
        age, stamp = "EXTRACT(EPOCH FROM (%s - created_at)) / 86400.0", [now]
    else:  # SQLite keeps datetimes as UTC text
        age, stamp = "julianday(%s) - julianday(created_at)", [now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")]
    rows = _rows(
        f"SELECT id, CAST(effort AS {_FLOAT}), {age} FROM {_table(Feature)} "  # noqa: S608
        f"WHERE workspace_id = %s{where} ORDER BY id",
        [*stamp, workspace_id, *extra],
    )
    if feature_ids is not None:
        found = {row[0]: row for row in rows}
        rows = [found[pk] for pk in wanted if pk in found]
    ids = [row[0] for row in rows]
    count = len(ids)
    places = _Places(ids)
    columns = {
        name: np.zeros(count, dtype=np.float64) if name in wanted_signals else np.full(count, np.nan)
        for name in SIGNALS
    }
    if not count:
        return SignalTable(feature_ids=ids, columns=columns)
    columns["effort"] = np.array([math.nan if row[1] is None else float(row[1]) for row in rows], dtype=np.float64)
    if "age_days" in wanted_signals:
        columns["age_days"] = np.maximum(np.floor(np.array([float(row[2]) for row in rows], dtype=np.float64)), 0)

    if wanted_signals & {"votes", "demand"}:
        # The ideas' denormalised counters (ideas not deleted, not merged).
        where, extra = _id_filter("feature_id", by_id)
        ideas = _rows(
            f"SELECT feature_id, SUM(vote_count), CAST(SUM(demand) AS {_FLOAT}) FROM {_table(Idea)} "  # noqa: S608
            f"WHERE workspace_id = %s AND feature_id IS NOT NULL AND deleted_at IS NULL AND merged_into_id IS NULL"
            f"{where} GROUP BY feature_id",
            [workspace_id, *extra],
        )
        places.scatter(ideas, columns["votes"], columns["demand"])
    if wanted_signals & {"objectives", "objective_priority"}:
        # Objectives served (not archived) and the highest weight among them.
        where, extra = _id_filter("fo.feature_id", by_id)
        links = _rows(
            f"SELECT fo.feature_id, COUNT(*), MAX(o.weight) FROM {_table(FeatureObjective)} fo "  # noqa: S608
            f"JOIN {_table(Objective)} o ON o.id = fo.objective_id "
            f"WHERE fo.workspace_id = %s AND o.archived_at IS NULL{where} GROUP BY fo.feature_id",
            [workspace_id, *extra],
        )
        places.scatter(links, columns["objectives"], columns["objective_priority"])
    if "demand" in wanted_signals:
        _add_evidence_demand(workspace_id, by_id, places, columns["demand"])
    if wanted_signals & {"companies", "arr"}:
        _add_companies(workspace_id, by_id, places, columns["companies"], columns["arr"])
    for name in SIGNALS.keys() - wanted_signals - {"effort"}:
        columns[name][:] = np.nan  # read along with a wanted one, but not asked for
    return SignalTable(feature_ids=ids, columns=columns)


# ── evidence demand ───────────────────────────────────────────────────────────────────────────

_COUNTED_IDEA = "i.feature_id IS NOT NULL AND i.deleted_at IS NULL AND i.merged_into_id IS NULL"


def _add_evidence_demand(workspace_id: int, only: list[int] | None, places: _Places, out: np.ndarray) -> None:
    """evidence_demand in one aggregate query: each highlight weighs its importance × its note's
    company (by the workspace's demand settings), rounded to the cent; the same passage of a note
    counts once per feature, at its highest weight."""
    settings = DemandSettings.objects.filter(workspace_id=workspace_id).first() or DemandSettings(
        workspace_id=workspace_id
    )
    params: list[object] = [settings.nice_to_have_weight, settings.critical_weight, settings.important_weight]
    importance = (
        f"CASE h.importance WHEN '{Importance.NICE_TO_HAVE.value}' THEN %s "
        f"WHEN '{Importance.CRITICAL.value}' THEN %s ELSE %s END"
    )
    params.append(settings.no_company_weight)
    if settings.company_basis == CompanyBasis.NONE:
        company = "CASE WHEN n.company_id IS NULL THEN %s ELSE 1 END"
    elif settings.company_basis == CompanyBasis.TIER:
        company = (
            f"CASE WHEN n.company_id IS NULL THEN %s WHEN c.tier = '{Tier.STRATEGIC.value}' THEN %s "
            f"WHEN c.tier = '{Tier.KEY.value}' THEN %s ELSE %s END"
        )
        params += [settings.strategic_weight, settings.key_weight, settings.standard_weight]
    else:
        company = "CASE WHEN n.company_id IS NULL THEN %s ELSE 1 + c.arr / %s END"
        params.append(settings.arr_step)
    if connection.vendor != "postgresql":
        params = [float(p) for p in params]  # type: ignore[arg-type]
    end = connection.ops.quote_name("end")
    feature_where, feature_ids = _id_filter("h.feature_id", only)
    idea_where, idea_ids = _id_filter("i.feature_id", only)
    weight = f"ROUND({importance} * {company}, 2)"
    notes = f"JOIN {_table(FeedbackNote)} n ON n.id = h.note_id LEFT JOIN {_table(Company)} c ON c.id = n.company_id"
    # Two branches (evidence on the feature, evidence on its ideas), each able to use its index.
    sql = f"""
        SELECT fid, SUM(w) FROM (
            SELECT fid, MAX(w) AS w FROM (
                SELECT h.feature_id AS fid, h.note_id AS note_id, h.start AS start, h.{end} AS stop, {weight} AS w
                FROM {_table(Highlight)} h {notes}
                WHERE h.workspace_id = %s AND h.feature_id IS NOT NULL{feature_where}
                UNION ALL
                SELECT i.feature_id, h.note_id, h.start, h.{end}, {weight}
                FROM {_table(Highlight)} h JOIN {_table(Idea)} i ON i.id = h.idea_id {notes}
                WHERE h.workspace_id = %s AND {_COUNTED_IDEA}{idea_where}
            ) linked
            GROUP BY fid, note_id, start, stop
        ) passages
        GROUP BY fid
    """  # noqa: S608 — table names come from the models, values are parameters
    rows = _rows(sql, [*params, workspace_id, *feature_ids, *params, workspace_id, *idea_ids])
    places.scatter(rows, out, add=True)


# ── distinct companies and their ARR ──────────────────────────────────────────────────────────


def _add_companies(
    workspace_id: int, only: list[int] | None, places: _Places, companies: np.ndarray, arr: np.ndarray
) -> None:
    """Distinct companies behind the votes on linked ideas and behind the evidence, in one query."""
    quote = connection.ops.quote_name
    vote, idea, highlight, note, company = (
        quote(model._meta.db_table) for model in (Vote, Idea, Highlight, FeedbackNote, Company)
    )
    counted_idea = _COUNTED_IDEA
    params: list[int] = [workspace_id, workspace_id, workspace_id]
    idea_filter = feature_filter = ""
    if only is not None:
        marks = ", ".join(["%s"] * len(only))
        idea_filter = f" AND i.feature_id IN ({marks})"
        feature_filter = f" AND h.feature_id IN ({marks})"
        params = [workspace_id, *only, workspace_id, *only, workspace_id, *only]
    sql = f"""
        SELECT p.feature_id, COUNT(*), SUM(c.arr)
        FROM (
            SELECT i.feature_id AS feature_id, v.company_id AS company_id
            FROM {vote} v JOIN {idea} i ON i.id = v.idea_id
            WHERE i.workspace_id = %s AND {counted_idea} AND v.company_id IS NOT NULL{idea_filter}
            UNION
            SELECT h.feature_id, n.company_id
            FROM {highlight} h JOIN {note} n ON n.id = h.note_id
            WHERE h.workspace_id = %s AND h.feature_id IS NOT NULL AND n.company_id IS NOT NULL{feature_filter}
            UNION
            SELECT i.feature_id, n.company_id
            FROM {highlight} h JOIN {idea} i ON i.id = h.idea_id JOIN {note} n ON n.id = h.note_id
            WHERE h.workspace_id = %s AND {counted_idea} AND n.company_id IS NOT NULL{idea_filter}
        ) p JOIN {company} c ON c.id = p.company_id
        GROUP BY p.feature_id
    """  # noqa: S608 — table names come from the models, values are parameters
    places.scatter(_rows(sql, params), companies, arr)
