"""The write API: explicit Starlette routes under /api/v1 plus /health. JSON in, JSON out."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from writer import __version__, limits, security
from writer import feedback as feedback_store
from writer.improver import is_warm as improver_ready
from writer.records import REQUEST_ID_RE, HistoryRecord, ImproveRequest, describe, parse_records
from writer.service import improve_and_record
from writer.storage import ROW_ERRORS

log = logging.getLogger("prompt_improver")
CLIENT_RE = re.compile(r"^[a-z0-9._-]{1,32}$")


_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count()


def _new_request_id() -> str:
    """Unique across restarts (a random prefix per process) and far cheaper than uuid4."""
    return f"{_ID_PREFIX}-{next(_ID_COUNTER):012x}"


class RequestIdMiddleware:
    """Echo a valid client X-Request-ID or make one; handlers read it from request.state."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode(
            "latin-1"
        )
        request_id = given if REQUEST_ID_RE.match(given) else _new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKey(key)
    return obj


class _NotFinite(ValueError):
    pass


def _no_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity; JSON does not, and SQLite would store NULL.
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(text[:40])  # 1e400: out of range, not a silent NULL after a 201
    return value


async def read_json(request: Request, limit: int | None = None) -> Any:
    """The body as JSON: size-limited, time-limited, strict UTF-8, no duplicate keys."""
    settings = request.app.state.settings
    limit = limit or settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body: {int(declared)} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(settings.body_timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"body: over the {limit}-byte limit")
                chunks.append(chunk)
    except TimeoutError:
        raise HTTPException(
            408, f"body: not received within {settings.body_timeout_s:g} s; send it at once"
        ) from None
    raw = b"".join(chunks)
    if not raw.strip():
        raise HTTPException(400, "body: empty; send a JSON object")
    try:
        return json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except UnicodeDecodeError:
        raise HTTPException(400, "body: not valid UTF-8; send UTF-8 encoded JSON") from None
    except RecursionError:
        raise HTTPException(400, "body: JSON nested too deeply") from None
    except _DuplicateKey as exc:
        raise HTTPException(400, f"body: duplicate key {exc}; send each field once") from None
    except _NotFinite as exc:
        raise HTTPException(
            400,
            f"body: {exc} is not a finite number (JSON has no NaN or Infinity); send a "
            "JSON object with finite numbers",
        ) from None
    except ValueError as exc:
        raise HTTPException(400, f"body: malformed JSON ({exc}); send a JSON object") from None


