"""Is the configured LLM there? A cheap background check of the provider's model list.

`serve` probes at start, after a failed call and then every LLM_PROBE_INTERVAL_S, so a
request in mode `legacy` knows before it starts whether the LLM can answer: with the LLM
down it answers from the offline fallback at once instead of paying for connection retries.

Plain urllib on purpose: importing litellm costs ~170 MB and seconds, and the probe runs
on the path of an offline answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from writer.settings import Settings

log = logging.getLogger("prompt_improver")

# Where each hosted provider lists its models when LLM_BASE_URL is not changed.
DEFAULT_BASES = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
    "gemini": "https://generativelanguage.googleapis.com/v1beta",
    "deepseek": "https://api.deepseek.com",
}
# A slow answer is not a verdict (a busy server, a slow network): only a refusal or an error is.
PROBE_TIMEOUT_S = 5.0


@dataclass
class Readiness:
    """What the last probe found. None: not known (not probed yet, or not listed)."""

    url: str | None = None
    reachable: bool | None = None
    model_present: bool | None = None
    last_error: str | None = None
    since: str | None = None  # when the current verdict (up or down) began
    checked_at: str | None = None

    @property
    def down(self) -> bool:
        """True only when a probe showed the LLM cannot answer (unknown is not down)."""
        return self.reachable is False or self.model_present is False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def base_url(settings: Settings) -> str:
    return (settings.api_base() or DEFAULT_BASES.get(settings.llm_provider, "")).rstrip("/")


def target(settings: Settings) -> tuple[str, dict[str, str]]:
    """The model-list URL of the configured provider and the headers it needs."""
    provider, key = settings.llm_provider, settings.api_key()
    base = base_url(settings)
    if provider == "ollama":
        return f"{base}/api/tags", {}
    if provider == "anthropic" and settings.api_base() is None:
        return f"{base}/models", {"x-api-key": key or "", "anthropic-version": "2023-06-01"}
    if provider == "gemini" and settings.api_base() is None:
        return f"{base}/models", {"x-goog-api-key": key or ""}
    return f"{base}/models", ({"Authorization": f"Bearer {key}"} if key else {})


def model_listed(provider: str, model: str, payload: Any) -> bool | None:
    """Whether `model` is in the provider's list. Ollama's list is the truth (a missing model
    fails every call); other providers may serve aliases they do not list, so absent is
    'unknown' there, never 'missing'."""
    if not isinstance(payload, dict):
        return None
    names: set[str] = set()
    for item in payload.get("models") or payload.get("data") or []:
        if isinstance(item, dict):
            for field in ("name", "model", "id"):
                if isinstance(item.get(field), str):
                    names.add(item[field])
    if provider == "ollama":
        tagged = model if ":" in model else f"{model}:latest"
        return model in names or tagged in names
    if model in names or f"models/{model}" in names:
        return True
    return None


def fetch(url: str, headers: dict[str, str], timeout: float | None = None) -> Any:
    """GET the model list; raises OSError (URLError, HTTPError, timeouts) or ValueError."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=timeout or PROBE_TIMEOUT_S) as response:  # noqa: S310 (config URL)
        return json.loads(response.read(2_000_000) or b"null")


def plain_error(exc: BaseException, url: str) -> str:
    """The probe's failure in plain words (no object reprs, no key)."""
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code in (401, 403):
            return f"the provider refused the API key (HTTP {exc.code} from {url})"
        return f"HTTP {exc.code} from {url}"
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, ConnectionRefusedError):
        return f"nothing is listening at {url}"
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"no answer from {url} within {PROBE_TIMEOUT_S:g} s"
    if isinstance(exc, ValueError):
        return f"{url} did not answer with JSON"
    text = str(reason.strerror if isinstance(reason, OSError) and reason.strerror else reason)
    return f"cannot reach {url} ({text[:80]})"


def check(settings: Settings) -> Readiness:
    """One probe, blocking (run it in a thread)."""
    url, headers = target(settings)
    where = base_url(settings)  # people know the base URL they configured, not the list's
    state = Readiness(url=url, checked_at=_now())
    try:
        payload = fetch(url, headers)
    except urllib.error.HTTPError as exc:
        state.reachable = True
        if exc.code in (401, 403):
            state.model_present = False  # nothing will work with this key
        state.last_error = plain_error(exc, where)
        return state
    except (OSError, ValueError) as exc:
        timed_out = isinstance(getattr(exc, "reason", exc), TimeoutError) or "timed out" in str(exc)
        # No answer in time: unknown, not down; the improvement's own deadline covers a hang.
        state.reachable = None if timed_out else False
        state.last_error = plain_error(exc, where)
        return state
    state.reachable = True
    state.model_present = model_listed(settings.llm_provider, settings.model_name, payload)
    if state.model_present is False:
        state.last_error = f"model {settings.model_name} is not available at {where}"
    return state


class LLMProbe:
    """Runs `check` in the background and keeps the latest Readiness."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.state = Readiness(url=target(settings)[0])
        self._wake: asyncio.Event | None = None
        self._first: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        # Called (on the event loop) after each check that found the LLM reachable: `serve`
        # imports dspy/litellm then, in the background, and never when no LLM is there.
        self.on_reachable: Callable[[], Any] | None = None

    async def first_check(self, timeout: float = 2.0) -> None:
        """Wait (bounded) for the probe started with `serve`: a request right after start
        then knows as much as the later ones. A refused connection takes milliseconds; a
        provider slower than `timeout` is tried as if not probed yet."""
        if self._first is not None and not self._first.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._first.wait()

    async def check_now(self) -> Readiness:
        new = await asyncio.to_thread(check, self.settings)
        old = self.state
        # `since` is when the verdict last changed, so /health can say "down since 09:12".
        new.since = old.since if old.checked_at and old.down == new.down else new.checked_at
        if new.down and not old.down:
            log.warning("LLM not usable: %s", new.last_error)
        elif old.down and not new.down:
            log.info("LLM reachable again at %s", new.url)
        self.state = new
        if new.reachable and not new.down and self.on_reachable is not None:
            self.on_reachable()
        return new

    def kick(self) -> None:
        """Probe again soon (a real call just failed)."""
        if self._wake is not None:
            self._wake.set()

    def mark_down(self, reason: str) -> None:
        """A real call found nothing listening: believe it until the next probe says otherwise."""
        if not self.state.down:
            self.state = Readiness(
                url=self.state.url,
                reachable=False,
                last_error=reason,
                since=_now(),
                checked_at=_now(),
            )
        self.kick()

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(Exception):  # a probe must never end the loop
                await self.check_now()
            assert self._first is not None
            self._first.set()
            interval = (
                self.settings.llm_probe_down_interval_s
                if self.state.down
                else self.settings.llm_probe_interval_s
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wake.wait()
            self._wake.clear()

    def start(self) -> None:
        self._wake, self._first = asyncio.Event(), asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
