"""The one ASGI application `serve` runs: the write API, then Datasette at `/`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from writer import api, improver, llm_probe, nlac, programs, security
from writer.migrations import migrate
from writer.offline.pool import PersonalPool, load_personal
from writer.settings import Settings
from writer.storage import writer_for

log = logging.getLogger("prompt_improver")
DATABASE_NAME = "prompt_history"


def make_datasette(settings: Settings) -> Any:
    """Datasette over the live file: mutable, read-only connections, our metadata and plugins."""
    from datasette.app import Datasette
    from datasette.database import Database

    metadata: dict[str, Any] = {}
    if settings.datasette_metadata.exists():
        metadata = yaml.safe_load(settings.datasette_metadata.read_text(encoding="utf-8")) or {}
    if not settings.datasette_allow_sql:
        metadata["allow_sql"] = False
    if settings.reads_need_auth:
        # Datasette's own allow blocks: only the owner (actor "root") reads or runs SQL.
        metadata["allow"] = {"id": "root"}
        if metadata.get("allow_sql") is not False:
            metadata["allow_sql"] = {"id": "root"}
    ds = Datasette(
        metadata=metadata,
        plugins_dir=_dir(settings.datasette_plugins_dir),
        template_dir=_dir(settings.datasette_templates_dir),
        static_mounts=[("assets", str(settings.datasette_static_dir))]
        if settings.datasette_static_dir.is_dir()
        else None,
        # Table pages show a short preview of long text; row pages show it all.
        settings={
            "sql_time_limit_ms": 1000,
            "facet_time_limit_ms": 150,
            "truncate_cells_html": 160,
            # Suggesting facets probes every column: seconds at a million rows.
            "suggest_facets": False,
            # Bounded pages (plugins/guard.py bounds their bytes too).
            "max_returned_rows": 1000,
            "max_csv_mb": 100,
        },
    )
    # Read by plugins/guard.py: who may read, and how much one query may return.
    token = settings.write_api_token
    ds.prompt_improver_access = ReadAccess(
        token=token.get_secret_value() if token else None,
        required=settings.reads_need_auth,
        max_result_bytes=int(settings.datasette_max_result_mb * 1024 * 1024),
    )
    if settings.sqlite_db_path.exists():
        ds.add_database(
            Database(ds, path=str(settings.sqlite_db_path), is_mutable=True), name=DATABASE_NAME
        )
    return ds


@dataclass
class ReadAccess:
    token: str | None
    required: bool
    max_result_bytes: int


# A sign-in link not used within this time stops working.
SIGN_IN_LINK_TTL_S = 600.0


def sign_in_url(settings: Settings, ds: Any) -> str:
    """A fresh one-time link (Datasette's /-/auth-token) that signs a browser in as the owner;
    any earlier unused link stops working, and this one after SIGN_IN_LINK_TTL_S."""
    token = ds._root_token = secrets.token_hex(32)

    def expire() -> None:
        if ds._root_token == token:
            ds._root_token = None

    asyncio.get_running_loop().call_later(SIGN_IN_LINK_TTL_S, expire)
    host = settings.host_names[0] if settings.host_names else settings.bind_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # a wildcard bind: the link works on this machine as printed
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.bind_port}{ds.urls.path('-/auth-token')}?token={token}"


def _dir(path: Any) -> str | None:
    return str(path) if path.is_dir() else None


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        detail = f"{request.url.path}: method {request.method} not allowed; use {allowed}"
    elif exc.status_code == 404 and detail == "Not Found":
        detail = api.no_route(request.url.path).detail
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


async def server_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    request_id = getattr(request.state, "request_id", "-")
    return JSONResponse(
        {"detail": f"internal error (request {request_id}); the server log has the details"},
        status_code=500,
    )


def create_app(
    settings: Settings | None = None,
    *,
    lm: Any = None,
    with_datasette: bool = True,
) -> Starlette:
    """Build the app. `lm` replaces the configured LLM (tests and the benchmark pass one)."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.writer = None
        app.state.rows_at_start = 0
        if settings.sqlite_enabled:
            try:
                report = migrate(
                    settings.sqlite_db_path, busy_timeout_ms=settings.sqlite_busy_timeout_ms
                )
                if report.applied:
                    log.info("migrations applied to %s: %s", report.path, ", ".join(report.applied))
                app.state.rows_at_start = report.rows
            except (sqlite3.Error, OSError) as exc:
                # Still serve: the writer spools rows until the database can be opened.
                log.error(
                    "cannot open %s (%s); rows go to the spool until it can be",
                    settings.sqlite_db_path,
                    exc,
                )
                app.state.rows_at_start = None
            app.state.writer = writer_for(settings)
            app.state.writer.start()
            # The person's accepted and edited prompts, for the offline improver to reuse.
            app.state.personal = await asyncio.to_thread(load_personal, settings.sqlite_db_path)
        app.state.datasette = None
        if with_datasette:
            datasette_app.ds = app.state.datasette = make_datasette(settings)
            await datasette_app.ds.invoke_startup()
            if settings.reads_need_auth:
                # Printed, not logged to a file: it is a credential for one sign-in.
                print(f"Sign in to read the history: {sign_in_url(settings, datasette_app.ds)}")
        loop = asyncio.get_running_loop()
        program_file = app.state.improver.programs
        # The offline improver's indexes, off the event loop: the first nlac request is fast.
        loop.run_in_executor(None, _warm_up_offline)
        probe = app.state.improver.probe
        # dspy and litellm (~170 MB, seconds to import) load only once an LLM is known to be
        # there: after the probe reached it, for a custom LM, or with a compiled program to
        # load; a legacy request before that imports them itself. Never on the path of an
        # offline request.
        llm_warm_up = _once(lambda: loop.run_in_executor(None, _warm_up_llm, program_file))
        if probe is not None:
            probe.on_reachable = llm_warm_up
            probe.start()  # at once, then every LLM_PROBE_INTERVAL_S and after a failure
        if lm is not None or (program_file is not None and program_file.path.exists()):
            # An in-process LM, or a compiled program (its owner uses an LLM): load them now.
            llm_warm_up()
        sighup = program_file is not None and _on_sighup(loop, program_file.reload)
        try:
            yield
        finally:
            if probe is not None:
                await probe.stop()
            if sighup:
                loop.remove_signal_handler(signal.SIGHUP)
            if app.state.writer is not None:
                # Blocks until every queued row is committed: Ctrl-C loses nothing acknowledged.
                await asyncio.to_thread(app.state.writer.close)

    datasette_app = _LazyDatasette()
    routes = [
        # The hot path, matched first: it skips the Mount's second router (same answers).
        Route("/api/v1/history", api.write_history, methods=["POST"]),
        Route("/health", api.health, methods=["GET"]),
        Route("/api/v1/sign-in-link", api.sign_in_link, methods=["POST"]),
        Route("/api", api.api_root, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Mount("/api", app=api.api_router),
    ]
    if with_datasette:
        routes.append(Mount("/", app=api.JsonRoot(datasette_app)))
    middleware = [
        Middleware(api.RequestIdMiddleware),
        Middleware(security.GuardMiddleware, settings=settings),
    ]
    origins = [o.strip() for o in settings.cors_allow_origins.split(",") if o.strip()]
    if origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id", "x-client"],
                expose_headers=["x-request-id"],
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.improver = improver.LegacyImprover(
        settings,
        lm=lm,
        programs=programs.from_settings(settings),
        # A custom LM (tests, the benchmark) has no provider to probe.
        probe=llm_probe.LLMProbe(settings) if lm is None else None,
    )
    app.state.started = time.monotonic()
    app.state.writer = None
    app.state.personal = PersonalPool()
    return app


def _warm_up_offline() -> None:
    nlac.warm_up()
    # Start-up made many long-lived objects (Starlette, Datasette, the offline indexes): keep
    # them out of the cyclic GC, whose full passes over them stall requests; and collect the
    # youngest generation less often (requests make short-lived garbage, rarely cycles).
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _warm_up_llm(program_file: Any) -> None:
    improver.warm_up()
    if program_file is not None and program_file.stale():
        program_file.reload()


def _once(action: Callable[[], Any]) -> Callable[[], None]:
    done = False

    def run() -> None:
        nonlocal done
        if not done:
            done = True
            action()

    return run


def _on_sighup(loop: asyncio.AbstractEventLoop, reload: Any) -> bool:
    """`kill -HUP <pid>` reloads the compiled program. Only possible in the main thread."""
    try:
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, reload))
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or Windows
        return False
    return True


class _LazyDatasette:
    """Datasette is built in the lifespan, after migrations created the file it serves."""

    ds: Any = None
    _app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            self._app = self.ds.app()
        await self._app(scope, receive, send)
