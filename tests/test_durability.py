"""An acknowledgement is never ahead of the disk, and one request's rows are all or nothing.

No root needed: the writer's COMMIT is slowed down (a wrapper around its real connection), and
at the moment each request is answered a second connection looks at the file. An answer that
came before its COMMIT finds its rows missing, however short the gap would otherwise be.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from tests.conftest import running
from writer.app import create_app
from writer.migrations import migrate
from writer.settings import Settings
from writer.spool import Spool
from writer.storage import HistoryWriter, WriteResult, _Job

pytestmark = pytest.mark.anyio
COMMIT_DELAY_S = 0.15


class SlowCommit:
    """The writer's real connection, with every COMMIT delayed: a wide window for a bug."""

    def __init__(self, conn: sqlite3.Connection, log: list[str]):
        self._conn = conn
        self._log = log

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.strip().upper() == "COMMIT":
            time.sleep(COMMIT_DELAY_S)
            cursor = self._conn.execute(sql, *args)
            self._log.append("commit")
            return cursor
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class SlowCommitWriter(HistoryWriter):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.log: list[str] = []

    def _connection(self) -> Any:
        return SlowCommit(super()._connection(), self.log)


def visible(db_path: Path, ids: list[int]) -> int:
    """How many of `ids` another connection (another process, a crash later) can see."""
    conn = sqlite3.connect(db_path)
    try:
        marks = ", ".join("?" for _ in ids)
        return conn.execute(
            f"SELECT count(*) FROM prompt_history WHERE id IN ({marks})", ids
        ).fetchone()[0]
    finally:
        conn.close()


def row(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "created_at": "2026-01-01T00:00:00.000Z",
        "original_idea": f"idea {n}",
        "improved_prompt": "p",
        **extra,
    }


@pytest.fixture
def writer(db_path: Path):
    migrate(db_path)
    w = SlowCommitWriter(db_path, busy_timeout_ms=200)
    w.start()
    yield w
    w.close()


def test_sync_acknowledgements_follow_their_commit(writer, db_path):
    """submit() futures: checked inside the callback, i.e. at the instant of resolution."""
    problems: list[str] = []
    done = threading.Event()
    futures = []

    def check(future) -> None:
        result = future.result()
        seen = visible(db_path, result.ids)
        if seen != len(result.ids):
            problems.append(f"acknowledged {result.ids} with {seen} on disk")
        if len(futures) == 20 and all(f.done() for f in futures):
            done.set()

    for n in range(20):
        future = writer.submit([row(n), row(n + 100)])
        futures.append(future)
    for future in futures:
        future.add_done_callback(check)
    assert done.wait(30)
    assert problems == []
    assert writer.log.count("commit") >= 1


async def test_async_acknowledgements_follow_their_commit(writer, db_path):
    """write() (what the API awaits) and execute() (feedback, evaluation runs)."""
    for n in range(5):
        result = await writer.write([row(n), row(n + 1), row(n + 2)])
        assert not result.spooled and visible(db_path, result.ids) == 3

        def insert(conn: sqlite3.Connection, n: int = n) -> int:
            return conn.execute(
                "INSERT INTO prompt_history (created_at, original_idea) VALUES (?, ?)",
                ["2026-01-01T00:00:00.000Z", f"call {n}"],
            ).lastrowid

        row_id = await writer.execute(insert)
        assert visible(db_path, [row_id]) == 1


async def test_api_answer_follows_its_commit(db_path):
    """Through the real app: the 201's ids are readable by another connection when it arrives."""
    settings = Settings(_env_file=None, sqlite_db_path=db_path, sqlite_retention_days=0)
    app = create_app(settings, with_datasette=False)
    async with running(app) as client:
        # The app's writer, its connection wrapped the same way.
        real = app.state.writer._connection
        app.state.writer._connection = lambda: SlowCommit(real(), [])
        for n in range(3):
            r = await client.post(
                "/api/v1/history",
                json=[{"original_idea": f"api {n} {i}", "improved_prompt": "p"} for i in range(4)],
            )
            assert r.status_code == 201
            assert visible(db_path, r.json()["ids"]) == 4
            r = await client.post(
                "/api/v1/improve-prompt", json={"idea": f"Plan a sprint {n}", "mode": "nlac"}
            )
            assert visible(db_path, [r.json()["id"]]) == 1


