"""Datasette plugin: bounded reads and, off loopback, reading only for the signed-in owner.

Bounds on every Datasette connection (prepare_connection), so no query, canned or typed in,
can build a huge value or a huge page:
- SQLite's own limits: a value at most 8 MB (zeroblob(1e9) fails at once instead of
  running past the time limit in one step), SQL text at most 100 KB, at most 200 columns;
- a budget on the bytes of rows one query returns (default 16 MB): past it the query stops
  with an error page instead of growing the process by gigabytes.

Authentication uses Datasette's own mechanisms: `actor_from_request` recognises
`Authorization: Bearer <WRITE_API_TOKEN>` as the owner (actor id "root"); a browser signs in
through Datasette's one-time `/-/auth-token?token=...` link, which sets its signed `ds_actor`
cookie; `permission_allowed` refuses every view and query to anyone else when reading needs
authentication (serve bound beyond loopback, or READ_AUTH=always).
"""

from __future__ import annotations

import sqlite3
import traceback
from typing import Any

import datasette.database
from datasette import hookimpl

from writer.security import bearer_matches

MB = 1024 * 1024
LIMIT_LENGTH = 8 * MB
LIMIT_SQL_LENGTH = 100_000
LIMIT_COLUMN = 200
READ_ACTIONS = {
    "view-instance",
    "view-database",
    "view-database-download",
    "view-table",
    "view-query",
    "execute-sql",
}


def _access(datasette: Any) -> Any:
    """What `writer.app.make_datasette` attached; None under a plain `datasette` command."""
    return getattr(datasette, "prompt_improver_access", None)


def budget_row_factory(limit: int) -> Any:
    """sqlite3.Row, counting the bytes of the rows each cursor returns; over `limit` the
    fetch raises, so Datasette shows a query error instead of holding gigabytes."""
    state: dict[str, Any] = {"cursor": None, "bytes": 0}

    def factory(cursor: sqlite3.Cursor, row: tuple) -> sqlite3.Row:
        if cursor is not state["cursor"]:
            state["cursor"], state["bytes"] = cursor, 0
        size = state["bytes"]
        for value in row:
            size += len(value) if isinstance(value, (str, bytes)) else 16
        state["bytes"] = size
        if size > limit:
            raise sqlite3.OperationalError(
                f"result too large: over {limit // MB} MB of rows; select fewer rows or "
                "columns (_size, _col, substr())"
            )
        return sqlite3.Row(cursor, row)

    return factory


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, LIMIT_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, LIMIT_SQL_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, LIMIT_COLUMN)
    access = _access(datasette)
    conn.row_factory = budget_row_factory(access.max_result_bytes if access else 16 * MB)


@hookimpl
def actor_from_request(datasette: Any, request: Any) -> dict | None:
    access = _access(datasette)
    if access is None or access.token is None:
        return None
    if bearer_matches(request.headers.get("authorization", ""), access.token):
        return {"id": "root"}
    return None


@hookimpl
def permission_allowed(datasette: Any, actor: dict | None, action: str) -> bool | None:
    access = _access(datasette)
    if access is None or not access.required or action not in READ_ACTIONS:
        return None
    return True if (actor or {}).get("id") == "root" else False


def _release_cursor_in_thread(original: Any) -> Any:
    """Datasette's execute_fn, freeing a failed query's cursor in the query thread.

    A query error carries a traceback whose frames hold the cursor. Freed later in the event
    loop thread, the cursor resets its statement, which waits for the connection's mutex
    while holding the GIL; if that connection is already running the next query (up to the
    1 s time limit), the whole server stops for that long: writes stalled ~1 s under the
    worst reads. Clearing the frames here frees the cursor where the connection is idle."""
    if getattr(original, "releases_cursor", False):  # the plugin is loaded per Datasette
        return original

    async def execute_fn(self: Any, fn: Any) -> Any:
        def run(conn: sqlite3.Connection) -> Any:
            try:
                return fn(conn)
            except BaseException as exc:
                for error in (exc, exc.__context__, exc.__cause__):
                    if error is not None and error.__traceback__ is not None:
                        traceback.clear_frames(error.__traceback__)
                raise

        return await original(self, run)

    execute_fn.releases_cursor = True  # type: ignore[attr-defined]
    return execute_fn


datasette.database.Database.execute_fn = _release_cursor_in_thread(
    datasette.database.Database.execute_fn
)
