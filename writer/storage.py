"""The single writer thread: the only write connection, group commit, ids back to requests.

Requests put their rows on a queue and await a future. The thread takes whatever has
queued up, writes it in one transaction (one SAVEPOINT per request, so one bad request
cannot spoil the others) and resolves every future after the COMMIT: an id handed back
is on disk.

When the database cannot take the rows (disk full, read-only, removed, locked past the busy
timeout) they go to the spool instead, and the request is told so. After `breaker_threshold`
failures in a row the breaker opens: for `breaker_cooldown_s` rows go straight to the spool,
so a broken database costs requests nothing; then one batch probes the database again. Once
a commit succeeds the spool is replayed, exactly once. Between requests the thread keeps the
WAL small (checkpoints) and deletes expired rows in small batches (retention).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from writer import limits, retention
from writer.backup import writer_lock
from writer.migrations import COLUMNS, TABLE, open_writer
from writer.settings import Settings
from writer.spool import Spool, spool_path

log = logging.getLogger("prompt_improver")

_COLUMN_LIST = ", ".join(COLUMNS)
_PLACEHOLDERS = ", ".join("?" for _ in COLUMNS)
INSERT_SQL = f"INSERT INTO {TABLE} ({_COLUMN_LIST}) VALUES ({_PLACEHOLDERS})"
REPLAY_SQL = f"{INSERT_SQL} ON CONFLICT (row_key) DO NOTHING"
# Errors that say "this row is wrong", not "the database is unwell": never spooled, since
# replaying them would fail again.
ROW_ERRORS = (sqlite3.IntegrityError, ValueError, OverflowError, TypeError)
# Between requests, a failed replay is retried this often (requests retry it sooner).
REPLAY_RETRY_S = 5.0
# Spooled rows replayed per transaction: bounds the replay's memory.
REPLAY_BATCH = 500
# How often the writer checks that its file is still the one at the path (deleted, replaced).
FILE_CHECK_S = 0.5
# How often the checkpointer copies the WAL into the database (PASSIVE, beside the writer).
CHECKPOINT_EVERY_S = 0.1


def iso_utc(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds: sorts as text and works with SQLite's date functions."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def utc_now() -> str:
    return iso_utc(datetime.now(UTC))


# What the table's defaults would give a column the row leaves out.
DEFAULTS = {"context": "", "status": "ok"}
# Rows per INSERT: SQLite binds at most 32,766 values in one statement.
ROWS_PER_INSERT = 32766 // len(COLUMNS)


@functools.lru_cache(maxsize=64)
def batch_insert_sql(rows: int) -> str:
    """One INSERT for `rows` rows. A batch in one statement gives the GIL up once, not once
    per row (per-row executes stall behind a busy event loop), and binds values directly:
    the JSON array it replaced had SQLite re-parse each row's JSON once per column, 45 -> 29
    µs per row (docs/performance.md)."""
    return f"INSERT INTO {TABLE} ({_COLUMN_LIST}) VALUES {', '.join([f'({_PLACEHOLDERS})'] * rows)}"


def _params(row: dict[str, Any]) -> tuple:
    values = []
    for column in COLUMNS:
        value = row.get(column)
        if value is None:
            value = DEFAULTS.get(column)
        if column == "guardrails" and value is not None and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        values.append(value)
    return tuple(values)


@dataclass
class WriteResult:
    """ids of the committed rows, or None with spooled=True when they went to the spool."""

    ids: list[int] | None
    spooled: bool = False


@dataclass
class _Job:
    rows: list[dict[str, Any]]
    # Either an asyncio future (resolved on its loop) or a concurrent one (sync callers).
    future: Future | asyncio.Future = field(default_factory=Future)
    loop: asyncio.AbstractEventLoop | None = None
    # Instead of rows: a function run on the write connection in its own transaction.
    call: Callable[[sqlite3.Connection], Any] | None = None


def _settle(outcomes: list[tuple[asyncio.Future, Any]]) -> None:
    for future, outcome in outcomes:
        if future.done():  # the request was cancelled (client went away)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _resolve(batch: list[_Job], outcomes: list[Any]) -> None:
    """Hand every job its outcome: one wake-up per event loop, not one per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for job, outcome in zip(batch, outcomes, strict=True):
        if job.loop is None:
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)
        else:
            by_loop.setdefault(job.loop, []).append((job.future, outcome))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, items)
        except RuntimeError:  # that loop is closed; nobody is waiting
            pass