def test_spooled_acknowledgement_follows_the_fsync(db_path, tmp_path):
    """A 202 (spooled) is only given once the rows are in the spool file."""
    migrate(db_path)
    writer = HistoryWriter(db_path, busy_timeout_ms=50, spool_file=tmp_path / "spool.jsonl")
    writer.start()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        seen: list[int] = []

        def check(future) -> None:
            assert future.result().spooled
            seen.append(len(Spool(writer.spool.path).read().rows))

        writer.submit([row(1), row(2)]).add_done_callback(check)
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == [2]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        writer.close()


class CountingSpool(Spool):
    """Records the writer's replay count at the moment the spool is emptied."""

    writer: HistoryWriter | None = None
    at_truncate: list[int] = []

    def truncate(self) -> None:
        self.at_truncate.append(self.writer.rows_replayed)
        super().truncate()


def test_replayed_rows_are_counted_before_the_spool_is_emptied(db_path, tmp_path):
    """/health must never see rows neither in the spool nor counted as replayed."""
    migrate(db_path)
    path = tmp_path / "spool.jsonl"
    Spool(path).append([{**row(n), "row_key": f"k{n}", "status": "ok"} for n in range(4)])
    writer = HistoryWriter(db_path, spool_file=path)
    spool = CountingSpool(path)
    spool.writer, spool.at_truncate = writer, []
    writer.spool = spool
    writer.start()
    try:
        writer.submit([row(9)]).result(10)
        deadline = time.monotonic() + 10
        while spool.rows and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        writer.close()
    assert spool.at_truncate and spool.at_truncate[0] == 4
    assert writer.rows_replayed == 4
    assert sqlite_utils.Database(db_path)["prompt_history"].count == 5


# -- all or nothing, at the database level -----------------------------------------------

POSITIONS = {"first": 0, "middle": 2, "last": 4}


def stored_ideas(db_path: Path) -> list[str]:
    db = sqlite_utils.Database(db_path)
    return [r[0] for r in db.execute("SELECT original_idea FROM prompt_history ORDER BY id")]


@pytest.mark.parametrize("where", POSITIONS)
@pytest.mark.parametrize(
    ("field", "value"), [("prompt_tokens", 2**64), ("completion_tokens", 2**64)]
)
async def test_api_array_refused_by_sqlite_stores_nothing(db_path, where, field, value):
    """Integers validation lets through but SQLite cannot store (over 64 bits)."""
    settings = Settings(_env_file=None, sqlite_db_path=db_path, sqlite_retention_days=0)
    records = [{"original_idea": f"rec {i}", "improved_prompt": "p"} for i in range(5)]
    records[POSITIONS[where]][field] = value
    async with running(create_app(settings, with_datasette=False)) as client:
        r = await client.post("/api/v1/history", json=records)
        assert r.status_code == 400, r.text
        assert r.json()["detail"].startswith("records"), r.json()
        ok = await client.post(
            "/api/v1/history", json={"original_idea": "after", "improved_prompt": "p"}
        )
        assert ok.status_code == 201
    assert stored_ideas(db_path) == ["after"]


