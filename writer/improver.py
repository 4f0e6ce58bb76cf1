"""The improver: DSPy on the configured LLM (mode `legacy`) or the offline nlac improver.

dspy (and litellm through it) is imported on first use so that `serve` is healthy fast and
small; `serve` runs `warm_up()` in the background once the LLM probe reached the LLM.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from writer import nlac, sections
from writer.dspy_module import build_program
from writer.settings import Settings
from writer.text import fold

if TYPE_CHECKING:
    import dspy

    from writer.llm_probe import LLMProbe
    from writer.offline.pool import PersonalPool
    from writer.programs import CompiledProgram, ProgramFile

FRAMEWORKS = ("chain-of-thought", "tree-of-thoughts", "decomposition", "role-playing")


_FRAMEWORK_WORDS = [
    ("tree-of-thoughts", re.compile(r"\btree\b|\btot\b|arbol")),
    ("chain-of-thought", re.compile(r"\bchain\b|\bcot\b|cadena")),
    ("decomposition", re.compile(r"decompos|descompos")),
    ("role-playing", re.compile(r"\brole\b|roleplay|\bpersona\b|juego de rol")),
    ("chain-of-thought", re.compile(r"step by step|paso a paso")),
]


def framework_label(raw: str | None) -> str | None:
    """Which of our four labels `raw` names ("Chain-of-Thought", "CoT", "Descomposición
    (decomposition)..."), or None. The one named first wins, so "Decomposition
    (step-by-step ...)" stays decomposition."""
    text = re.sub(r"[^a-z]+", " ", fold(raw or "")).strip()
    found = [(m.start(), label) for label, rx in _FRAMEWORK_WORDS if (m := rx.search(text))]
    return min(found)[1] if found else None


def normalize_framework(raw: str | None) -> str:
    """framework_label, with decomposition for anything it does not recognise."""
    return framework_label(raw) or "decomposition"


@dataclass
class Improvement:
    improved_prompt: str
    role: str
    directive: str
    framework: str
    framework_raw: str | None
    guardrails: list[str]
    reasoning: str | None
    confidence: float | None
    backend: str
    provider: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    program_hash: str | None = None
    # What the offline improver recognised (writer/offline/taxonomy.py); None from an LLM.
    task: str | None = None
    subject: str | None = None


class LLMFailure(Exception):
    """The LLM could not give a usable answer. `kind` picks the HTTP status.

    `detail` is for people (the API answer, the CLI, the extension shows its first 200
    characters): the cause in plain words, then what to do. `message` is the provider's own
    text, kept for the log and the row's `error` column."""

    STATUS = {"unavailable": 503, "timeout": 504, "unusable": 502}
    CAUSE = {
        "unavailable": "the LLM could not be reached",
        "timeout": "the LLM did not answer in time",
        "unusable": "the LLM's answer could not be read as a prompt",
    }
    ADVICE = {
        "unavailable": "start the LLM or check LLM_PROVIDER, LLM_BASE_URL and the API key, "
        "or use mode 'nlac'",
        "timeout": "use a faster model or raise IMPROVE_DEADLINE_S, or use mode 'nlac'",
        "unusable": "try again or use a model that follows instructions better, or mode 'nlac'",
    }
    LIMIT = 200

    def __init__(
        self, kind: str, message: str, cause: str | None = None, advice: str | None = None
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.cause = cause or self.CAUSE[kind]
        self.advice = advice or self.ADVICE[kind]

    @property
    def status_code(self) -> int:
        return self.STATUS[self.kind]

    def detail_for(self, offline: str = "mode 'nlac'") -> str:
        """The short text; `offline` names the way to answer without an LLM (CLI: a flag)."""
        advice = " What to do: " + self.advice.replace("mode 'nlac'", offline) + "."
        head = f"LLM {self.kind}: {self.cause}."
        room = self.LIMIT - len(advice)
        if len(head) > room:  # shorten the cause, never the advice
            head = head[: room - 4].rstrip() + "...."
        return head + advice

    @property
    def detail(self) -> str:
        return self.detail_for()

    @property
    def row_error(self) -> str:
        """What the history row keeps: the short text, then the provider's own words."""
        if self.message and self.message not in self.cause:
            return f"{self.detail} Provider said: {self.message}"
        return self.detail


def improve_offline(
    idea: str, context: str, k: int = 3, personal: PersonalPool | None = None
) -> Improvement:
    result = nlac.improve(idea, context, k=k, personal=personal)
    return Improvement(
        improved_prompt=result.improved_prompt,
        role=result.role,
        directive=result.directive,
        framework=result.framework,
        framework_raw=result.framework,
        guardrails=result.guardrails,
        reasoning=result.reasoning,
        confidence=result.confidence,
        backend="nlac",
        task=result.task,
        subject=result.subject,
    )


def build_lm(settings: Settings) -> dspy.LM:
    """The configured LM through litellm; nothing is called until the first request."""
    import dspy

    return dspy.LM(
        settings.litellm_model,
        engine="litellm",
        api_base=settings.api_base(),
        api_key=settings.api_key(),
        timeout=settings.llm_call_timeout_s,
        num_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        # A cached garbage answer would be served again on retry; every call is fresh.
        cache=False,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 20:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _classify(exc: BaseException, settings: Settings, where: str | None) -> LLMFailure:
    """The failure in plain words: litellm's text has object reprs and buries the cause."""
    from dspy.utils import exceptions as e

    message = " ".join(str(exc).split())[:2000] or type(exc).__name__
    budget = f"{settings.llm_call_timeout_s:g}"
    if isinstance(exc, TimeoutError | e.LMTimeoutError):
        return LLMFailure("timeout", message, f"no answer within {budget} s")
    if isinstance(exc, e.AdapterParseError | e.LMUnexpectedError | ValueError | TypeError):
        return LLMFailure("unusable", message)
    names = {type(x).__name__ for x in _chain(exc)}
    model = settings.model_name
    if _nothing_listening(exc):
        return LLMFailure("unavailable", message, f"nothing is listening at {where}")
    if "RateLimitError" in names:
        return LLMFailure(
            "unavailable",
            message,
            "the provider is rate-limiting requests",
            "wait a minute, or use mode 'nlac'",
        )
    if "AuthenticationError" in names or "PermissionDeniedError" in names:
        return LLMFailure(
            "unavailable",
            message,
            "the provider refused the API key",
            "check LLM_API_KEY or the provider's key variable, or use mode 'nlac'",
        )
    if "NotFoundError" in names:
        pull = f"run `ollama pull {model}`" if settings.llm_provider == "ollama" else ""
        return LLMFailure(
            "unavailable",
            message,
            f"model {model} was not found",
            f"{pull or 'check LLM_MODEL'}, or use mode 'nlac'",
        )
    if "Timeout" in " ".join(names):
        return LLMFailure("timeout", message, f"no answer within {budget} s")
    return LLMFailure("unavailable", message, "the provider answered with an error")


def _nothing_listening(exc: BaseException) -> bool:
    """True when the provider could not be connected to at all (seen through the wrapping)."""
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            return False
        if isinstance(seen, ConnectionError):  # ConnectionRefusedError, ConnectionResetError...
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _cost(model: str, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
    if prompt_tokens is None and completion_tokens is None:
        return None
    try:
        import litellm

        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt_tokens or 0, completion_tokens=completion_tokens or 0
        )
        return round(prompt_cost + completion_cost, 8)
    except Exception:  # unknown models have no price: leave the cost empty
        return None


class LegacyImprover:
    """DSPy ChainOfThought on the LM from settings, one `dspy.context` per request.

    With a compiled program (`programs`, see programs.from_settings), its demos go with every
    call and rows say `few-shot` and the program's hash; a changed file is picked up on the
    next request."""

    def __init__(
        self,
        settings: Settings,
        lm: Any = None,
        programs: ProgramFile | None = None,
        probe: LLMProbe | None = None,
    ):
        self.settings = settings
        # Background readiness of the provider (serve and the CLI); None with a custom LM.
        self.probe = probe
        self._lm = lm
        self._program: Any = None
        self._custom_lm = lm is not None
        self.programs = programs
        # After a transport failure (nothing listening), skip the LLM until this moment:
        # a stopped Ollama must not cost every hotkey press a full retry cycle.
        self._down_until = 0.0
        self._down_reason = ""

    @property
    def provider(self) -> str:
        return "custom" if self._custom_lm else self.settings.llm_provider

    @property
    def model(self) -> str:
        return (
            str(getattr(self._lm, "model", "custom"))
            if self._custom_lm
            else self.settings.model_name
        )

    @property
    def backend(self) -> str:
        return "few-shot" if self.programs and self.programs.current else "zero-shot"

    def _ensure(self) -> None:
        if self._lm is None:
            self._lm = build_lm(self.settings)
        if self._program is None:
            self._program = build_program()

    async def _compiled(self) -> CompiledProgram | None:
        if self.programs is None:
            return None
        if self.programs.stale():  # a stat per request; loading happens off the event loop
            await asyncio.to_thread(self.programs.reload)
        return self.programs.current

    def _known_down(self) -> LLMFailure | None:
        """The probe says the LLM cannot answer: fail at once (the fallback is then instant)."""
        state = self.probe.state if self.probe is not None else None
        if state is None or not state.down:
            return None
        reason = state.last_error or "the last check failed"
        since = f" (down since {state.since}; /health has the latest check)" if state.since else ""
        advice = None
        if state.reachable and self.settings.llm_provider == "ollama":
            advice = f"run `ollama pull {self.settings.model_name}`, or use mode 'nlac'"
        # The short detail names the cause; the row keeps when it started.
        return LLMFailure("unavailable", reason + since, reason, advice)

    async def improve(self, idea: str, context: str) -> Improvement:
        if self.probe is not None:
            await self.probe.first_check()
        known = self._known_down()
        if known is not None:
            raise known
        wait = self._down_until - time.monotonic()
        if wait > 0:
            raise LLMFailure(
                "unavailable",
                f"{self._down_reason} (not retried for another {wait:.0f} s)",
                f"{self._down_reason} (not retried for another {wait:.0f} s)",
            )
        try:
            # One budget for the import, the calls and litellm's retries: the rest of
            # IMPROVE_DEADLINE_S is kept for the offline fallback.
            async with asyncio.timeout(self.settings.llm_budget_s):
                if not _warm.is_set():
                    await asyncio.to_thread(warm_up)
                import dspy

                self._ensure()
                compiled = await self._compiled()
                async with asyncio.timeout(self.settings.llm_call_timeout_s):
                    with dspy.context(lm=self._lm, track_usage=True):
                        if compiled is None:
                            prediction = await self._program.acall(
                                original_idea=idea, context=context
                            )
                        else:
                            prediction = await compiled.module.acall(
                                original_idea=idea,
                                context=context,
                                demos=compiled.demos_for(idea, context),
                            )
        except (Exception, TimeoutError) as exc:
            where = self.settings.api_base() or f"the {self.settings.llm_provider} API"
            failure = _classify(exc, self.settings, where)
            if _nothing_listening(exc):
                if self.probe is not None:
                    self.probe.mark_down(failure.cause)
                elif self.settings.llm_retry_after_s:
                    self._down_until = time.monotonic() + self.settings.llm_retry_after_s
                    self._down_reason = failure.cause
            elif self.probe is not None:
                self.probe.kick()  # something is wrong: look again soon
            raise failure from exc
        self._down_until = 0.0
        return self._to_improvement(prediction, compiled)

    def _to_improvement(self, p: Any, compiled: CompiledProgram | None = None) -> Improvement:
        improved = str(getattr(p, "improved_prompt", "") or "").strip()
        if not improved:
            raise LLMFailure("unusable", "the answer had no improved_prompt")
        # What had to be repaired is said in `reasoning`, so the row shows it too.
        notes: list[str] = []
        found = sections.parse(improved)
        role, directive = str(p.role or "").strip(), str(p.directive or "").strip()
        if not role and found.get("role"):
            role = found["role"]
            notes.append("role taken from the prompt")
        if not directive and found.get("directive"):
            directive = found["directive"]
            notes.append("directive taken from the prompt")
        guardrails = p.guardrails if isinstance(p.guardrails, list) else [p.guardrails]
        guardrails = [str(g).strip() for g in guardrails if str(g or "").strip()]
        if not guardrails and found.get("guardrails"):
            guardrails = sections.guardrail_lines(found["guardrails"])
            notes.append("guardrails taken from the prompt")
        try:
            confidence: float | None = float(p.confidence)
        except (TypeError, ValueError):
            confidence = None
        if confidence is None or confidence != confidence:  # missing, not a number, NaN
            if getattr(p, "confidence", None) is not None:
                notes.append(f"confidence {str(p.confidence)[:20]!r} is not a number: left empty")
            confidence = None
        elif not 0.0 <= confidence <= 1.0:
            clamped = min(1.0, max(0.0, confidence))
            notes.append(f"confidence {confidence:g} clamped to {clamped:g}")
            confidence = clamped
        reasoning = (str(p.reasoning).strip() or None) if getattr(p, "reasoning", None) else None
        if notes:
            note = f"[Model output repaired: {'; '.join(notes)}.]"
            reasoning = f"{reasoning}\n\n{note}" if reasoning else note
        usage = {}
        try:
            usage = next(iter((p.get_lm_usage() or {}).values()), {}) or {}
        except Exception:
            usage = {}
        prompt_tokens = usage.get("prompt_tokens")
        completion_tokens = usage.get("completion_tokens")
        return Improvement(
            improved_prompt=improved,
            role=role,
            directive=directive,
            framework=normalize_framework(p.framework),
            framework_raw=str(p.framework or "") or None,
            guardrails=guardrails,
            reasoning=reasoning,
            confidence=confidence,
            backend="zero-shot" if compiled is None else "few-shot",
            program_hash=None if compiled is None else compiled.hash,
            provider=self.provider,
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=_cost(self._lm.model, prompt_tokens, completion_tokens),
        )


_warm = threading.Event()
_warm_lock = threading.Lock()


def is_warm() -> bool:
    return _warm.is_set()


def warm_up() -> None:
    """Import dspy and litellm once, ahead of the first legacy request (run in a thread).

    Two threads importing litellm at once can see it half-initialised, hence the lock.
    """
    with _warm_lock:
        if not _warm.is_set():
            import dspy  # noqa: F401
            import litellm

            # litellm prints banners and an INFO line per call; the server log needs neither.
            litellm.suppress_debug_info = True
            logging.getLogger("LiteLLM").setLevel(logging.WARNING)
            _detach_litellm_filters()
            # Start-up made millions of long-lived objects (dspy, litellm, Datasette): keep
            # them out of the cyclic GC, whose full passes over them stalled requests.
            gc.freeze()
            gc.set_threshold(50_000, 50, 100)
            _warm.set()


# Loggers litellm hooks its secret-redaction filters onto at import although they are not its
# own: they ran (~6 % of the CPU under load) on every server log line. Our lines carry no
# litellm secrets; litellm's own loggers keep their filters.
_NOT_LITELLMS = ("uvicorn.access", "uvicorn.error", "uvicorn", "asyncio", "prompt_improver")


def _detach_litellm_filters() -> None:
    for name in _NOT_LITELLMS:
        logger = logging.getLogger(name)
        for f in list(logger.filters):
            if type(f).__module__.startswith("litellm"):
                logger.removeFilter(f)
