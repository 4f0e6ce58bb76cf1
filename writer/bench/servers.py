"""The server variants the benchmark compares, each run by uvicorn with the same settings.

    python -m writer.bench.servers VARIANT --port 8000 --db /tmp/bench.db

Every variant runs with `serve`'s uvicorn settings (writer/http.py uvicorn_options: the same
protocol class, no access log), so the comparison is of the write paths, not of servers.

- ours: the real app (`serve`), Datasette mounted, recording on. (`bench` runs `serve` itself
  for this one, so its start-up and memory are the command's; this is for running it by hand.)
- ours-nofts: the same without the full-text index triggers, to measure what FTS costs.
- ceiling: a bare Starlette app whose one endpoint reads, parses and validates a history body
  and answers 201 without storing (no middleware, no Datasette): the most any write endpoint
  on this stack could do.
- earlier: the earlier backend's design: per request, open an aiosqlite connection, set WAL
  and the pragmas, create the table and indexes if missing, insert, commit, close.
- naive: one sqlite-utils insert and commit per request, in Starlette's thread pool.
- improve-on / improve-off: the real app with an instant in-process LM, recording on or off.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from writer.http import SWITCH_INTERVAL_S, uvicorn_options
from writer.settings import Settings

VARIANTS = ("ours", "ours-nofts", "ceiling", "earlier", "naive", "improve-on", "improve-off")

EARLIER_SCHEMA = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    """CREATE TABLE IF NOT EXISTS prompt_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
        original_idea TEXT NOT NULL, context TEXT, improved_prompt TEXT NOT NULL,
        role TEXT, directive TEXT, framework TEXT, guardrails TEXT, reasoning TEXT,
        confidence REAL CHECK (confidence >= 0 AND confidence <= 1), backend TEXT, model TEXT,
        provider TEXT, latency_ms INTEGER CHECK (latency_ms >= 0))""",
    "CREATE INDEX IF NOT EXISTS idx_created_at ON prompt_history(created_at)",
    "CREATE INDEX IF NOT EXISTS idx_backend ON prompt_history(backend)",
    "CREATE INDEX IF NOT EXISTS idx_model ON prompt_history(model)",
]
EARLIER_COLUMNS = [
    "created_at",
    "original_idea",
    "context",
    "improved_prompt",
    "role",
    "directive",
    "framework",
    "guardrails",
    "reasoning",
    "confidence",
    "backend",
    "model",
    "provider",
    "latency_ms",
]


def instant_lm() -> Any:
    """An LM that answers at once, through DSPy's real adapter (formatting and parsing)."""
    from dspy.utils.dummies import DummyLM

    answer = {
        "reasoning": "An API design: decomposition keeps it reviewable.",
        "improved_prompt": "Role: You are a senior API architect.\n\nDirective: Design the "
        "API.\n\nFramework: Decomposition.\n\nGuardrails:\n- Use HTTP semantics.",
        "role": "You are a senior API architect.",
        "directive": "Design the API.",
        "framework": "Decomposition",
        "guardrails": ["Use HTTP semantics", "Version the API", "Document every error"],
        "confidence": 0.82,
    }

    class InstantLM(DummyLM):
        """DummyLM that never runs out of answers."""

        def __init__(self) -> None:
            super().__init__([answer])

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            self.answers = iter([answer])
            return super().forward(*args, **kwargs)

    return InstantLM()


def _settings(db: Path, **overrides: Any) -> Settings:
    return Settings(_env_file=None, sqlite_db_path=db, sqlite_retention_days=0, **overrides)


def ceiling_app(db: Path) -> Starlette:
    """The most a write endpoint on this stack can do: the same body reading, parsing and
    validation as `POST /api/v1/history`, then 201; no middleware, no Datasette, no storage."""
    from writer import api
    from writer.records import parse_records

    async def validate_only(request: Request) -> JSONResponse:
        settings = request.app.state.settings
        records = parse_records(await api.read_json(request, settings.history_max_body_bytes))
        rows = [record.to_row() for record in records]
        return JSONResponse({"ids": [0] * len(rows), "count": len(rows)}, status_code=201)

    app = Starlette(
        routes=[
            Route("/api/v1/history", validate_only, methods=["POST"]),
            Route("/health", _health),
        ]
    )
    app.state.settings = _settings(db)
    return app


def earlier_app(db: Path) -> Starlette:
    import aiosqlite

    async def save(request: Request) -> JSONResponse:
        record = json.loads(await request.body())
        async with aiosqlite.connect(db) as conn:
            for statement in EARLIER_SCHEMA:
                await conn.execute(statement)
            values = [record.get(c) for c in EARLIER_COLUMNS]
            values[0] = values[0] or "2026-01-01T00:00:00Z"
            values[7] = json.dumps(values[7])
            cursor = await conn.execute(
                f"INSERT INTO prompt_history ({', '.join(EARLIER_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in EARLIER_COLUMNS)})",
                values,
            )
            await conn.commit()
            return JSONResponse({"ids": [cursor.lastrowid], "count": 1}, status_code=201)

    return Starlette(
        routes=[Route("/api/v1/history", save, methods=["POST"]), Route("/health", _health)]
    )


def naive_app(db: Path) -> Starlette:
    import sqlite_utils

    from writer.migrations import migrate
    from writer.records import parse_records

    migrate(db)
    local = threading.local()

    def save(request_body: bytes) -> list[int]:
        if not hasattr(local, "db"):
            local.db = sqlite_utils.Database(db)
            local.db.execute("PRAGMA busy_timeout = 5000")
        rows = [r.to_row() for r in parse_records(json.loads(request_body))]
        table = local.db.table("prompt_history")
        ids = []
        for row in rows:
            row["guardrails"] = json.dumps(row["guardrails"])
            ids.append(table.insert(row).last_pk)  # sqlite-utils commits each insert
        return ids

    async def endpoint(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        try:
            ids = await run_in_threadpool(save, await request.body())
        except sqlite3.OperationalError as exc:  # "database is locked" under contention
            return JSONResponse({"detail": str(exc)}, status_code=503)
        return JSONResponse({"ids": ids, "count": len(ids)}, status_code=201)

    return Starlette(
        routes=[Route("/api/v1/history", endpoint, methods=["POST"]), Route("/health", _health)]
    )


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "healthy"})


def make_app(variant: str, db: Path) -> Any:
    from writer.app import create_app

    if variant == "ours":
        return create_app(_settings(db))
    if variant == "ours-nofts":
        from writer.migrations import TABLE, migrate

        migrate(db)
        with sqlite3.connect(db) as conn:
            for suffix in ("ai", "ad", "au"):
                conn.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{suffix}")
        return create_app(_settings(db))
    if variant == "ceiling":
        return ceiling_app(db)
    if variant == "earlier":
        return earlier_app(db)
    if variant == "naive":
        return naive_app(db)
    if variant in ("improve-on", "improve-off"):
        return create_app(_settings(db, sqlite_enabled=variant == "improve-on"), lm=instant_lm())
    raise SystemExit(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one benchmark server variant.")
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    options = uvicorn_options(_settings(args.db), log_level="warning")
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # as `serve` does (the ceiling has one thread)
    uvicorn.run(make_app(args.variant, args.db), host="127.0.0.1", port=args.port, **options)


if __name__ == "__main__":
    main()
