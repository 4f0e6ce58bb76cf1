"""The spool: an append-only JSONL file next to the database for rows it could not take.

One line per row, fsync'd before the request is answered. Each row carries its `row_key`,
so replaying a spool twice (a crash between the replay's COMMIT and the truncation)
inserts every row once. A torn last line, left by a crash mid-write, is skipped and counted.
An exclusive flock serialises the server's writer thread and `prompt-improver spool replay`.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writer.limits import MB, SpoolFull


@dataclass
class SpoolContents:
    rows: list[dict[str, Any]]
    torn_lines: int


def count_lines(path: Path) -> int:
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(MB):
            lines += chunk.count(b"\n")
    return lines


def _first_spooled_at(path: Path) -> float:
    with open(path, "rb") as f:
        first = f.readline(MB)
    try:
        return float(json.loads(first).get("spooled_at", time.time()))
    except (ValueError, AttributeError, TypeError):
        return time.time()


def spool_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".spool.jsonl")


class Spool:
    def __init__(self, path: Path, max_bytes: int | None = None):
        self.path = path
        # Past this size rows are refused (SpoolFull), never acknowledged; None: no cap.
        self.max_bytes = max_bytes
        self.rows = 0
        self.oldest: float | None = None  # epoch seconds of the oldest spooled row
        if path.exists():
            # Counted without parsing: newlines in 1 MB chunks, the age from the first line.
            self.rows = count_lines(path)
            self.oldest = _first_spooled_at(path) if self.rows else None

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, rows: list[dict[str, Any]]) -> None:
        """Write rows durably (fsync) or raise OSError."""
        now = time.time()
        data = "".join(
            json.dumps({**row, "spooled_at": now}, ensure_ascii=False) + "\n" for row in rows
        ).encode("utf-8")
        with self.locked():
            created = not self.path.exists()
            if self.max_bytes is not None:
                size = 0 if created else self.path.stat().st_size
                if size + len(data) > self.max_bytes:
                    raise SpoolFull(
                        f"spool: {self.path} is full ({size / MB:.1f} MB of the "
                        f"SQLITE_SPOOL_MAX_MB {self.max_bytes / MB:g} MB); nothing was stored. "
                        "Free the database (see /health last_error) so the spool can drain"
                    )
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:  # make the new directory entry durable too
                dir_fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        self.rows += len(rows)
        self.oldest = self.oldest or now

    def read(self) -> SpoolContents:
        """Every row at once: for tests and small spools; replay uses batches()."""
        rows: list[dict[str, Any]] = []
        torn = 0
        for batch, bad in self.batches(1 << 30):
            rows += batch
            torn += bad
        return SpoolContents(rows, torn)

    def batches(self, size: int) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """(rows, torn lines) in batches of at most `size` rows, reading line by line: memory
        stays bounded by the batch, however big the spool."""
        if not self.path.exists():
            return
        rows: list[dict[str, Any]] = []
        torn = 0
        with open(self.path, "rb") as f:
            for line in f:
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict) or "row_key" not in row:
                        raise ValueError("not a spooled row")
                    rows.append(row)
                except ValueError:
                    torn += 1
                if len(rows) >= size:
                    yield rows, torn
                    rows, torn = [], 0
        if rows or torn:
            yield rows, torn

    def truncate(self) -> None:
        """Empty the spool; call it holding `locked()`, after the rows are committed."""
        if self.path.exists():
            with open(self.path, "r+b") as f:
                f.truncate(0)
                os.fsync(f.fileno())
        self.rows = 0
        self.oldest = None

    def stats(self) -> dict[str, Any]:
        size = self.path.stat().st_size if self.path.exists() else 0
        age = round(time.time() - self.oldest, 1) if self.oldest else None
        return {"path": str(self.path), "rows": self.rows, "bytes": size, "oldest_age_s": age}
