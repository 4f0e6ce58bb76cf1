"""The single writer thread: the only write connection, group commit, ids back to requests.

Requests put their rows on a queue and await a future. The thread takes whatever has
queued up, writes it in one transaction (one SAVEPOINT per request, so one bad request
cannot spoil the others) and resolves every future after the COMMIT: an id handed back
is on disk.
"""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import threading
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from writer.migrations import COLUMNS, TABLE, connect

INSERT_SQL = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
)


def utc_now() -> str:
    """ISO-8601 UTC with milliseconds: sorts as text and works with SQLite's date functions."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _params(row: dict[str, Any]) -> tuple:
    values = []
    for column in COLUMNS:
        value = row.get(column)
        if column == "guardrails" and value is not None and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        values.append(value)
    return tuple(values)


@dataclass
class _Job:
    rows: list[dict[str, Any]]
    future: Future = field(default_factory=Future)


_STOP = object()


class HistoryWriter:
    """Owns the write connection in its own thread. Start, submit rows, close to flush."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 5000, max_batch: int = 1000):
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.rows_written = 0
        self.commits = 0
        self.last_error: str | None = None
        self.last_error_at: str | None = None

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        """Start the thread; a database that cannot be opened fails here, not at a request."""
        opened: Future = Future()
        self._thread = threading.Thread(
            target=self._run, args=(opened,), name="history-writer", daemon=True
        )
        self._thread.start()
        opened.result()

    def submit(self, rows: list[dict[str, Any]]) -> Future:
        job = _Job(rows)
        if self._thread is None or not self._thread.is_alive():
            job.future.set_exception(RuntimeError("the history writer is not running"))
        else:
            self._queue.put(job)
        return job.future

    async def write(self, rows: list[dict[str, Any]]) -> list[int]:
        """Queue rows and wait until they are committed; returns their ids in order."""
        return await asyncio.wrap_future(self.submit(rows))

    def close(self, timeout: float = 30.0) -> None:
        """Flush everything queued, then stop the thread and close the connection."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _run(self, opened: Future) -> None:
        try:
            conn = connect(self.path, busy_timeout_ms=self.busy_timeout_ms).conn
            conn.isolation_level = None  # we issue BEGIN/COMMIT ourselves
        except Exception as exc:
            opened.set_exception(exc)
            return
        opened.set_result(None)
        stopping = False
        try:
            while not stopping:
                item = self._queue.get()
                if item is _STOP:
                    break
                batch, size = [item], len(item.rows)
                while size < self.max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    batch.append(item)
                    size += len(item.rows)
                self._commit(conn, batch)
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        results: list[Any] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    ids = [conn.execute(INSERT_SQL, _params(row)).lastrowid for row in job.rows]
                    conn.execute("RELEASE job")
                    results.append(ids)
                except sqlite3.Error as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    results.append(exc)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._note_error(exc)
            for job in batch:
                job.future.set_exception(exc)
            return
        self.commits += 1
        for job, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                self._note_error(result)
                job.future.set_exception(result)
            else:
                self.rows_written += len(result)
                job.future.set_result(result)

    def _note_error(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.last_error_at = utc_now()


def count_rows(path: Path | str) -> int | None:
    """Row count through a read-only connection (never blocks the writer)."""
    try:
        with closing(sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=1)) as conn:
            return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    except sqlite3.Error:
        return None
