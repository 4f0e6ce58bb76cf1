"""Size caps on what the service keeps: the database file and the spool.

Without them one script (or one hostile page, before the guard existed) could fill the
disk at ~50 MB/s with acknowledged rows. The writer thread enforces both, so every way in
(the API, the CLI) meets the same limits.
"""

from __future__ import annotations

import os
from pathlib import Path

MB = 1024 * 1024


class DatabaseFull(Exception):
    """The database reached SQLITE_MAX_DB_MB; the rows were not stored (API: 507)."""


class SpoolFull(OSError):
    """The spool reached SQLITE_SPOOL_MAX_MB; the rows were not acknowledged (API: 503)."""


def database_bytes(path: Path) -> int:
    """The database file plus its WAL: what the history occupies on disk now."""
    total = 0
    for name in (path, path.with_name(path.name + "-wal")):
        try:
            total += os.stat(name).st_size
        except OSError:
            pass
    return total


def database_full_message(size: int, cap_mb: float) -> str:
    return (
        f"database: {size / MB:.0f} MB reached the SQLITE_MAX_DB_MB cap of {cap_mb:g} MB; "
        "nothing was stored. Delete old rows (prompt-improver retention --days N) and VACUUM, "
        "or raise SQLITE_MAX_DB_MB"
    )
