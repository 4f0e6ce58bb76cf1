"""uvicorn's httptools protocol with the limits it lacks: header size and count, a deadline for
the headers, and a connection cap.

Stock uvicorn (httptools) buffers request headers without limit (1 GB was accepted) and
waits for them forever (~20k slow-header connections exhausted the file descriptors). h11
has a size limit but no deadline and is slower, so `serve` runs this subclass instead:

- headers (request line included) over `max_header_bytes`, or more than `max_headers` of
  them: 431 and the connection is closed;
- headers not complete `header_timeout_s` after the connection opened or the previous
  response finished: 408 and closed (idle keep-alive connections still close after uvicorn's
  `timeout_keep_alive`);
- beyond `max_connections` open connections, a new one gets 503 and is closed at once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from writer.settings import Settings

# CPython's GIL switch interval for `serve` (default 5 ms). The writer thread gives the GIL
# up for every SQLite call and must take it back from a busy event loop to hand the ids
# over; at 5 ms that wait, not SQLite, set the pace under load (+15-30 % at 64 connections).
SWITCH_INTERVAL_S = 0.001


class _TooLarge(Exception):
    pass


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    max_header_bytes = 32 * 1024
    max_headers = 100
    header_timeout_s = 10.0
    max_connections = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_headers = True
        self._header_bytes = 0  # raw bytes received while the headers are incomplete
        self._parsed_bytes = 0  # request line and headers parsed so far
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections:
            self.transport = transport
            self._refuse(503, "too many connections; retry shortly")
            return
        super().connection_made(transport)
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_headers:
            self._header_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _TooLarge):
                self._refuse(431, str(exc.__context__))
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._awaiting_headers and self._header_bytes > self.max_header_bytes:
            self._refuse(431, f"request headers over {self.max_header_bytes} bytes")

    # Parser callbacks: count, and stop the parser once over a limit.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._parsed_bytes = 0
        if self._header_timer is None:  # the first request keeps the connection's deadline
            self._start_header_timer()

    def on_url(self, url: bytes) -> None:
        self._parsed_bytes += len(url)
        if self._parsed_bytes > self.max_header_bytes:
            raise _TooLarge(f"request line over {self.max_header_bytes} bytes")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        # A whole request can arrive in one read: count what was parsed, not only what waits.
        self._parsed_bytes += len(name) + len(value) + 4
        if self._parsed_bytes > self.max_header_bytes:
            raise _TooLarge(f"request headers over {self.max_header_bytes} bytes")
        if len(self.headers) >= self.max_headers:
            raise _TooLarge(f"more than {self.max_headers} request headers")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._header_bytes = 0
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's headers get a fresh deadline once its first byte arrives
        # (on_message_begin); until then uvicorn's keep-alive timeout closes an idle line.
        self._header_bytes = 0

    # Helpers
    def _start_header_timer(self) -> None:
        self._cancel_header_timer()
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._awaiting_headers and not self.transport.is_closing():
            self._refuse(408, f"request headers not received within {self.header_timeout_s:g} s")

    def _refuse(self, status: int, detail: str) -> None:
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}.get(
            status, b"Service Unavailable"
        )
        body = json.dumps({"detail": detail}).encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self._awaiting_headers = False
        self._cancel_header_timer()
        self.transport.close()


def protocol_for(settings: Settings) -> type[GuardedHttpToolsProtocol]:
    """The protocol class with the limits from the settings."""
    return type(
        "ServeHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "max_header_bytes": settings.http_max_header_bytes,
            "max_headers": settings.http_max_headers,
            "header_timeout_s": settings.http_header_timeout_s,
            "max_connections": settings.http_max_connections,
        },
    )


def uvicorn_options(settings: Settings, log_level: str = "info", access_log: bool = False) -> dict:
    """The uvicorn settings `serve` runs with; the benchmark runs every variant with these."""
    return {
        "log_level": log_level,
        "access_log": access_log,
        "timeout_graceful_shutdown": 30,
        # No reverse proxy sits in front: X-Forwarded-* from a local process would otherwise
        # rewrite the client and scheme the guard checks, and its middleware runs per request.
        "proxy_headers": False,
        # Header size/count limits, a header deadline and a connection cap (above).
        "http": protocol_for(settings),
    }
