"""The guard in front of the whole app: which requests a browser on this machine may make.

Any web page the user visits can send requests to 127.0.0.1. This middleware refuses the ones
only a hostile page would send, before any route runs (docs/security.md has the rules):

- a Host header that is not a loopback name or an ALLOWED_HOSTS name (DNS rebinding): 421;
- writes (non-GET under /api) with an Origin that is neither this server's own origin nor in
  CORS_ALLOW_ORIGINS: 403; with a Content-Type other than application/json: 415 (a page can
  send text/plain without a CORS preflight, never application/json);
- cross-site subresource requests (Fetch Metadata: `Sec-Fetch-Site: cross-site` and not a
  top-level navigation) to Datasette and /health: 403, so an `<img src>` cannot run a query;
- any method but GET/HEAD on Datasette's read-only pages: 405;
- any other spelling of /api (`/API/...`, `//api/...`): the API's JSON 404, never Datasette.

Every response gets nosniff and frame protection; Datasette's get a content-security policy.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from writer.settings import Settings, is_loopback

READ_METHODS = {"GET", "HEAD"}
# Datasette's own POST endpoint that stays open: signing out (it carries a CSRF token).
DATASETTE_POSTS = {"/-/logout"}
_SLASHES = re.compile(r"/{2,}")

COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# The request headers the guard reads (ASGI gives names in lower case).
_CHECKED = {
    b"host",
    b"origin",
    b"content-type",
    b"sec-fetch-site",
    b"sec-fetch-mode",
    b"sec-fetch-dest",
}


def inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts Datasette's own templates carry (the menu closer, the
    SQL editor, the table page's facet flag). Read from the installed templates, so an upgrade
    of Datasette is followed; our own templates have no inline script at all."""
    import datasette

    templates = Path(datasette.__file__).parent / "templates"
    scripts: list[str] = []
    for name in ("_close_open_menus.html", "_codemirror_foot.html", "table.html"):
        path = templates / name
        if path.exists():
            scripts += re.findall(r"<script>(.*?)</script>", path.read_text("utf-8"), re.S)
    rendered: list[str] = []
    for script in scripts:
        flag = "{{ datasette_allow_facet }}"
        if flag in script:
            rendered += [script.replace(flag, value) for value in ("true", "false")]
        elif "{{" not in script and "{%" not in script:
            rendered.append(script)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in rendered
    ]


def datasette_csp() -> bytes:
    # 'unsafe-eval': Vega (the dashboard) and datasette-vega compile chart expressions with
    # Function(); inline script stays forbidden except Datasette's own, by hash.
    script = " ".join(["'self'", "'unsafe-eval'", *inline_script_hashes()])
    return (
        "default-src 'self'; "
        f"script-src {script}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    ).encode()


def split_host(value: str) -> str:
    """The name part of a Host header: 'localhost:8000' -> 'localhost', '[::1]:80' -> '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(name: str, settings: Settings) -> bool:
    name = name.rstrip(".")
    if not name:
        return False
    if is_loopback(name) or name in settings.host_names:
        return True
    bound = settings.bind_host.strip().lower()
    return bound not in ("0.0.0.0", "::", "") and name == bound


def is_api_path(path: str) -> bool:
    """True for every spelling of /api: case, doubled slashes."""
    normal = (_SLASHES.sub("/", path) if "//" in path else path).lower()
    return normal == "/api" or normal.startswith("/api/")


def origin_allowed(origin: str, scope: Scope, host: str, cors: list[str]) -> bool:
    """An Origin may write when it is this server's own origin (same scheme, host and port as
    the Host the request was sent to, a Host that passed the check) or listed in
    CORS_ALLOW_ORIGINS."""
    if origin in cors:
        return True
    return origin.lower() == f"{scope.get('scheme', 'http')}://{host.strip().lower()}"


def bearer_matches(authorization: str, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time (the API and Datasette)."""
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


class GuardMiddleware:
    """Refuse what only a hostile page or a rebinding attack would send; add safety headers."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.cors = [o.strip() for o in settings.cors_allow_origins.split(",") if o.strip()]
        self.csp = datasette_csp()
        # Host header -> allowed, so the address parsing runs once per name, not per request;
        # bounded, since any client can send any number of names.
        self.host_allowed = functools.lru_cache(maxsize=256)(
            lambda host: host_allowed(split_host(host), settings)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # nothing here speaks WebSocket: refuse, unchecked
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = is_api_path(scope["path"])
        refusal = self.check(scope, api)
        extra = list(COMMON_HEADERS)
        extra.append((b"content-security-policy", API_CSP if api else self.csp))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [_http_only(k, v) for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in extra if k not in present]
            await send(message)

        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def check(self, scope: Scope, api: bool) -> Any:
        headers: dict[bytes, str] = {}
        for key, value in scope["headers"]:
            # Only the headers read below are decoded. A repeated Host, Origin or
            # Content-Type header is itself suspicious: keep the first.
            if key in _CHECKED and key not in headers:
                headers[key] = value.decode("latin-1")
        if len(scope["headers"]) > self.settings.http_max_headers:
            return _refuse(431, f"headers: more than {self.settings.http_max_headers}")
        host = headers.get(b"host", "")
        if not self.host_allowed(host):
            return _refuse(
                421,
                f"host: this server does not answer to {host!r}; use http://127.0.0.1 or "
                "http://localhost, or add the name to ALLOWED_HOSTS",
            )
        method, path = scope["method"], scope["path"]
        if api:
            if not (path == "/api" or path.startswith("/api/")):
                return _refuse(404, f"{path}: no such API route; see /api/v1/openapi.json")
            if method in READ_METHODS or method == "OPTIONS":
                return None
            origin = headers.get(b"origin")
            if origin is not None and not origin_allowed(origin, scope, host, self.cors):
                return _refuse(
                    403,
                    f"origin: requests from {origin!r} may not write here; a browser page "
                    "can only write when it is served by this server or listed in "
                    "CORS_ALLOW_ORIGINS",
                )
            if not is_json(headers.get(b"content-type", "")):
                return _refuse(
                    415,
                    "content-type: send 'Content-Type: application/json' "
                    f"(got {headers.get(b'content-type', 'none')!r})",
                )
            return None
        if headers.get(b"sec-fetch-site") == "cross-site" and not (
            headers.get(b"sec-fetch-mode") == "navigate"
            and headers.get(b"sec-fetch-dest", "document") == "document"
            and method in READ_METHODS
        ):
            return _refuse(
                403,
                "sec-fetch-site: another site's page may link here but not load this "
                "as part of itself",
            )
        if method not in READ_METHODS and not (method == "POST" and path in DATASETTE_POSTS):
            return _refuse(
                405,
                f"{path}: method {method} not allowed; the history is read-only here (GET)",
                {"Allow": "GET, HEAD"},
            )
        return None


def _http_only(key: bytes, value: bytes) -> tuple[bytes, bytes]:
    """Datasette's sign-in cookie (ds_actor) without HttpOnly: add it, no script needs it."""
    if (
        key.lower() == b"set-cookie"
        and value.startswith(b"ds_actor=")
        and b"httponly" not in (value.lower())
    ):
        value += b"; HttpOnly"
    return key, value


def _refuse(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)
