"""One improvement, end to end: improve (with fallback), record the row, shape the answer.

Shared by the HTTP route and `prompt-improver improve`, so both record the same rows.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from writer.improver import Improvement, LegacyImprover, LLMFailure, improve_offline
from writer.offline.pool import PersonalPool
from writer.records import ImproveRequest
from writer.settings import Settings
from writer.storage import HistoryWriter, utc_now

log = logging.getLogger("prompt_improver")


@dataclass
class Outcome:
    status_code: int
    body: dict[str, Any]


async def record(writer: HistoryWriter | None, row: dict[str, Any]) -> tuple[int | None, bool]:
    """Write one row; returns (id, persistence_failed). Recording off gives (None, False).

    A spooled row is safe on disk but has no id yet: persistence_failed is true."""
    if writer is None:
        return None, False
    try:
        result = await writer.write([row])
    except Exception as exc:  # the answer still goes out; the row is what we lose
        log.error("could not record request %s: %s", row.get("request_id"), exc)
        return None, True
    return (None, True) if result.spooled else (result.ids[0], False)


async def improve_and_record(
    request: ImproveRequest,
    *,
    settings: Settings,
    improver: LegacyImprover,
    writer: HistoryWriter | None,
    request_id: str,
    client: str,
    personal: PersonalPool | None = None,
    user_agent: str | None = None,
) -> Outcome:
    started = time.perf_counter()
    row: dict[str, Any] = {
        "created_at": utc_now(),
        "request_id": request_id,
        "client": client,
        "user_agent": user_agent,
        "mode": request.mode,
        "status": "ok",
        "original_idea": request.idea,
        "context": request.context,
    }
    flags = {"persistence_failed": False, "llm_unavailable": False}
    improvement: Improvement | None = None
    failure: LLMFailure | None = None
    if request.mode == "nlac":
        improvement = improve_offline(
            request.idea, request.context, k=settings.nlac_k, personal=personal
        )
    else:
        try:
            improvement = await improver.improve(request.idea, request.context)
        except LLMFailure as exc:
            # The provider's full text goes to the log and the row; the answer gets the short one.
            log.warning("LLM %s for request %s: %s", exc.kind, request_id, exc.message)
            if settings.llm_fallback == "nlac":
                improvement = improve_offline(
                    request.idea, request.context, k=settings.nlac_k, personal=personal
                )
                flags["llm_unavailable"] = True
                # Kept on the ok row so fallbacks can be counted and charted.
                row["error"] = f"fallback to nlac after {exc.row_error}"
            else:
                failure = exc
    row["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)

    if failure is not None:
        row.update(
            status="error",
            error=failure.row_error,
            backend=improver.backend,
            provider=improver.provider,
            model=improver.model,
        )
        await record(writer, row)
        return Outcome(failure.status_code, {"detail": failure.detail})

    assert improvement is not None
    row.update(asdict(improvement))  # every field of an Improvement is a history column
    if flags["llm_unavailable"]:
        row.update(provider=improver.provider, model=improver.model)
    row_id, flags["persistence_failed"] = await record(writer, row)
    body = {
        "improved_prompt": improvement.improved_prompt,
        "role": improvement.role,
        "directive": improvement.directive,
        "framework": improvement.framework,
        "guardrails": improvement.guardrails,
        "reasoning": improvement.reasoning,
        "confidence": improvement.confidence,
        "backend": improvement.backend,
        "id": row_id,
        "degradation_flags": flags,
        "mode": request.mode,
        "model": row.get("model"),
        "latency_ms": row["latency_ms"],
        "request_id": request_id,
    }
    return Outcome(200, body)