@pytest.mark.parametrize("where", POSITIONS)
@pytest.mark.parametrize(
    "bad",
    [
        {"confidence": 1.5},  # CHECK
        {"latency_ms": -1},  # CHECK
        {"status": "maybe"},  # CHECK
        {"original_idea": None},  # NOT NULL
        {"prompt_tokens": 2**64},  # integer overflow
    ],
    ids=["confidence-check", "latency-check", "status-check", "not-null", "overflow"],
)
def test_writer_job_is_all_or_nothing_and_spares_the_others(db_path, where, bad):
    """Three requests in one transaction; the middle one has one row SQLite refuses."""
    migrate(db_path)
    writer = HistoryWriter(db_path)
    conn = writer._connection()
    try:
        good_before = [row(n, original_idea=f"before {n}") for n in range(2)]
        broken = [row(n, original_idea=f"broken {n}") for n in range(5)]
        broken[POSITIONS[where]].update(bad)
        good_after = [row(n, original_idea=f"after {n}", guardrails=["á", "b"]) for n in range(3)]
        batch = [_Job(good_before), _Job(broken), _Job(good_after)]
        for n, r in enumerate(r for job in batch for r in job.rows):
            r["row_key"] = f"key-{n}"
        results = writer._commit(conn, batch)
    finally:
        writer._disconnect()
    assert isinstance(results[1], sqlite3.Error | OverflowError | TypeError | ValueError)
    assert len(results[0]) == 2 and len(results[2]) == 3
    assert stored_ideas(db_path) == ["before 0", "before 1", "after 0", "after 1", "after 2"]
    assert visible(db_path, results[0] + results[2]) == 5
    db = sqlite_utils.Database(db_path)
    guardrails = [r[0] for r in db.execute("SELECT guardrails FROM prompt_history WHERE id > 2")]
    assert [json.loads(g) for g in guardrails] == [["á", "b"]] * 3  # stored as JSON text


async def test_refused_request_in_a_busy_batch_spares_the_others(db_path):
    """Concurrent requests share commits; the one with a bad row fails alone, entirely."""
    migrate(db_path)
    writer = HistoryWriter(db_path)
    writer.start()
    try:
        bad = [row(n, original_idea=f"bad {n}") for n in range(5)]
        bad[3]["confidence"] = 7.0
        jobs = [
            writer.write([row(n, original_idea=f"ok {k} {n}") for n in range(3)]) for k in range(20)
        ]
        jobs.insert(10, writer.write(bad))
        results = await asyncio.gather(*jobs, return_exceptions=True)
    finally:
        writer.close()
    assert isinstance(results[10], sqlite3.IntegrityError)
    assert all(
        isinstance(r, WriteResult) and len(r.ids) == 3 for i, r in enumerate(results) if i != 10
    )
    ideas = stored_ideas(db_path)
    assert len(ideas) == 60 and not any(i.startswith("bad") for i in ideas)


async def test_open_breaker_refuses_calls_without_touching_the_database(db_path):
    """Feedback and evaluation writes are never spooled: with the breaker open each one is
    refused at once (503 upstream), and every call of the batch gets its own refusal."""
    migrate(db_path)
    writer = HistoryWriter(db_path, breaker_cooldown_s=300)
    writer.start()
    touched: list[int] = []

    def call(conn: sqlite3.Connection) -> int:
        touched.append(1)
        return 1

    try:
        writer.last_error = "OperationalError: disk I/O error"
        writer.breaker_opened_at = time.monotonic()  # as after failed writes
        futures = [writer.submit_call(call) for _ in range(3)]
        for future in futures:
            with pytest.raises(sqlite3.OperationalError, match="not taking writes.*disk I/O"):
                future.result(10)
        with pytest.raises(sqlite3.OperationalError, match="not taking writes"):
            await writer.execute(call)
        assert touched == []
        writer.breaker_opened_at = None
        assert await writer.execute(call) == 1 and touched == [1]
    finally:
        writer.close()


