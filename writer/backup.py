"""Online backup and restore with SQLite's backup API, and a checksum to compare copies.

A backup reads one consistent snapshot while the server keeps writing (WAL readers never
block the writer). A restore refuses to run under a live server: the server's writer thread
holds an flock on `<db>.writer.lock` for as long as it runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from writer.migrations import TABLE


@dataclass
class CopyReport:
    path: Path
    rows: int
    bytes: int
    checksum: str
    integrity: str


def writer_lock_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".writer.lock")


@contextmanager
def writer_lock(db_path: Path | str, *, wait: bool = True):
    """Held by the server's writer thread for its lifetime; BlockingIOError if taken."""
    path = writer_lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO = open(path, "a")  # noqa: SIM115 - held across the yield
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def checksum(path: Path | str) -> tuple[int, str]:
    """(rows, sha256 of every prompt_history row in id order): equal copies, equal sums."""
    digest = hashlib.sha256()
    rows = 0
    with closing(sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)) as conn:
        for row in conn.execute(f"SELECT * FROM {TABLE} ORDER BY id"):
            digest.update(repr(row).encode("utf-8", "surrogatepass"))
            rows += 1
    return rows, digest.hexdigest()


def _report(path: Path) -> CopyReport:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    rows, digest = checksum(path)
    return CopyReport(path, rows, path.stat().st_size, digest, integrity)


def backup(db_path: Path, target: Path) -> CopyReport:
    """Copy the live database to `target` (which must not exist), then verify the copy."""
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as source:
        with closing(sqlite3.connect(partial)) as copy:
            # One step: a single consistent snapshot, however busy the writer is.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
    os.replace(partial, target)
    return _report(target)


def restore(backup_path: Path, db_path: Path) -> CopyReport:
    """Replace the database at `db_path` with the backup's content (server stopped)."""
    source_report = _report(backup_path)
    if source_report.integrity != "ok":
        raise ValueError(f"{backup_path} fails its integrity check: {source_report.integrity}")
    with writer_lock(db_path, wait=False):
        with closing(sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)) as source:
            with closing(sqlite3.connect(db_path)) as live:
                source.backup(live, pages=-1)
                live.execute("PRAGMA journal_mode = WAL")
    return _report(db_path)
