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


@dataclass
class SpoolContents:
    rows: list[dict[str, Any]]
    torn_lines: int


def spool_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".spool.jsonl")


class Spool:
    def __init__(self, path: Path):
        self.path = path
        self.rows = 0
        self.oldest: float | None = None  # epoch seconds of the oldest spooled row
        if path.exists():
            contents = self.read()
            self.rows = len(contents.rows)
            if contents.rows:
                self.oldest = min(r.get("spooled_at", time.time()) for r in contents.rows)

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
        rows, torn = [], 0
        if not self.path.exists():
            return SpoolContents(rows, torn)
        with open(self.path, "rb") as f:
            for line in f:
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict) or "row_key" not in row:
                        raise ValueError("not a spooled row")
                    rows.append(row)
                except ValueError:
                    torn += 1
        return SpoolContents(rows, torn)

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
