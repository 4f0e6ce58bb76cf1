"""Fresh databases and both shapes left by the earlier backend, adopted in place."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner

from writer.cli import cli
from writer.migrations import COLUMNS, migrate

SHAPE_A = """
CREATE TABLE prompt_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    original_idea TEXT NOT NULL,
    context TEXT,
    improved_prompt TEXT NOT NULL,
    role TEXT, directive TEXT, framework TEXT,
    guardrails TEXT,
    reasoning TEXT,
    confidence REAL CHECK (confidence >= 0 AND confidence <= 1),
    backend TEXT, model TEXT, provider TEXT,
    latency_ms INTEGER CHECK (latency_ms >= 0)
);
CREATE INDEX idx_created ON prompt_history(created_at);
CREATE TABLE schema_info (version INTEGER);
INSERT INTO schema_info VALUES (2);
CREATE TABLE prompts (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO prompts VALUES (1, 'kept');
CREATE TABLE test_cases (id INTEGER PRIMARY KEY, input TEXT);
CREATE TABLE opro_trajectory (id INTEGER PRIMARY KEY, score REAL);
CREATE TABLE prompt_cache (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO prompt_cache VALUES ('k', 'v');
"""

SHAPE_B = """
CREATE TABLE prompt_history (
    id INTEGER PRIMARY KEY,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
    original_idea TEXT, context TEXT, improved_prompt TEXT,
    role TEXT, directive TEXT, framework TEXT,
    guardrails TEXT,
    backend TEXT CHECK (backend IN ('zero-shot', 'few-shot')),
    confidence REAL, reasoning TEXT, latency_ms REAL, model_version TEXT
);
CREATE TABLE schema_metadata (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO schema_metadata VALUES ('version', '1');
"""


def _legacy_a(path, n=40):
    conn = sqlite3.connect(path)
    conn.executescript(SHAPE_A)
    for i in range(1, n + 1):
        conn.execute(
            "INSERT INTO prompt_history (id, created_at, original_idea, context, improved_prompt,"
            " role, directive, framework, guardrails, reasoning, confidence, backend, model,"
            " provider, latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                i * 3,
                f"2025-06-{i % 28 + 1:02d}T10:00:00",
                f"Idea número {i} sobre Kubernetes",
                None if i % 2 else "ctx",
                f"Role: r{i}",
                "r",
                "d",
                "Chain of Thought",
                json.dumps([f"g{i}", "two"]),
                "because",
                0.5,
                "dspy",
                "llama3",
                "ollama",
                100 + i,
            ),
        )
    conn.commit()
    conn.close()


def _legacy_b(path, n=25):
    conn = sqlite3.connect(path)
    conn.executescript(SHAPE_B)
    for i in range(1, n + 1):
        conn.execute(
            "INSERT INTO prompt_history (id, timestamp, original_idea, context, improved_prompt,"
            " role, directive, framework, guardrails, backend, confidence, reasoning, latency_ms,"
            " model_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                i,
                f"2025-03-{i:02d} 09:30:00",
                f"Write tests for service {i}",
                "",
                f"Prompt {i}",
                "role",
                "dir",
                "decomposition",
                "1. First rule\n2. Second rule\n\n- Third rule",
                "few-shot" if i % 2 else "zero-shot",
                1.7 if i == 5 else 0.75,
                "why",
                250.0,
                "gpt-4o-mini",
            ),
        )
    conn.commit()
    conn.close()


def test_fresh_database(tmp_path):
    report = migrate(tmp_path / "new.db")
    assert report.applied == [
        "m001_prompt_history",
        "m002_indexes",
        "m003_search",
        "m004_rollups",
        "m005_views",
        "m006_row_key",
        "m007_feedback_and_evals",
        "m008_user_agent",
        "m009_task_and_subject",
        "m010_drop_redundant_indexes",
    ]
    db = sqlite_utils.Database(tmp_path / "new.db")
    assert [c for c in db["prompt_history"].columns_dict if c != "id"] == COLUMNS
    assert db["prompt_history"].detect_fts() == "prompt_history_fts"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO prompt_history (created_at, original_idea, confidence) "
            "VALUES ('x', 'y', 2)"
        )
    assert migrate(tmp_path / "new.db").applied == []


def test_shape_a_is_adopted_with_every_row_and_other_tables_untouched(tmp_path):
    path = tmp_path / "a.db"
    _legacy_a(path)
    before = sqlite_utils.Database(path)
    old_rows = list(before["prompt_history"].rows_where(order_by="id"))
    before.close()

    report = migrate(path)
    assert report.adopted == "a" and report.rows == 40

    db = sqlite_utils.Database(path)
    new_rows = list(db["prompt_history"].rows_where(order_by="id"))
    assert [r["id"] for r in new_rows] == [r["id"] for r in old_rows]
    for old, new in zip(old_rows, new_rows, strict=True):
        for key, value in old.items():
            assert new[key] == (value if key != "context" else value or ""), key
        assert new["status"] == "ok" and new["framework_raw"] == old["framework"]
    assert db.execute("SELECT version FROM schema_info").fetchall() == [(2,)]
    assert db.execute("SELECT name FROM prompts").fetchall() == [("kept",)]
    assert db.execute("SELECT value FROM prompt_cache").fetchall() == [("v",)]
    assert {"test_cases", "opro_trajectory"} <= set(db.table_names())
    # Adopted rows are searchable, and new rows continue after the highest old id.
    hits = db.execute(
        "SELECT rowid FROM prompt_history_fts WHERE prompt_history_fts MATCH 'numero'"
    ).fetchall()
    assert len(hits) == 40
    new_id = db["prompt_history"].insert({"created_at": "x", "original_idea": "y"}).last_pk
    assert new_id == 121


def test_shape_b_is_adopted_with_guardrails_as_json(tmp_path):
    path = tmp_path / "b.db"
    _legacy_b(path)
    report = migrate(path)
    assert report.adopted == "b" and report.rows == 25
    db = sqlite_utils.Database(path)
    rows = list(db["prompt_history"].rows_where(order_by="id"))
    assert [r["id"] for r in rows] == list(range(1, 26))
    first = rows[0]
    assert first["created_at"] == "2025-03-01 09:30:00"
    assert first["model"] == "gpt-4o-mini"
    assert json.loads(first["guardrails"]) == ["First rule", "Second rule", "Third rule"]
    assert {r["backend"] for r in rows} == {"few-shot", "zero-shot"}
    # An out-of-range confidence cannot pass the new CHECK: the row is kept, the value nulled.
    assert rows[4]["confidence"] is None and rows[3]["confidence"] == 0.75
    assert db.execute("SELECT value FROM schema_metadata").fetchall() == [("1",)]


def test_migrate_command_says_what_it_did(tmp_path):
    path = tmp_path / "a.db"
    _legacy_a(path, n=3)
    first = CliRunner().invoke(cli, ["migrate", "--db", str(path)])
    assert first.exit_code == 0, first.output
    assert "Adopted a database from the earlier backend (shape a)" in first.output
    assert "m001_prompt_history" in first.output and "3 rows" in first.output
    second = CliRunner().invoke(cli, ["migrate", "--db", str(path)])
    assert "up to date" in second.output


def _rollups(db) -> tuple[list, list]:
    stats = db.execute("SELECT * FROM daily_stats ORDER BY 1, 2, 3, 4, 5, 6").fetchall()
    hist = db.execute("SELECT * FROM daily_histograms ORDER BY 1, 2, 3, 4").fetchall()
    return stats, hist


def _same(a: list[tuple], b: list[tuple]) -> bool:
    # Float sums kept incrementally differ from a fresh sum in the last bits only.
    return len(a) == len(b) and all(
        x == pytest.approx(y, rel=1e-9, abs=1e-9) if isinstance(x, float) else x == y
        for row_a, row_b in zip(a, b, strict=True)
        for x, y in zip(row_a, row_b, strict=True)
    )


def test_rollups_follow_inserts_updates_and_deletes(tmp_path):
    from writer import rollups
    from writer.bench import demo

    path = tmp_path / "r.db"
    demo.write(path, 600, days=20, seed=3)
    db = sqlite_utils.Database(path)
    db.execute(
        "UPDATE prompt_history SET model = 'renamed', latency_ms = latency_ms * 3 WHERE id % 7 = 0"
    )
    db.execute("DELETE FROM prompt_history WHERE id % 5 = 0")
    db.conn.commit()
    kept_by_triggers = _rollups(db)
    assert sum(row[6] for row in kept_by_triggers[0]) == 480
    rollups.backfill(db, "prompt_history")
    recomputed = _rollups(db)
    assert _same(recomputed[0], kept_by_triggers[0])
    assert recomputed[1] == kept_by_triggers[1]
    db.execute("DELETE FROM prompt_history")
    db.conn.commit()
    assert _rollups(db) == ([], [])


def test_adopted_rows_are_counted_in_the_rollups(tmp_path):
    path = tmp_path / "a.db"
    _legacy_a(path, n=10)
    migrate(path)
    db = sqlite_utils.Database(path)
    assert db.execute("SELECT sum(requests) FROM daily_stats").fetchone()[0] == 10
    assert db.execute("SELECT count(*) FROM improvements_ok").fetchone()[0] == 10


def test_export_from_a_database_left_by_the_earlier_backend(tmp_path):
    path = tmp_path / "b.db"
    _legacy_b(path, n=4)
    out = tmp_path / "all.jsonl"
    result = CliRunner().invoke(
        cli, ["export", "--format", "jsonl", "-o", str(out), "--db", str(path)]
    )
    assert result.exit_code == 0, result.output  # adopted and migrated on the way
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["outputs"]["guardrails"] == "1. First rule\n2. Second rule\n3. Third rule"
    assert rows[0]["outcome"] == "none"
    # "Prompt 1" is no usable label: the trainset export says so instead of writing it.
    result = CliRunner().invoke(
        cli, ["export", "--format", "dspy", "-o", str(tmp_path / "t.json"), "--db", str(path)]
    )
    assert "Wrote 0 of 4 rows" in result.output
    assert "skipped 4: improved_prompt is empty or shorter than 40 characters" in result.output


def test_lookups_by_column_still_use_an_index_after_m010(tmp_path):
    """The single-column indexes m010 drops were covered by (column, created_at) ones."""
    migrate(tmp_path / "new.db")
    conn = sqlite3.connect(tmp_path / "new.db")
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        for column in ("model", "backend", "framework", "status"):
            assert f"idx_prompt_history_{column}" not in names
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    f"EXPLAIN QUERY PLAN SELECT {column}, count(*) FROM prompt_history "
                    f"WHERE {column} = ? GROUP BY {column}",
                    ["x"],
                )
            )
            assert "USING COVERING INDEX idx_prompt_history_" in plan, (column, plan)
    finally:
        conn.close()
