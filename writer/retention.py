"""Retention: delete rows older than N days, in small batches.

Each batch is its own short transaction, so Datasette's readers and the writer's requests
never wait long; the FTS and rollup triggers keep the index and the dashboards consistent.
Rows adopted from the earlier backend (client = 'legacy') are kept unless asked for: they
are the history the user had before, and an upgrade must not quietly delete it. Rows with
feedback are kept too unless asked for: they are the trainset.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from writer.migrations import TABLE

BATCH = 200


@dataclass
class RetentionReport:
    days: int
    cutoff: str
    rows: int
    oldest: str | None
    newest: str | None
    dry_run: bool


def _where(include_legacy: bool, include_labelled: bool = False) -> str:
    legacy = "" if include_legacy else " AND client IS NOT 'legacy'"
    labelled = "" if include_labelled else " AND id NOT IN (SELECT history_id FROM feedback)"
    return f"created_at < :cutoff{legacy}{labelled}"


def cutoff(conn: sqlite3.Connection, days: int) -> str:
    return conn.execute(
        "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :offset)", {"offset": f"-{int(days)} days"}
    ).fetchone()[0]


def preview(
    conn: sqlite3.Connection,
    days: int,
    include_legacy: bool = False,
    include_labelled: bool = False,
) -> RetentionReport:
    """What a run would delete, without deleting."""
    limit = cutoff(conn, days)
    rows, oldest, newest = conn.execute(
        f"SELECT count(*), min(created_at), max(created_at) FROM {TABLE} "
        f"WHERE {_where(include_legacy, include_labelled)}",
        {"cutoff": limit},
    ).fetchone()
    return RetentionReport(days, limit, rows, oldest, newest, dry_run=True)


def delete_batch(
    conn: sqlite3.Connection,
    limit: str,
    include_legacy: bool = False,
    batch: int = BATCH,
    include_labelled: bool = False,
) -> int:
    """Delete up to `batch` expired rows, oldest first, in one transaction (autocommit conn)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        expired = (
            f"SELECT id FROM {TABLE} WHERE {_where(include_legacy, include_labelled)} "
            "ORDER BY created_at LIMIT :batch"
        )
        params = {"cutoff": limit, "batch": batch}
        if include_labelled:  # feedback goes with its row
            conn.execute(f"DELETE FROM feedback WHERE history_id IN ({expired})", params)
        deleted = conn.execute(f"DELETE FROM {TABLE} WHERE id IN ({expired})", params).rowcount
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return deleted


def run(
    conn: sqlite3.Connection,
    days: int,
    include_legacy: bool = False,
    dry_run: bool = False,
    include_labelled: bool = False,
) -> RetentionReport:
    """Delete every expired row (or only count them), batch by batch."""
    report = preview(conn, days, include_legacy, include_labelled)
    if dry_run or not report.rows:
        report.dry_run = dry_run
        return report
    deleted = 0
    while True:
        n = delete_batch(conn, report.cutoff, include_legacy, include_labelled=include_labelled)
        deleted += n
        if n == 0:
            break
    report.rows, report.dry_run = deleted, False
    return report
