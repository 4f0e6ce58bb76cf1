"""Time every dashboard chart, canned query and main page through Datasette itself.

Requests go through the real app (Datasette with our metadata and plugins, in process), so
Datasette's own 1 s SQL time limit applies: a query over it fails instead of being timed.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from writer.settings import Settings

SEARCH_WORDS = ["postgres", "kubernetes", "facturas", "api"]


@dataclass
class Timing:
    name: str
    url: str
    status: int
    median_ms: float
    max_ms: float
    rows: int | None


def targets(db: Path) -> list[tuple[str, str]]:
    """(name, url) for every canned query, the dashboard's data and the main pages."""
    from writer.app import make_datasette

    ds = make_datasette(Settings(_env_file=None, sqlite_db_path=db))
    queries = ds.metadata("queries", database="prompt_history") or {}
    pages = [
        ("table page (50 rows, 5 facets, count)", "/prompt_history/prompt_history"),
        ("table search 'postgres'", "/prompt_history/prompt_history?_search=postgres"),
        ("table filtered status=error", "/prompt_history/prompt_history?status=error"),
        ("row page", "/prompt_history/prompt_history/1"),
        ("dashboard page (HTML)", "/-/dashboard"),
    ]
    params = {
        "search": [f"q={word}" for word in SEARCH_WORDS],
        "by_framework": ["framework=decomposition"],
        "history_range": [""],
        "recent": [""],
    }
    out = list(pages)
    for name in queries:
        for query in params.get(name, ["days=30", "days=365"]):
            suffix = f"?{query}" if query else ""
            out.append((f"{name} {query}".strip(), f"/prompt_history/{name}.json{suffix}"))
    return out


async def _time_all(db: Path, runs: int, progress: Callable[[str], None] | None) -> list[Timing]:
    from writer.app import create_app
    from writer.improver import warm_up

    warm_up()  # otherwise the app imports dspy in the background while we time
    # Recording off: no writer, so no migrations or retention touch the measured file.
    app = create_app(Settings(_env_file=None, sqlite_db_path=db, sqlite_enabled=False))
    timings = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=60
        ) as client:
            for name, url in targets(db):
                samples, status, rows = [], 0, None
                for _ in range(runs):
                    started = time.perf_counter()
                    response = await client.get(url)
                    samples.append((time.perf_counter() - started) * 1000)
                    status = response.status_code
                if ".json" in url:
                    body = response.json()
                    rows = len(body.get("rows", []))
                    if body.get("ok") is False:  # Datasette's "query took too long"
                        status = 500
                timings.append(
                    Timing(
                        name,
                        url,
                        status,
                        round(statistics.median(samples), 1),
                        round(max(samples), 1),
                        rows,
                    )
                )
                if progress:
                    progress(name)
    return timings


def time_queries(
    db: Path, runs: int = 5, progress: Callable[[str], None] | None = None
) -> list[Timing]:
    return asyncio.run(_time_all(db, runs, progress))