def test_each_call_in_a_batch_gets_its_own_outcome(db_path):
    """A refused call, a database error and a bug in one batch: each future gets its own
    error, the good calls commit, and the writer thread keeps going."""
    migrate(db_path)
    writer = HistoryWriter(db_path, breaker_threshold=100)
    writer.start()

    def insert(conn: sqlite3.Connection) -> int:
        return conn.execute(
            "INSERT INTO prompt_history (created_at, original_idea) VALUES ('2026', 'call')"
        ).lastrowid

    def unknown(conn: sqlite3.Connection) -> None:
        raise LookupError("no history row 7")

    def bad_sql(conn: sqlite3.Connection) -> None:
        conn.execute("SELEC 1")

    def bug(conn: sqlite3.Connection) -> None:
        raise RuntimeError("a bug in the call")

    try:
        commits = writer.commits
        # A slow first call, so the others queue up and are taken as one batch.
        first = writer.submit_call(lambda conn: time.sleep(0.3))
        futures = [writer.submit_call(f) for f in (insert, unknown, bad_sql, bug, insert)]
        assert first.result(10) is None
        assert futures[0].result(10) == 1 and futures[4].result(10) == 2
        with pytest.raises(LookupError, match="no history row 7"):
            futures[1].result(10)
        with pytest.raises(sqlite3.OperationalError, match="SELEC"):
            futures[2].result(10)
        with pytest.raises(RuntimeError, match="a bug"):
            futures[3].result(10)
        assert writer.commits == commits + 3  # the sleep and the two inserts
        assert "OperationalError" in writer.last_error and "SELEC" in writer.last_error
        # Still writing.
        assert writer.submit([row(1)]).result(10).ids == [3]
    finally:
        writer.close()
    assert writer.submit([row(2)]).exception(1).args[0] == "the history writer is not running"


def test_rows_with_nowhere_to_go_are_refused_not_acknowledged(db_path, tmp_path):
    """The database is locked and the spool cannot be written: the request gets the error."""
    migrate(db_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    writer = HistoryWriter(db_path, busy_timeout_ms=50, spool_file=blocked / "spool.jsonl")
    writer.start()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        futures = [writer.submit([row(n)]) for n in range(2)]
        for future in futures:
            assert isinstance(future.exception(10), OSError)
        assert writer.last_error.startswith(("NotADirectoryError", "FileExistsError", "OSError"))
        assert writer.rows_spooled == 0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        writer.close()
    assert sqlite_utils.Database(db_path)["prompt_history"].count == 0


def test_spooled_and_replayed_rows_add_up_over_several_outages(db_path, tmp_path):
    migrate(db_path)
    writer = HistoryWriter(db_path, busy_timeout_ms=50, spool_file=tmp_path / "spool.jsonl")
    writer.start()
    try:
        for size in (2, 3):
            blocker = sqlite3.connect(db_path, isolation_level=None)
            blocker.execute("BEGIN EXCLUSIVE")
            try:
                assert writer.submit([row(n) for n in range(size)]).result(10).spooled
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            assert writer.submit([row(9)]).result(10).ids  # commits, then replays
            deadline = time.monotonic() + 10
            while writer.spool.rows and time.monotonic() < deadline:
                time.sleep(0.01)
        assert writer.rows_spooled == 5 and writer.rows_replayed == 5
    finally:
        writer.close()
    assert sqlite_utils.Database(db_path)["prompt_history"].count == 7


def test_spool_read_counts_every_unusable_line(tmp_path):
    path = tmp_path / "spool.jsonl"
    assert Spool(path).read().rows == [] and Spool(path).read().torn_lines == 0  # no file yet
    Spool(path).append([{"row_key": "a"}])
    with open(path, "ab") as f:
        f.write(b'{"no_row_key": 1}\n["a list"]\n{"row_key": "b"}\n{"torn": ')
    contents = Spool(path).read()
    assert [r["row_key"] for r in contents.rows] == ["a", "b"] and contents.torn_lines == 3


def test_a_batch_larger_than_one_insert_statement_keeps_every_row_and_id(db_path: Path):
    """A batch over SQLite's bound-value limit goes in several INSERTs of one transaction."""
    from writer.storage import ROWS_PER_INSERT

    migrate(db_path)
    writer = HistoryWriter(db_path)
    writer.start()
    n = ROWS_PER_INSERT * 2 + 5
    try:
        result = writer.submit([row(i) for i in range(n)]).result(60)
    finally:
        writer.close()
    assert result.ids == list(range(1, n + 1))
    conn = sqlite3.connect(db_path)
    try:
        stored = conn.execute("SELECT id, original_idea FROM prompt_history ORDER BY id").fetchall()
    finally:
        conn.close()
    assert stored == [(i + 1, f"idea {i}") for i in range(n)]