_STOP = object()


class HistoryWriter:
    """Owns the write connection in its own thread. Start, submit rows, close to flush."""

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout_ms: int = 5000,
        max_batch: int = 1000,
        breaker_threshold: int = 5,
        breaker_cooldown_s: float = 300.0,
        checkpoint_interval_s: float = 30.0,
        retention_days: int = 0,
        retention_interval_s: float = 3600.0,
        spool_file: Path | None = None,
        shared: bool = False,
        max_db_bytes: int | None = None,
        max_spool_bytes: int | None = None,
    ):
        self.path = Path(path)
        # A one-off command (feedback, eval) writing beside a running server: expected.
        self.shared = shared
        self.busy_timeout_ms = busy_timeout_ms
        self.max_batch = max_batch
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown_s = breaker_cooldown_s
        self.checkpoint_interval_s = checkpoint_interval_s
        self.retention_days = retention_days
        self.retention_interval_s = retention_interval_s
        self.spool = Spool(spool_file or spool_path(self.path), max_spool_bytes)
        # New rows and calls are refused (DatabaseFull) once the file is this big.
        self.max_db_bytes = max_db_bytes
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._inode: tuple[int, int] | None = None
        self.rows_written = 0
        self.rows_replayed = 0
        self.rows_spooled = 0
        self.rows_expired = 0
        self.commits = 0
        self.consecutive_failures = 0
        self.breaker_opened_at: float | None = None
        self.last_error: str | None = None
        self.last_error_at: str | None = None
        self._stopped = threading.Event()
        self._key_prefix = secrets.token_hex(8) + "-"
        self._key_counter = itertools.count()
        self._checked_file_at = 0.0
        self._next_checkpoint = 0.0
        self._next_replay = 0.0  # spooled rows wait at least until then after a failed try
        self._next_retention = 0.0  # run retention right after start
        self._retention_cutoff: str | None = None

    # -- the request side -------------------------------------------------------------

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    @property
    def breaker(self) -> str:
        if self.breaker_opened_at is None:
            return "closed"
        if time.monotonic() < self.breaker_opened_at + self.breaker_cooldown_s:
            return "open"
        return "half-open"

    def status(self) -> dict[str, Any]:
        return {
            "queue_depth": self.queue_depth,
            "rows_written": self.rows_written,
            "commits": self.commits,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "breaker": self.breaker,
            "consecutive_failures": self.consecutive_failures,
            "spool": self.spool.stats(),
            "rows_spooled": self.rows_spooled,
            "rows_replayed": self.rows_replayed,
            "rows_expired": self.rows_expired,
            "retention_days": self.retention_days,
        }

    def start(self) -> None:
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()
        threading.Thread(target=self._checkpointer, name="wal-checkpointer", daemon=True).start()

    def _checkpointer(self) -> None:
        """PASSIVE checkpoints from a second connection, concurrent with the writer's commits:
        the WAL is copied into the database without ever making a commit wait."""
        conn: sqlite3.Connection | None = None
        file = None
        while not self._stopped.wait(CHECKPOINT_EVERY_S):
            try:
                if conn is not None and file != self._inode:  # the writer reopened the file
                    conn.close()
                    conn = None
                if conn is None:
                    if self._inode is None:
                        continue
                    conn = sqlite3.connect(self.path, isolation_level=None, timeout=0.1)
                    file = self._inode
                # Until every frame is copied (a short tail on a second try): then the
                # writer's next transaction starts the WAL over instead of growing it.
                for _ in range(3):
                    _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if copied >= frames:
                        break
            except sqlite3.Error:
                if conn is not None:
                    conn.close()
                conn = None  # the writer reports database trouble; retry next time
        if conn is not None:
            conn.close()

    def _enqueue(self, job: _Job) -> None:
        for row in job.rows:
            if "row_key" not in row:
                # Unique across processes and restarts, and cheap: a random prefix per
                # writer and a counter.
                row["row_key"] = f"{self._key_prefix}{next(self._key_counter):x}"
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError("the history writer is not running")
        self._queue.put(job)

    def submit(self, rows: list[dict[str, Any]]) -> Future:
        """Queue rows from any thread; the future resolves to a WriteResult."""
        return self._submit(_Job(rows))

    def submit_call(self, call: Callable[[sqlite3.Connection], Any]) -> Future:
        """`execute` for synchronous callers: a future of the call's result."""
        return self._submit(_Job([], call=call))

    def _submit(self, job: _Job) -> Future:
        try:
            self._enqueue(job)
        except RuntimeError as exc:
            job.future.set_exception(exc)
        return job.future

    async def write(self, rows: list[dict[str, Any]]) -> WriteResult:
        """Queue rows; wait until they are committed (ids) or spooled (fsync'd)."""
        return await self._wait(rows)

    async def execute(self, call: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `call(conn)` in the writer thread, in one transaction; its result once committed.

        For writes other than history rows (feedback, evaluation runs): they are not spooled,
        so a database that cannot take them raises and nothing is acknowledged."""
        return await self._wait([], call)

    async def _wait(self, rows: list[dict[str, Any]], call: Any = None) -> Any:
        loop = asyncio.get_running_loop()
        job = _Job(rows, loop.create_future(), loop, call=call)
        self._enqueue(job)
        return await job.future

    def close(self, timeout: float = 30.0) -> None:
        """Flush everything queued, then stop the thread and close the connection."""
        self._stopped.set()
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    # -- the writer thread ------------------------------------------------------------

    def _run(self) -> None:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(writer_lock(self.path, wait=False))
            except BlockingIOError:
                if not self.shared:
                    log.warning("another process is writing %s", self.path)
            except OSError as exc:
                log.warning("cannot take the writer lock for %s: %s", self.path, exc)
            self._loop()

    def _loop(self) -> None:
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self._idle_wait())
                except queue.Empty:
                    self._maintain()
                    continue
                if item is _STOP:
                    break
                batch, size, stopping = [item], len(item.rows), False
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
                self._handle(batch)
                if stopping:
                    break
            self._checkpoint()
        finally:
            self._disconnect()

    def _idle_wait(self) -> float:
        """How long the queue may stay quiet before maintenance is due."""
        if self._retention_cutoff is not None:
            return 0.0  # expired rows left: one batch between requests
        due = [self._next_checkpoint]
        if self.retention_days:
            due.append(self._next_retention)
        if self.spool.rows and self.breaker != "open":
            due.append(self._next_replay)
        return max(0.0, min(due) - time.monotonic()) or 0.001

    def _handle(self, batch: list[_Job]) -> None:
        if self.max_db_bytes is not None:
            size = limits.database_bytes(self.path)
            if size >= self.max_db_bytes:
                full = limits.DatabaseFull(
                    limits.database_full_message(size, self.max_db_bytes / limits.MB)
                )
                _resolve(batch, [full] * len(batch))
                return
        calls = [job for job in batch if job.call is not None]
        if calls:
            self._run_calls(calls)
            batch = [job for job in batch if job.call is None]
            if not batch:
                return
        if self.breaker == "open":
            self._to_spool(batch)
            return
        try:
            conn = self._connection()
            results = self._commit(conn, batch)
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
            self._to_spool(batch)
            return
        self._succeeded()
        outcomes: list[Any] = []
        for result in results:
            if isinstance(result, BaseException):
                self._note_error(result)
                outcomes.append(result)
            else:
                self.rows_written += len(result)
                outcomes.append(WriteResult(result))
        _resolve(batch, outcomes)
        if self.spool.rows:
            self._replay()

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job]) -> list[Any]:
        """Insert the batch in one transaction; per job, its ids or the error that refused it."""
        rows = [row for job in batch for row in job.rows]
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                inserted = 0
                for start in range(0, len(rows), ROWS_PER_INSERT):
                    chunk = rows[start : start + ROWS_PER_INSERT]
                    values = [value for row in chunk for value in _params(row)]
                    cursor = conn.execute(batch_insert_sql(len(chunk)), values)
                    last, inserted = cursor.lastrowid, inserted + cursor.rowcount
                if inserted != len(rows):
                    raise sqlite3.DatabaseError(f"inserted {inserted} of {len(rows)} rows")
            except ROW_ERRORS:
                # A row the database refuses: redo the batch a job at a time, so only that
                # request fails.
                conn.execute("ROLLBACK")
                conn.execute("BEGIN IMMEDIATE")
                results = self._insert_jobs(conn, batch)
            else:
                # One writer, in one statement: rowids are handed out consecutively.
                first = last - inserted + 1
                results, start = [], first
                for job in batch:
                    results.append(list(range(start, start + len(job.rows))))
                    start += len(job.rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.commits += 1
        return results

    @staticmethod
    def _insert_jobs(conn: sqlite3.Connection, batch: list[_Job]) -> list[Any]:
        results: list[Any] = []
        for job in batch:
            conn.execute("SAVEPOINT job")
            try:
                ids = [conn.execute(INSERT_SQL, _params(row)).lastrowid for row in job.rows]
                conn.execute("RELEASE job")
                results.append(ids)
            except ROW_ERRORS as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                results.append(exc)
        return results

    def _run_calls(self, jobs: list[_Job]) -> None:
        outcomes: list[Any] = []
        for job in jobs:
            if self.breaker == "open":
                outcomes.append(
                    sqlite3.OperationalError(
                        f"the database is not taking writes ({self.last_error})"
                    )
                )
                continue
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    outcome = job.call(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except ROW_ERRORS + (LookupError,) as exc:  # the call's own input was refused
                outcomes.append(exc)
                continue
            except (sqlite3.Error, OSError) as exc:
                self._failed(exc)
                outcomes.append(exc)
                continue
            except Exception as exc:  # a bug in the call must not stop the writer thread
                log.exception("write call failed")
                outcomes.append(exc)
                continue
            self._succeeded()
            self.commits += 1
            outcomes.append(outcome)
        _resolve(jobs, outcomes)

    def _to_spool(self, batch: list[_Job]) -> None:
        rows = [row for job in batch for row in job.rows]
        try:
            self.spool.append(rows)
        except OSError as exc:  # nowhere left to put them: the requests must know
            self._note_error(exc)
            _resolve(batch, [exc] * len(batch))
            return
        self.rows_spooled += len(rows)
        _resolve(batch, [WriteResult(None, spooled=True)] * len(batch))

    def _replay(self) -> None:
        """Move spooled rows into the database; the spool is truncated only after COMMIT."""

        def committed(inserted: int) -> None:
            # Counted before the spool is emptied, so /health never sees the rows in neither.
            self.rows_replayed += inserted

        try:
            conn = self._connection()
            inserted, torn = replay_spool(conn, self.spool, on_commit=committed)
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
            self._next_replay = time.monotonic() + REPLAY_RETRY_S
            return
        log.warning(
            "replayed %d spooled rows into %s%s",
            inserted,
            self.path,
            f" ({torn} torn lines skipped)" if torn else "",
        )

    def _failed(self, exc: BaseException) -> None:
        self._note_error(exc)
        self._disconnect()
        self.consecutive_failures += 1
        if self.consecutive_failures >= self.breaker_threshold:
            if self.breaker != "open":
                log.error(
                    "writes failed %d times in a row; writing to the spool for %.0f s",
                    self.consecutive_failures,
                    self.breaker_cooldown_s,
                )
            self.breaker_opened_at = time.monotonic()

    def _succeeded(self) -> None:
        if self.breaker_opened_at is not None:
            log.warning("the database takes writes again; breaker closed")
        self.consecutive_failures = 0
        self.breaker_opened_at = None

    def _note_error(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.last_error_at = utc_now()
        log.error("history write failed: %s", self.last_error)

    def _connection(self) -> sqlite3.Connection:
        """The write connection, reopened when the file was removed or replaced."""
        now = time.monotonic()
        if self._conn is not None and now - self._checked_file_at > FILE_CHECK_S:
            self._checked_file_at = now
            if self._file_identity() != self._inode:
                log.error("%s was removed or replaced; reopening it", self.path)
                self._disconnect()
        if self._conn is None:
            conn = open_writer(self.path, busy_timeout_ms=self.busy_timeout_ms)
            conn.execute("PRAGMA journal_size_limit = 67108864")  # WAL shrinks back to 64 MB
            # The checkpointer thread copies the WAL beside the writer, so the checkpoint a
            # COMMIT runs every 16 MB only has the last frames left to copy; it is what lets
            # SQLite restart the WAL from the beginning under a constant write load.
            conn.execute("PRAGMA wal_autocheckpoint = 4000")
            self._conn, self._inode = conn, self._file_identity()
        return self._conn

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _disconnect(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    # -- maintenance between requests ---------------------------------------------------

    def _maintain(self) -> None:
        now = time.monotonic()
        if self.spool.rows and self.breaker != "open" and now >= self._next_replay:
            self._replay()
        if now >= self._next_checkpoint:
            self._next_checkpoint = now + self.checkpoint_interval_s
            self._checkpoint()
        if self.retention_days and self._retention_cutoff is None and now >= self._next_retention:
            self._next_retention = now + self.retention_interval_s
            try:
                self._retention_cutoff = retention.cutoff(self._connection(), self.retention_days)
            except (sqlite3.Error, OSError) as exc:
                self._note_error(exc)
        if self._retention_cutoff is not None:
            self._expire_batch()

    def _expire_batch(self) -> None:
        try:
            deleted = retention.delete_batch(self._connection(), self._retention_cutoff)
        except (sqlite3.Error, OSError) as exc:
            self._note_error(exc)
            self._retention_cutoff = None
            return
        self.rows_expired += deleted
        if deleted < retention.BATCH:
            if self.rows_expired:
                log.info(
                    "retention: %d rows older than %d days removed so far",
                    self.rows_expired,
                    self.retention_days,
                )
            self._retention_cutoff = None

    def _checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it; readers may delay TRUNCATE."""
        if self._conn is None:
            return
        try:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            self._note_error(exc)


def writer_for(settings: Settings, *, maintenance: bool = True) -> HistoryWriter:
    """The writer `serve` runs; maintenance=False for one-off commands (no retention)."""
    return HistoryWriter(
        settings.sqlite_db_path,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        max_batch=settings.sqlite_max_batch,
        breaker_threshold=settings.sqlite_breaker_threshold,
        breaker_cooldown_s=settings.sqlite_breaker_cooldown_s,
        checkpoint_interval_s=settings.sqlite_checkpoint_interval_s,
        retention_days=settings.sqlite_retention_days if maintenance else 0,
        retention_interval_s=settings.sqlite_retention_interval_s,
        spool_file=settings.spool_file,
        shared=not maintenance,
        max_db_bytes=int(settings.sqlite_max_db_mb * limits.MB),
        max_spool_bytes=int(settings.sqlite_spool_max_mb * limits.MB),
    )


def replay_spool(
    conn: sqlite3.Connection,
    spool: Spool,
    batch: int = REPLAY_BATCH,
    on_commit: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Insert every spooled row not already present (by row_key), then truncate the spool.

    Rows are read and committed `batch` at a time, so memory stays bounded however big the
    spool; a crash between batches leaves the spool whole and the next replay skips the rows
    already in (row_key). `on_commit(inserted)` runs after the last COMMIT and before the
    truncation. Returns (rows inserted, torn lines skipped). Safe to run twice.
    """
    inserted = torn = 0
    with spool.locked():
        for rows, bad in spool.batches(batch):
            torn += bad
            if not rows:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for row in rows:
                    try:
                        inserted += conn.execute(REPLAY_SQL, _params(row)).rowcount
                    except ROW_ERRORS as exc:  # one bad row must not block the rest forever
                        log.error("spooled row %s rejected: %s", row.get("row_key"), exc)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        if on_commit is not None:
            on_commit(inserted)
        spool.truncate()
    return inserted, torn
