"""Datasette over the history: metadata, canned queries, read-only guarantees."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics

import httpx
import pytest
import sqlite_utils
import yaml

from tests.conftest import ROOT, ServeProcess, running
from writer import evaluate, metrics, trainset
from writer.app import create_app
from writer.bench import demo
from writer.migrations import open_writer
from writer.settings import Settings

pytestmark = pytest.mark.anyio
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
DB_META = METADATA["databases"]["prompt_history"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, trainset_examples):
    path = tmp_path_factory.mktemp("ds") / "prompt_history.db"
    demo.write(path, 1500, days=40, seed=11)
    # A real (offline) evaluation run, so eval_results has rows.
    examples, _ = trainset.collect([("seed", raw) for raw in trainset_examples[:5]])
    run = evaluate.run(
        trainset.to_dspy(examples),
        improver=None,
        metric_name="structure",
        metric=metrics.structure,
        threads=1,
        run=evaluate.EvalRun("seed", trainset.digest(examples), "nlac", "structure"),
    )
    conn = open_writer(path)
    with conn:
        conn.execute("BEGIN")
        evaluate.store(conn, run)
    conn.close()
    return path


@pytest.fixture
async def ds(demo_db):
    settings = Settings(_env_file=None, sqlite_db_path=demo_db, sqlite_retention_days=0)
    async with running(create_app(settings)) as client:
        yield client


def test_demo_data_uses_the_project_trainset(demo_db, trainset_examples):
    ours = {e["inputs"]["original_idea"] for e in trainset_examples}
    db = sqlite_utils.Database(demo_db)
    shown = {r[0] for r in db.execute("select distinct original_idea from prompt_history")}
    assert len(ours & shown) > len(ours) // 2 and shown - ours  # ours, and generated ones


def test_every_table_view_column_and_query_is_described(demo_db):
    db = sqlite_utils.Database(demo_db)
    tables = DB_META["tables"]
    for name in db.table_names() + db.view_names():
        assert name in tables and tables[name].get("description"), name
        if tables[name].get("hidden"):
            continue
        columns = set(db[name].columns_dict)
        assert set(tables[name].get("columns", {})) == columns, name
    for name, query in DB_META["queries"].items():
        assert query.get("title") and query.get("description"), name
        assert not query.get("write"), f"{name} must stay read-only"
    units = tables["prompt_history"]["columns"]
    assert "(ms)" in units["latency_ms"] and "(USD)" in units["cost_usd"]


async def test_every_canned_query_answers(ds, demo_db):
    params = {
        "search": "q=postgres",
        "by_framework": "framework=decomposition",
        "history_range": "from=2020-01-01",
    }
    answers = {}
    for name in DB_META["queries"]:
        r = await ds.get(f"/prompt_history/{name}.json?_shape=array&{params.get(name, 'days=60')}")
        assert r.status_code == 200, (name, r.text[:300])
        assert len(r.json()) > 0, name
        answers[name] = r.json()
    # The answers agree with the table itself, asked independently.
    db = sqlite_utils.Database(demo_db)

    def ids(sql: str) -> list[int]:
        return [row[0] for row in db.execute(sql)]

    total = db["prompt_history"].count
    assert [r["id"] for r in answers["recent"]] == ids(
        "select id from prompt_history order by created_at desc limit 50"
    )
    decomposition = ids("select id from prompt_history where framework = 'decomposition'")
    assert len(answers["by_framework"]) == min(200, len(decomposition))
    assert {r["id"] for r in answers["by_framework"]} <= set(decomposition)
    assert len(answers["history_range"]) == min(1000, total)
    assert answers["period_totals"][0]["requests"] == total  # rollups == rows (40 days < 60)
    assert sum(r["requests"] for r in answers["volume_per_day"]) == total
    assert abs(sum(r["share_pct"] for r in answers["framework_mix"]) - 100) < 0.5
    failures = ids("select id from failures")
    assert {r["id"] for r in answers["recent_failures"]} <= set(failures)
    assert len(answers["recent_failures"]) == min(200, len(failures))


async def test_histogram_percentiles_are_close_to_exact(ds, demo_db):
    rows = (await ds.get("/prompt_history/model_summary.json?_shape=array&days=60")).json()
    db = sqlite_utils.Database(demo_db)
    rows = [row for row in rows if row["model"] != "nlac"]
    assert len(rows) >= 3  # the demo's three LLMs: the loop below must check something
    for row in rows:
        values = sorted(
            r[0]
            for r in db.execute(
                "select latency_ms from prompt_history where model = ? "
                "and created_at >= date('now', '-60 days')",
                [row["model"]],
            )
        )
        exact = statistics.median(values)
        assert abs(row["p50_ms"] - exact) / exact < 0.05, (row, exact)


async def test_search_is_ranked_and_snippeted(ds, demo_db):
    r = await ds.get("/prompt_history/search.json?_shape=array&q=postgres")
    hits = r.json()
    assert len(hits) == 50  # more than 50 rows match: the best 50
    # Snippets mark the matched word.
    assert all(re.search(r"\[\[postgres\]\]", hit["snippet"], re.IGNORECASE) for hit in hits)
    # Ranked: the hits are the 50 best by bm25, best first (ties compared by value).
    db = sqlite_utils.Database(demo_db)
    rank = dict(
        db.execute(
            "select rowid, bm25(prompt_history_fts) from prompt_history_fts "
            "where prompt_history_fts match 'postgres'"
        ).fetchall()
    )
    shown = [rank[hit["id"]] for hit in hits]
    assert shown == sorted(rank.values())[:50]
    quotes = await ds.get('/prompt_history/search.json?_shape=array&q="unbalanced')
    assert quotes.status_code == 200  # escape_fts keeps FTS syntax errors away


@pytest.mark.parametrize(
    "sql",
    [
        "insert into prompt_history (created_at, original_idea) values ('x', 'y')",
        "update prompt_history set status = 'error'",
        "delete from prompt_history",
        "attach database '/tmp/evil.db' as evil",
        "pragma journal_mode = delete",
        "select 1; drop table prompt_history",
    ],
)
async def test_sql_writes_through_datasette_are_refused(ds, demo_db, sql):
    before = sqlite_utils.Database(demo_db)["prompt_history"].count
    r = await ds.get("/prompt_history.json", params={"sql": sql})
    assert r.status_code in (400, 403), r.text
    assert sqlite_utils.Database(demo_db)["prompt_history"].count == before


async def test_arbitrary_sql_can_be_turned_off(demo_db):
    settings = Settings(
        _env_file=None, sqlite_db_path=demo_db, datasette_allow_sql=False, sqlite_retention_days=0
    )
    async with running(create_app(settings)) as client:
        r = await client.get("/prompt_history.json", params={"sql": "select 1"})
        assert r.status_code == 403
        # Canned queries keep working.
        ok = await client.get("/prompt_history/recent.json")
        assert ok.status_code == 200


@pytest.fixture(scope="module")
def served(demo_db):
    """`serve` on the demo database: streaming goes through a real HTTP server (no browser)."""
    server = ServeProcess(demo_db, {"SQLITE_RETENTION_DAYS": "0"}).start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("view", "where"),
    [
        ("improvements_ok", "status = 'ok' and improved_prompt is not null"),
        ("failures", "status = 'error' or error is not null"),
    ],
)
def test_csv_stream_of_a_view_returns_every_row(served, demo_db, view, where):
    server, db = served, demo_db
    expected = (
        sqlite_utils.Database(db)
        .execute(f"select count(*) from prompt_history where {where}")
        .fetchone()[0]
    )
    assert expected > 0
    r = httpx.get(f"{server.url}/prompt_history/{view}.csv?_stream=on&_size=max", timeout=60)
    assert r.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(r.text)))) == expected
    nl = httpx.get(f"{server.url}/prompt_history/{view}.json?_shape=array&_nl=on&_size=5")
    lines = nl.text.strip().splitlines()
    assert len(lines) == min(5, expected) and all(json.loads(line)["id"] for line in lines)