def require_write_token(request: Request) -> None:
    """With WRITE_API_TOKEN set, write endpoints need `Authorization: Bearer <token>`."""
    if request.app.state.settings.write_api_token is None:
        return
    if not has_token(request) and not signed_in_page(request):
        raise HTTPException(
            401,
            "authorization: this endpoint needs 'Authorization: Bearer <WRITE_API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


# User agents of the Raycast extension: its own name, or node's fetch (undici), which sends
# "node" and nothing else. curl, browsers and scripts send something longer.
RAYCAST_AGENTS = re.compile(r"raycast|^node(/[\d.]+)?$|^undici$", re.IGNORECASE)


def client_name(request: Request, default: str) -> str:
    """X-Client when it is a valid name; else `raycast` for the extension's user agents
    (see RAYCAST_AGENTS); else `default` (`api`)."""
    given = request.headers.get("x-client", "").strip().lower()
    if CLIENT_RE.match(given):
        return given
    if RAYCAST_AGENTS.search(request.headers.get("user-agent", "").strip()):
        return "raycast"
    return default


def user_agent(request: Request) -> str | None:
    """The User-Agent as sent, cut to 200 characters, stored beside `client`."""
    return request.headers.get("user-agent", "").strip()[:200] or None


async def improve_prompt(request: Request) -> JSONResponse:
    require_write_token(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HTTPException(400, "body: must be a JSON object with an 'idea' field")
    try:
        improve_request = ImproveRequest.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(400, describe(exc)) from None
    state = request.app.state
    outcome = await improve_and_record(
        improve_request,
        settings=state.settings,
        improver=state.improver,
        writer=state.writer,
        request_id=request.state.request_id,
        client=client_name(request, "api"),
        personal=state.personal,
        user_agent=user_agent(request),
    )
    return JSONResponse(outcome.body, status_code=outcome.status_code)


async def write_history(request: Request) -> JSONResponse:
    require_write_token(request)
    body = await read_json(request, request.app.state.settings.history_max_body_bytes)
    try:
        records = parse_records(body)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    writer = request.app.state.writer
    if writer is None:
        raise HTTPException(409, "recording is off (SQLITE_ENABLED=false); nothing was stored")
    refuse_expired(records, request.app.state.settings.sqlite_retention_days)
    rows = [record.to_row() for record in records]
    agent = user_agent(request)
    for row in rows:
        row["request_id"] = row["request_id"] or request.state.request_id
        row["user_agent"] = row["user_agent"] or agent
        row["client"] = row["client"] or client_name(request, "api")
    try:
        result = await writer.write(rows)
    except ROW_ERRORS as exc:
        raise HTTPException(400, f"records: the database refused them ({exc})") from None
    except limits.DatabaseFull as exc:
        raise HTTPException(507, str(exc)) from None
    except Exception as exc:
        log.error("history write failed: %s", exc)
        raise HTTPException(
            503,
            f"database: the records could not be stored ({exc}); nothing was stored, "
            "retry later and check /health for the last write error",
        ) from None
    if result.spooled:
        # Durable in the spool (fsync'd) and replayed into the database once it takes writes;
        # not committed yet, so not 201.
        return JSONResponse(
            {
                "ids": None,
                "count": len(rows),
                "spooled": True,
                "detail": "the database is not taking writes; the records are safe in the spool "
                "and will be added when it does (see /health)",
            },
            status_code=202,
        )
    return JSONResponse({"ids": result.ids, "count": len(result.ids)}, status_code=201)


def refuse_expired(records: list[HistoryRecord], days: int) -> None:
    """A row older than the retention window would be deleted by the next pass: refuse it
    rather than acknowledge an id that silently disappears."""
    if not days:
        return
    cutoff = datetime.now(UTC) - timedelta(days=days)
    for i, record in enumerate(records):
        if record.created_at is not None and record.created_at < cutoff:
            where = "created_at" if len(records) == 1 else f"records[{i}].created_at"
            raise HTTPException(
                400,
                f"{where}: older than the retention window (SQLITE_RETENTION_DAYS={days}); "
                "it would be deleted at the next pass. Send a newer date, or raise or turn off "
                "(0) SQLITE_RETENTION_DAYS",
            )


async def write_feedback(request: Request) -> JSONResponse:
    require_write_token(request)
    raw_id = request.path_params["id"]
    # ASCII digits only: str.isdigit() takes '²' (int() then fails) and '٣' (read as 3).
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 18 or int(raw_id) < 1:
        raise HTTPException(400, f"id: {raw_id!r} is not a history row id (a positive integer)")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HTTPException(400, "body: must be a JSON object with an 'outcome' field")
    try:
        given = feedback_store.FeedbackRequest.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(400, describe(exc)) from None
    writer = request.app.state.writer
    if writer is None:
        raise HTTPException(409, "recording is off (SQLITE_ENABLED=false); nothing was stored")
    history_id = int(raw_id)
    try:
        feedback_id = await feedback_store.add(
            writer,
            history_id,
            given,
            client=client_name(request, "api"),
            request_id=request.state.request_id,
        )
    except feedback_store.UnknownRow as exc:
        raise HTTPException(404, str(exc)) from None
    except feedback_store.NothingToRate as exc:
        raise HTTPException(409, str(exc)) from None
    except limits.DatabaseFull as exc:
        raise HTTPException(507, str(exc)) from None
    except Exception as exc:
        log.error("feedback write failed: %s", exc)
        raise HTTPException(
            503,
            f"database: the feedback could not be stored ({exc}); nothing was stored, "
            "retry later and check /health",
        ) from None
    # An accepted or edited prompt joins the offline improver's pool for this person.
    await asyncio.to_thread(
        request.app.state.personal.learn, request.app.state.settings.sqlite_db_path, history_id
    )
    return JSONResponse(
        {"id": feedback_id, "history_id": history_id, **given.model_dump()}, status_code=201
    )


async def sign_in_link(request: Request) -> JSONResponse:
    """A one-time link that signs a browser in to read the history (owner only)."""
    from writer.app import sign_in_url

    settings = request.app.state.settings
    if settings.write_api_token is None:
        raise HTTPException(
            409, "sign-in: set WRITE_API_TOKEN first; reading is open on loopback without it"
        )
    require_write_token(request)
    ds = request.app.state.datasette
    if ds is None:
        raise HTTPException(409, "sign-in: Datasette is not running in this server")
    return JSONResponse({"url": sign_in_url(settings, ds)}, status_code=201)


def signed_in_page(request: Request) -> bool:
    """A page of this server (same origin) in a browser signed in to Datasette as the owner
    (its signed ds_actor cookie): the reading view's feedback form works off loopback too.
    The cookie is SameSite=Lax and the Origin must be this server's own, so another site's
    page cannot use it."""
    ds = getattr(request.app.state, "datasette", None)
    cookie = request.cookies.get("ds_actor")
    origin = request.headers.get("origin")
    if ds is None or not cookie or not origin:
        return False
    if not security.origin_allowed(origin, request.scope, request.headers.get("host", ""), []):
        return False
    try:
        decoded = ds.unsign(cookie, "actor")
    except Exception:  # a bad or foreign signature
        return False
    return isinstance(decoded, dict) and (decoded.get("a") or {}).get("id") == "root"


def has_token(request: Request) -> bool:
    token = request.app.state.settings.write_api_token
    return token is not None and security.bearer_matches(
        request.headers.get("authorization", ""), token.get_secret_value()
    )


async def health(request: Request) -> JSONResponse:
    state = request.app.state
    settings = state.settings
    if settings.reads_need_auth and not has_token(request):
        # Off loopback, strangers learn only what the extension needs: up, and usable.
        return JSONResponse(
            {
                "status": "healthy",
                "dspy_configured": settings.dspy_configured,
                "llm_ready": improver_ready(),
                "modes": ["legacy", "nlac"],
                "version": __version__,
            }
        )
    writer = state.writer
    database: dict[str, Any] = {"enabled": writer is not None, "path": str(settings.sqlite_db_path)}
    if writer is not None:
        status = writer.status()
        start = state.rows_at_start
        database["rows"] = (
            None
            if start is None
            else (start + writer.rows_written + writer.rows_replayed - writer.rows_expired)
        )
        database.update(status)
    programs = state.improver.programs
    probe = state.improver.probe
    # dspy/litellm imported, and (for the configured provider) the last probe found the model.
    llm_ready = improver_ready() and (
        probe is None or (probe.state.reachable is True and probe.state.model_present is not False)
    )
    if programs is not None and improver_ready() and programs.stale():
        await asyncio.to_thread(programs.reload)  # so /health shows a new program at once
    return JSONResponse(
        {
            "status": "healthy",
            "provider": settings.llm_provider,
            "model": settings.model_name,
            "dspy_configured": settings.dspy_configured,
            "llm_ready": llm_ready,
            # dspy and litellm imported (in the background after start), LLM or not.
            "dspy_loaded": improver_ready(),
            # What the background probe of the provider's model list found (null: custom LM).
            "llm": probe.state.as_dict() if probe is not None else None,
            "llm_fallback": settings.llm_fallback,
            # The backend legacy requests get now, and the compiled program behind few-shot.
            "backend": state.improver.backend,
            "program": programs.status() if programs else None,
            "modes": ["legacy", "nlac"],
            "database": database,
            "version": __version__,
            "uptime_s": round(time.monotonic() - state.started, 1),
        }
    )


ENDPOINTS = {
    "improve": "POST /api/v1/improve-prompt",
    "history": "POST /api/v1/history",
    "feedback": "POST /api/v1/history/{id}/feedback",
    "openapi": "GET /api/v1/openapi.json",
    "health": "GET /health",
    "browse": "GET /prompt_history/prompt_history",
    "dashboard": "GET /-/dashboard",
}


def wants_json(scope: Scope) -> bool:
    """True when the Accept header prefers JSON over HTML (the extension's getBackendInfo)."""
    accept = next((v for k, v in scope["headers"] if k == b"accept"), b"").decode("latin-1")
    return "application/json" in accept and "text/html" not in accept


def root_info() -> dict[str, Any]:
    return {
        "message": "prompt-improver: improves prompts and keeps their history",
        "version": __version__,
        "endpoints": ENDPOINTS,
    }


class JsonRoot:
    """`GET /` with `Accept: application/json` gets a small JSON description (what the
    earlier backend served); everything else goes on to Datasette."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/"
            and scope["method"] in ("GET", "HEAD")
            and wants_json(scope)
        ):
            await JSONResponse(root_info())(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document())


def openapi_document() -> dict[str, Any]:
    error = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
    record = HistoryRecord.model_json_schema(ref_template="#/components/schemas/{model}")

    def errors(*codes: int) -> dict[str, Any]:
        return {
            str(c): {
                "description": "error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            for c in codes
        }

    return {
        "openapi": "3.1.0",
        "info": {"title": "prompt-improver write API", "version": __version__},
        "paths": {
            "/api/v1/improve-prompt": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ImproveRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "the improved prompt"},
                        **errors(400, 403, 413, 415, 502, 503, 504),
                    },
                }
            },
            "/api/v1/history": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/HistoryRecord"},
                                        {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": 1000,
                                            "items": {"$ref": "#/components/schemas/HistoryRecord"},
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "ids of the stored records"},
                        **errors(400, 403, 409, 413, 415, 503, 507),
                    },
                }
            },
            "/api/v1/history/{id}/feedback": {
                "post": {
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/FeedbackRequest"}
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "the stored feedback, with its id"},
                        **errors(400, 403, 404, 409, 413, 415, 503, 507),
                    },
                }
            },
            "/health": {"get": {"responses": {"200": {"description": "service status"}}}},
        },
        "components": {
            "schemas": {
                "ImproveRequest": ImproveRequest.model_json_schema(),
                "HistoryRecord": record,
                "FeedbackRequest": feedback_store.FeedbackRequest.model_json_schema(),
                "Error": error,
            }
        },
    }


def no_route(path: str) -> HTTPException:
    return HTTPException(404, f"{path}: no such API route; see /api/v1/openapi.json")


async def api_not_found(scope: Scope, receive: Receive, send: Send) -> None:
    raise no_route(scope["path"])


async def api_root(request: Request) -> JSONResponse:
    raise no_route(request.url.path)


# No slash redirects under /api: a 307/302 would hide a typo, and Datasette must never see /api.
api_router = Router(
    routes=[
        Route("/v1/improve-prompt", improve_prompt, methods=["POST"]),
        Route("/v1/history", write_history, methods=["POST"]),
        Route("/v1/history/{id}/feedback", write_feedback, methods=["POST"]),
        Route("/v1/openapi.json", openapi, methods=["GET"]),
    ],
    redirect_slashes=False,
    default=api_not_found,
)
