"""Schema of the history database, as sqlite-utils migrations.

Each migration runs in a transaction together with its record in `_sqlite_migrations`.
Databases left by the earlier backend are adopted in place by the first migration.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from writer import rollups

TABLE = "prompt_history"
FTS_COLUMNS = ["original_idea", "context", "improved_prompt"]

# CHECKs cannot be added by ALTER TABLE or transform(), so the canonical table is
# written out once here; later changes go through table.transform().
CREATE_PROMPT_HISTORY = """
CREATE TABLE prompt_history (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    request_id TEXT,
    client TEXT,
    mode TEXT,
    backend TEXT,
    status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error')),
    error TEXT,
    original_idea TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    improved_prompt TEXT,
    role TEXT,
    directive TEXT,
    framework TEXT,
    framework_raw TEXT,
    guardrails TEXT,
    reasoning TEXT,
    confidence REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    provider TEXT,
    model TEXT,
    latency_ms REAL CHECK (latency_ms IS NULL OR latency_ms >= 0),
    prompt_tokens INTEGER CHECK (prompt_tokens IS NULL OR prompt_tokens >= 0),
    completion_tokens INTEGER CHECK (completion_tokens IS NULL OR completion_tokens >= 0),
    cost_usd REAL CHECK (cost_usd IS NULL OR cost_usd >= 0)
)
"""

COLUMNS = [
    "created_at",
    "request_id",
    "client",
    "mode",
    "backend",
    "status",
    "error",
    "original_idea",
    "context",
    "improved_prompt",
    "role",
    "directive",
    "framework",
    "framework_raw",
    "guardrails",
    "reasoning",
    "confidence",
    "provider",
    "model",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "row_key",
    "program_hash",
    "user_agent",
    "task",
    "subject",
]

migrations = Migrations("prompt_improver")


@dataclass
class MigrationReport:
    path: Path
    adopted: str | None = None
    applied: list[str] = field(default_factory=list)
    rows: int = 0


def _legacy_shape(db: sqlite_utils.Database) -> str | None:
    """Which earlier backend left this table: 'a' (created_at, JSON guardrails) or 'b'."""
    if not db[TABLE].exists():
        return None
    columns = set(db[TABLE].columns_dict)
    if "request_id" in columns:
        return None
    if "timestamp" in columns and "created_at" not in columns:
        return "b"
    return "a"


def _lines_to_json(text: str | None) -> str | None:
    """Shape (b) stored guardrails as newline-separated lines; we store a JSON array."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            if isinstance(json.loads(stripped), list):
                return stripped
        except ValueError:
            pass
    lines = [line.strip().lstrip("-*•0123456789.) ").strip() for line in text.splitlines()]
    return json.dumps([line for line in lines if line], ensure_ascii=False)


