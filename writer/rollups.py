"""Daily rollups kept current by triggers, so dashboards stay fast at millions of rows.

`daily_stats` holds counts and sums per day, mode, backend, model, status and framework.
`daily_histograms` holds per-day histograms of latency (per model) and confidence (per
backend), from which p50/p95 are read. Triggers on prompt_history add on insert and
subtract on delete, inside the writer's own transaction, so the rollups always agree with
the rows (retention deletes included).
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

# Upper bounds of the latency buckets in ms: about 19% apart from 1 ms to 10 minutes, so an
# interpolated percentile is within a few percent of the exact one.
LATENCY_BOUNDS = [round(1.19**i, 1) for i in range(77)]
CONFIDENCE_BUCKETS = 20  # 0.05 wide

CREATE = """
CREATE TABLE daily_stats (
    day TEXT NOT NULL,
    mode TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    framework TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    fallbacks INTEGER NOT NULL DEFAULT 0,
    latency_ms_sum REAL NOT NULL DEFAULT 0,
    latency_n INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    confidence_sum REAL NOT NULL DEFAULT 0,
    confidence_n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, mode, backend, model, status, framework)
) WITHOUT ROWID;
CREATE TABLE daily_histograms (
    day TEXT NOT NULL,
    metric TEXT NOT NULL,
    series TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, metric, series, bucket)
) WITHOUT ROWID;
CREATE TABLE histogram_buckets (
    metric TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    lower REAL NOT NULL,
    upper REAL NOT NULL,
    PRIMARY KEY (metric, bucket)
) WITHOUT ROWID;
"""

KEY_COLUMNS = ["day", "mode", "backend", "model", "status", "framework"]
MEASURES = [
    "requests",
    "fallbacks",
    "latency_ms_sum",
    "latency_n",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "confidence_sum",
    "confidence_n",
]


def _key(r: str) -> list[str]:
    """The rollup key of row `r` ("new" or "old" in a trigger)."""
    return [
        f"substr({r}.created_at, 1, 10)",
        f"coalesce({r}.mode, '')",
        f"coalesce({r}.backend, '')",
        f"coalesce({r}.model, '')",
        f"{r}.status",
        f"coalesce({r}.framework, '')",
    ]


def _measures(r: str) -> list[str]:
    return [
        "1",
        f"({r}.status = 'ok' AND {r}.error IS NOT NULL)",
        f"coalesce({r}.latency_ms, 0)",
        f"({r}.latency_ms IS NOT NULL)",
        f"coalesce({r}.prompt_tokens, 0)",
        f"coalesce({r}.completion_tokens, 0)",
        f"coalesce({r}.cost_usd, 0)",
        f"coalesce({r}.confidence, 0)",
        f"({r}.confidence IS NOT NULL)",
    ]


def _latency_bucket(value: str) -> str:
    whens = " ".join(f"WHEN {value} <= {upper} THEN {i}" for i, upper in enumerate(LATENCY_BOUNDS))
    return f"CASE {whens} ELSE {len(LATENCY_BOUNDS)} END"


def _confidence_bucket(value: str) -> str:
    return f"min(CAST({value} * {CONFIDENCE_BUCKETS} AS INTEGER), {CONFIDENCE_BUCKETS - 1})"


def _histogram_keys(r: str) -> list[str]:
    """SELECTs giving the (day, metric, series, bucket) keys row `r` counts in."""
    day = f"substr({r}.created_at, 1, 10)"
    return [
        f"SELECT {day}, 'latency', coalesce({r}.model, {r}.backend, ''), "
        f"{_latency_bucket(f'{r}.latency_ms')} WHERE {r}.latency_ms IS NOT NULL",
        f"SELECT {day}, 'confidence', coalesce({r}.backend, ''), "
        f"{_confidence_bucket(f'{r}.confidence')} WHERE {r}.confidence IS NOT NULL",
    ]


def add_sql(r: str) -> str:
    """Statements that count row `r` into the rollups."""
    columns = ", ".join(KEY_COLUMNS + MEASURES)
    values = ", ".join(_key(r) + _measures(r))
    sets = ", ".join(f"{m} = {m} + excluded.{m}" for m in MEASURES)
    statements = [
        f"INSERT INTO daily_stats ({columns}) VALUES ({values}) ON CONFLICT DO UPDATE SET {sets};"
    ]
    for keys in _histogram_keys(r):
        select = keys.replace(" WHERE ", ", 1 WHERE ", 1)
        statements.append(
            f"INSERT INTO daily_histograms (day, metric, series, bucket, n) {select} "
            "ON CONFLICT DO UPDATE SET n = n + 1;"
        )
    return "\n".join(statements)


def subtract_sql(r: str) -> str:
    """Statements that take row `r` out of the rollups, dropping emptied rollup rows."""
    where = " AND ".join(f"{c} = {v}" for c, v in zip(KEY_COLUMNS, _key(r), strict=True))
    sets = ", ".join(f"{m} = {m} - {v}" for m, v in zip(MEASURES, _measures(r), strict=True))
    statements = [
        f"UPDATE daily_stats SET {sets} WHERE {where};",
        f"DELETE FROM daily_stats WHERE requests <= 0 AND {where};",
    ]
    for keys in _histogram_keys(r):
        match = f"(day, metric, series, bucket) IN ({keys})"
        statements.append(f"UPDATE daily_histograms SET n = n - 1 WHERE {match};")
        statements.append(f"DELETE FROM daily_histograms WHERE n <= 0 AND {match};")
    return "\n".join(statements)


def run_script(db: sqlite_utils.Database, sql: str) -> None:
    """Run several statements inside the open transaction. sqlite-utils' executescript does
    this too, but re-joins the script at every character (quadratic: most of a fresh
    database's start-up); here a statement ends only at a `;` that completes it."""
    pending = ""
    for part in sql.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                db.execute(pending)
            pending = ""
    if pending.strip(" \n\t;"):
        db.execute(pending)


def create(db: sqlite_utils.Database, table: str) -> None:
    """Create the rollup tables and triggers, and count the rows already in `table`."""
    run_script(db, CREATE)
    bounds = [0.0, *LATENCY_BOUNDS, float(10**9)]
    db["histogram_buckets"].insert_all(
        [
            {"metric": "latency", "bucket": i, "lower": bounds[i], "upper": bounds[i + 1]}
            for i in range(len(bounds) - 1)
        ]
        + [
            {
                "metric": "confidence",
                "bucket": i,
                "lower": i / CONFIDENCE_BUCKETS,
                "upper": (i + 1) / CONFIDENCE_BUCKETS,
            }
            for i in range(CONFIDENCE_BUCKETS)
        ]
    )
    run_script(
        db,
        f"""
        CREATE TRIGGER {table}_rollup_ai AFTER INSERT ON {table} BEGIN
        {add_sql("new")}
        END;
        CREATE TRIGGER {table}_rollup_ad AFTER DELETE ON {table} BEGIN
        {subtract_sql("old")}
        END;
        CREATE TRIGGER {table}_rollup_au AFTER UPDATE ON {table} BEGIN
        {subtract_sql("old")}
        {add_sql("new")}
        END;
    """,
    )
    backfill(db, table)


def backfill(db: sqlite_utils.Database, table: str) -> None:
    """Recompute the rollups from every row (used once at creation, and by tests to compare)."""
    r = "r"
    db.execute("DELETE FROM daily_stats")
    db.execute("DELETE FROM daily_histograms")
    sums = ", ".join(f"sum({v})" for v in _measures(r))
    db.execute(
        f"INSERT INTO daily_stats ({', '.join(KEY_COLUMNS + MEASURES)}) "
        f"SELECT {', '.join(_key(r))}, {sums} FROM {table} AS r GROUP BY 1, 2, 3, 4, 5, 6"
    )
    for keys in _histogram_keys(r):
        select, where = keys.split(" WHERE ", 1)
        db.execute(
            f"INSERT INTO daily_histograms (day, metric, series, bucket, n) "
            f"{select}, count(*) FROM {table} AS r WHERE {where} GROUP BY 1, 2, 3, 4"
        )
