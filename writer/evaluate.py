"""Evaluation runs: the improver as `serve` runs it, scored with dspy.Evaluate, stored in SQLite.

A run goes through the same code as a request (LegacyImprover with its program, or the
offline nlac improver), so what is measured is what is served. Each run is one `eval_runs`
row and one `eval_results` row per example, written in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from writer import metrics
from writer.improver import LegacyImprover, LLMFailure, improve_offline
from writer.storage import utc_now


@contextlib.contextmanager
def event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop in a thread for the whole run: dspy's worker threads hand it their
    improvements (litellm's logging worker breaks when every call brings its own loop)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="eval-loop", daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER

        # litellm's logging worker lives on this loop once a call ran: stop it first.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(GLOBAL_LOGGING_WORKER.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def candidate(improver: LegacyImprover | None, loop: asyncio.AbstractEventLoop | None) -> Any:
    """A dspy.Module answering like `serve` does (improver None: the offline nlac improver).

    LLM failures become a prediction with `error` set (scored 0), so each example keeps why."""
    import dspy

    class Candidate(dspy.Module):
        def forward(self, original_idea: str, context: str = "") -> dspy.Prediction:
            started = time.perf_counter()
            try:
                if improver is None:
                    result = improve_offline(original_idea, context)
                else:
                    coroutine = improver.improve(original_idea, context)
                    result = asyncio.run_coroutine_threadsafe(coroutine, loop).result()
            except LLMFailure as exc:
                return dspy.Prediction(improved_prompt="", error=exc.detail, latency_ms=None)
            latency = round((time.perf_counter() - started) * 1000, 2)
            return dspy.Prediction(**asdict(result), error=None, latency_ms=latency)

    return Candidate()


def guarded(metric: Any, progress: Callable[[int], None]) -> Any:
    """The metric, with its own failures (a judge that did not answer) kept on the prediction,
    reporting each scored example to `progress` (from dspy's worker threads)."""
    lock = threading.Lock()

    def score(example: Any, prediction: Any, trace: Any = None) -> float | bool:
        try:
            if getattr(prediction, "error", None):
                return 0.0
            return metric(example, prediction, trace)
        except Exception as exc:
            prediction.error = f"metric failed: {type(exc).__name__}: {exc}"[:500]
            return 0.0
        finally:
            with lock:
                progress(1)

    score.__name__ = getattr(metric, "__name__", "metric")
    return score


@dataclass
class EvalRun:
    dataset: str
    dataset_hash: str
    backend: str
    metric: str
    program_path: str | None = None
    program_hash: str | None = None
    optimizer: str | None = None
    provider: str | None = None
    model: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0
    id: int | None = None

    @property
    def errors(self) -> int:
        return sum(1 for r in self.results if r["error"])

    @property
    def score(self) -> float | None:
        scores = [r["score"] for r in self.results]
        return round(sum(scores) / len(scores), 4) if scores else None

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r["passed"])

    def check_rates(self) -> dict[str, float]:
        """Share of examples passing each structural check (coverage: mean fraction)."""
        rows = [json.loads(r["checks"]) for r in self.results if r["checks"]]
        if not rows:
            return {}
        return {
            name: round(sum(float(row[name] or 0) for row in rows) / len(rows), 3)
            for name in rows[0]
        }


def run(
    examples: list[Any],
    *,
    improver: LegacyImprover | None,
    metric_name: str,
    metric: Any,
    threads: int,
    run: EvalRun,
    progress: Callable[[int], None] = lambda n: None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> EvalRun:
    """Evaluate `examples` (dspy.Examples) with dspy.Evaluate; `progress(1)` per example."""
    import dspy

    evaluate = dspy.Evaluate(
        devset=examples,
        metric=guarded(metric, progress),
        num_threads=threads,
        # Its tqdm bar writes to stdout, where the summary goes: the CLI draws its own.
        display_progress=False,
        max_errors=len(examples) + 1,
        failure_score=0.0,
        provide_traceback=False,
    )
    started = time.perf_counter()
    with contextlib.nullcontext(loop) if loop else event_loop() as running_loop:
        outcome = evaluate(candidate(improver, running_loop))
    run.duration_s = round(time.perf_counter() - started, 2)
    for index, (example, prediction, score) in enumerate(outcome.results, 1):
        prompt = str(getattr(prediction, "improved_prompt", "") or "")
        error = getattr(prediction, "error", None) or (None if prompt else "no answer")
        if metric_name == "fit":
            result_checks = metrics.fit_checks(example, prediction) if prompt else None
        else:
            result_checks = metrics.checks(example.original_idea, prediction) if prompt else None
        if metric_name == "judge":  # a grade of 4 or 5
            passed = not error and float(score) >= 0.8
        elif metric_name == "fit":
            passed = not error and bool(result_checks) and metrics.fit_passed(result_checks)
        else:
            passed = not error and bool(result_checks) and metrics.summarise(result_checks)[1]
        run.results.append(
            {
                "example": index,
                "original_idea": example.original_idea,
                "context": example.context,
                "score": round(float(score), 4),
                "passed": passed,
                "checks": json.dumps(result_checks) if result_checks else None,
                "improved_prompt": prompt or None,
                "framework": getattr(prediction, "framework", None),
                "guardrails": len(getattr(prediction, "guardrails", None) or []) or None,
                "error": error,
                "judge_rationale": getattr(prediction, "judge_rationale", None),
            }
        )
    return run


def store(conn: sqlite3.Connection, run: EvalRun) -> int:
    """Insert the run and its results (inside the caller's transaction); the run's id."""
    cursor = conn.execute(
        "INSERT INTO eval_runs (created_at, dataset, dataset_hash, backend, program_path, "
        "program_hash, optimizer, metric, provider, model, examples, errors, score, passed, "
        "duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            utc_now(),
            run.dataset,
            run.dataset_hash,
            run.backend,
            run.program_path,
            run.program_hash,
            run.optimizer,
            run.metric,
            run.provider,
            run.model,
            len(run.results),
            run.errors,
            run.score,
            run.passed,
            run.duration_s,
        ],
    )
    run_id = cursor.lastrowid
    conn.executemany(
        "INSERT INTO eval_results (run_id, example, original_idea, context, score, passed, "
        "checks, improved_prompt, framework, guardrails, error, judge_rationale) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                r["example"],
                r["original_idea"],
                r["context"],
                r["score"],
                r["passed"],
                r["checks"],
                r["improved_prompt"],
                r["framework"],
                r["guardrails"],
                r["error"],
                r["judge_rationale"],
            ]
            for r in run.results
        ],
    )
    return run_id


def previous_runs(
    conn: sqlite3.Connection, dataset_hash: str, metric: str, limit: int = 8
) -> list[dict]:
    """The latest runs (this one included) on the same examples with the same metric."""
    cursor = conn.execute(
        """
        SELECT * FROM (
            SELECT id, created_at, backend, program_hash, optimizer, model, examples, errors,
                score, passed
            FROM eval_runs
            WHERE dataset_hash = ? AND metric = ?
            ORDER BY id DESC LIMIT ?
        ) ORDER BY id
        """,
        [dataset_hash, metric, limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]