def _adopt(db: sqlite_utils.Database, shape: str) -> None:
    """Rebuild a legacy table in the canonical schema, keeping every row with its id."""
    old_columns = set(db[TABLE].columns_dict)

    def col(name: str, default: str = "NULL") -> str:
        return f'"{name}"' if name in old_columns else default

    if shape == "a":
        created_at = col("created_at", "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
        guardrails = col("guardrails")
        model = col("model")
    else:
        db.conn.create_function("pi_lines_to_json", 1, _lines_to_json, deterministic=True)
        created_at = col("timestamp", "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
        guardrails = f"pi_lines_to_json({col('guardrails')})"
        model = col("model_version")
    # Values outside the new CHECKs would abort the copy: keep the row, null the value.
    confidence = col("confidence")
    latency = col("latency_ms")
    select = {
        "id": '"id"',
        "created_at": f"COALESCE({created_at}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        "client": "'legacy'",
        "mode": "'legacy'",
        "backend": col("backend"),
        "status": "'ok'",
        "original_idea": f"COALESCE({col('original_idea')}, '')",
        "context": f"COALESCE({col('context')}, '')",
        "improved_prompt": col("improved_prompt"),
        "role": col("role"),
        "directive": col("directive"),
        "framework": col("framework"),
        "framework_raw": col("framework"),
        "guardrails": guardrails,
        "reasoning": col("reasoning"),
        "confidence": f"CASE WHEN {confidence} BETWEEN 0 AND 1 THEN {confidence} END",
        "provider": col("provider"),
        "model": model,
        "latency_ms": f"CASE WHEN {latency} >= 0 THEN {latency} END",
    }
    legacy_name = "_prompt_history_legacy"
    db.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{legacy_name}"')
    db.execute(CREATE_PROMPT_HISTORY)
    db.execute(
        f"INSERT INTO {TABLE} ({', '.join(select)}) "
        f'SELECT {", ".join(select.values())} FROM "{legacy_name}"'
    )
    db.execute(f'DROP TABLE "{legacy_name}"')


@migrations()
def m001_prompt_history(db: sqlite_utils.Database) -> None:
    shape = _legacy_shape(db)
    if shape:
        _adopt(db, shape)
    elif not db[TABLE].exists():
        db.execute(CREATE_PROMPT_HISTORY)


@migrations()
def m002_indexes(db: sqlite_utils.Database) -> None:
    table = db.table(TABLE)
    for columns in (
        ["created_at"],
        ["model"],
        ["backend"],
        ["framework"],
        ["status"],
        ["request_id"],
    ):
        table.create_index(columns, if_not_exists=True)


@migrations()
def m003_search(db: sqlite_utils.Database) -> None:
    table = db.table(TABLE)
    # unicode61 with diacritics removed, so "funcion" finds "función" (ideas are often Spanish).
    table.enable_fts(
        FTS_COLUMNS, create_triggers=True, tokenize="unicode61 remove_diacritics 2", replace=True
    )
    table.populate_fts(FTS_COLUMNS)


@migrations()
def m004_rollups(db: sqlite_utils.Database) -> None:
    rollups.create(db, TABLE)
    # Newest-first lists filtered by one column read these instead of sorting every match.
    table = db.table(TABLE)
    for columns in (
        ["framework", "created_at"],
        ["status", "created_at"],
        ["model", "created_at"],
        # "Slowest in the last N days" walks this backwards without touching the table.
        ["latency_ms", "created_at"],
        ["mode"],
    ):
        table.create_index(columns, if_not_exists=True)


@migrations()
def m005_views(db: sqlite_utils.Database) -> None:
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


@migrations()
def m006_row_key(db: sqlite_utils.Database) -> None:
    # A key per row, given when the row is made: replaying a spool twice inserts it once.
    db.table(TABLE).add_column("row_key", str)
    db.table(TABLE).create_index(["row_key"], unique=True, if_not_exists=True)


@migrations()
def m007_feedback_and_evals(db: sqlite_utils.Database) -> None:
    # Which compiled few-shot program answered (sha256 prefix of its file); NULL otherwise.
    db.table(TABLE).add_column("program_hash", str)
    db.table(TABLE).create_index(["backend", "program_hash"], if_not_exists=True)
    db.execute(CREATE_FEEDBACK)
    db.table("feedback").create_index(["history_id", "id"], if_not_exists=True)
    db.execute(CREATE_EVAL_RUNS)
    db.execute(CREATE_EVAL_RESULTS)
    db.table("eval_results").create_index(["run_id", "example"], if_not_exists=True)
    for name, sql in FEEDBACK_VIEWS.items():
        db.create_view(name, sql, replace=True)


@migrations()
def m008_user_agent(db: sqlite_utils.Database) -> None:
    # The caller's User-Agent as sent (cut to 200 characters): `client` is our reading of it
    # (the Raycast extension sends no X-Client and "node"), this is the evidence.
    db.table(TABLE).add_column("user_agent", str)


@migrations()
def m009_task_and_subject(db: sqlite_utils.Database) -> None:
    # What the offline improver recognised (writer/offline/taxonomy.py), so the history can be
    # faceted by kind of task and subject; NULL for answers from an LLM.
    table = db.table(TABLE)
    table.add_column("task", str)
    table.add_column("subject", str)
    table.create_index(["task"], if_not_exists=True)
    table.create_index(["subject"], if_not_exists=True)


@migrations()
def m010_drop_redundant_indexes(db: sqlite_utils.Database) -> None:
    # m004's (column, created_at) indexes answer every lookup these did, and each index
    # is one more page written per commit: 29 -> 25 pages for a one-row commit, ~10 % of
    # the writer's time per row (docs/performance.md).
    for column in ("model", "backend", "framework", "status"):
        db.execute(f"DROP INDEX IF EXISTS idx_{TABLE}_{column}")


# Several per history row are allowed; the latest (highest id) is the one that counts.
CREATE_FEEDBACK = f"""
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    history_id INTEGER NOT NULL REFERENCES {TABLE}(id),
    created_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'edited', 'rejected')),
    final_prompt TEXT,
    rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    comment TEXT,
    client TEXT,
    request_id TEXT,
    CHECK (outcome != 'edited' OR length(trim(final_prompt)) > 0)
)
"""

CREATE_EVAL_RUNS = """
CREATE TABLE IF NOT EXISTS eval_runs (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_hash TEXT NOT NULL,
    backend TEXT NOT NULL,
    program_path TEXT,
    program_hash TEXT,
    optimizer TEXT,
    metric TEXT NOT NULL,
    provider TEXT,
    model TEXT,
    examples INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    score REAL,
    passed INTEGER NOT NULL,
    duration_s REAL
)
"""

CREATE_EVAL_RESULTS = """
CREATE TABLE IF NOT EXISTS eval_results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES eval_runs(id),
    example INTEGER NOT NULL,
    original_idea TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    score REAL,
    passed INTEGER,
    checks TEXT,
    improved_prompt TEXT,
    framework TEXT,
    guardrails INTEGER,
    error TEXT,
    judge_rationale TEXT
)
"""

# The label a trainset takes from a row: the text the person kept (edited) or the prompt.
FEEDBACK_VIEWS = {
    "latest_feedback": """
        SELECT f.history_id, f.id AS feedback_id, f.created_at, f.outcome, f.final_prompt,
            f.rating, f.comment
        FROM feedback f
        WHERE f.id = (SELECT max(id) FROM feedback WHERE history_id = f.history_id)
    """,
    # Every successful row with its latest outcome and the label a trainset takes from it.
    "labelled_history": f"""
        SELECT h.id, h.created_at, h.mode, h.backend, h.program_hash, h.model,
            h.original_idea, h.context,
            CASE WHEN f.outcome = 'edited' THEN f.final_prompt ELSE h.improved_prompt END
                AS improved_prompt,
            h.role, h.directive, h.framework, h.guardrails, h.confidence,
            coalesce(f.outcome, 'none') AS outcome, f.rating, f.comment,
            h.improved_prompt AS generated_prompt
        FROM {TABLE} h
        LEFT JOIN latest_feedback f ON f.history_id = h.id
        WHERE h.status = 'ok' AND h.improved_prompt IS NOT NULL
    """,
    # What `prompt-improver export --format dspy` takes by default: nothing rejected.
    "trainset": "SELECT * FROM labelled_history WHERE outcome != 'rejected'",
}


VIEWS = {
    # Successful rows with what a trainset needs (the shape of the seed few-shot data).
    "improvements_ok": f"""
        SELECT id, created_at, mode, backend, model, original_idea, context, improved_prompt,
            role, directive, framework, guardrails, reasoning, confidence
        FROM {TABLE}
        WHERE status = 'ok' AND improved_prompt IS NOT NULL
    """,
    # Failed requests, and the LLM failures a fallback answer covered.
    "failures": f"""
        SELECT id, created_at,
            CASE WHEN status = 'error' THEN 'error' ELSE 'fallback' END AS kind,
            mode, backend, provider, model, error, latency_ms, request_id, client, original_idea
        FROM {TABLE}
        WHERE status = 'error' OR error IS NOT NULL
    """,
}


def connect(path: Path | str, *, busy_timeout_ms: int = 5000) -> sqlite_utils.Database:
    """Open for writing: WAL, NORMAL sync (durable across app crashes), a busy timeout."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def open_writer(path: Path | str, *, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """A migrated database's write connection, in autocommit: callers issue BEGIN/COMMIT."""
    migrate(path, busy_timeout_ms=busy_timeout_ms)
    conn = connect(path, busy_timeout_ms=busy_timeout_ms).conn
    conn.isolation_level = None
    return conn


def migrate(path: Path | str, *, busy_timeout_ms: int = 5000) -> MigrationReport:
    """Bring the database at `path` to the current schema; say what was done."""
    db = connect(path, busy_timeout_ms=busy_timeout_ms)
    try:
        report = MigrationReport(path=Path(path), adopted=_legacy_shape(db))
        report.applied = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
        report.rows = db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        return report
    finally:
        db.close()
