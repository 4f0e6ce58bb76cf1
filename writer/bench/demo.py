"""Realistic generated history: for trying the dashboards, the browser tests and benchmarks.

Rows look like a few months of use: ideas in English and Spanish (those of the project's
trainset, data/trainset.json, and generated ones), prompts of the real size
(the offline improver writes them), several models with their own latency, token and cost
profiles, a few percent of failures and fallbacks, busier weekdays; later on, few-shot
programs answer part of the legacy requests. Some prompts get feedback (few-shot ones are
accepted more often), and a few evaluation runs (dataset "demo-generated") are added so the
dashboard's outcome and evaluation charts have something to show. Same seed, same rows.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from writer import nlac
from writer.improver import normalize_framework
from writer.migrations import COLUMNS, TABLE, open_writer
from writer.settings import PROJECT_ROOT
from writer.storage import INSERT_SQL, iso_utc

TASKS_EN = [
    "Design a REST API for {t}",
    "Write unit tests for {t}",
    "Explain how {t} works to a junior",
    "Debug a memory leak in {t}",
    "Write a blog post about {t}",
    "Compare two options for {t}",
    "Plan the migration of {t} to the cloud",
    "Write SQL to report on {t}",
    "Summarize the design doc for {t}",
    "Set up monitoring alerts for {t}",
    "Refactor the code of {t}",
    "Write a PRD for {t}",
]
TASKS_ES = [
    "Diseña una API REST para {t}",
    "Escribe tests unitarios para {t}",
    "Explica cómo funciona {t}",
    "Encuentra por qué {t} va lento",
    "Redacta un correo sobre {t}",
    "Analiza las métricas de {t}",
    "Planifica la migración de {t}",
    "Documenta la arquitectura de {t}",
]
TOPICS = [
    "the billing service",
    "Postgres replication",
    "a React form hook",
    "the payments queue",
    "Kubernetes networking",
    "our CSV importer",
    "the search ranking",
    "a Go worker pool",
    "the mobile onboarding",
    "the data warehouse",
    "OAuth login",
    "the image cache",
    "el servicio de facturas",
    "la base de datos de pedidos",
    "el panel de métricas",
    "los webhooks de Stripe",
    "el cliente de Ollama",
    "la cola de correos",
]
CONTEXTS = [
    "",
    "",
    "",
    "We use Python 3.11 and FastAPI.",
    "Equipo de 4 personas, plazo 2 semanas.",
    "The service handles 2k requests per second.",
    "Tabla con 10M filas en Postgres 15.",
]
# name, provider, share of legacy requests, median latency ms, $/1M prompt, $/1M completion
MODELS = [
    ("llama3.1", "ollama", 0.5, 2600, 0.0, 0.0),
    ("gpt-4o-mini", "openai", 0.3, 1700, 0.15, 0.60),
    ("claude-3-5-haiku-latest", "anthropic", 0.2, 2100, 0.80, 4.00),
]
RAW_FRAMEWORKS = {
    "chain-of-thought": ["Chain-of-Thought", "CoT", "chain of thought"],
    "tree-of-thoughts": ["Tree of Thoughts", "ToT"],
    "decomposition": ["Decomposition", "Step-by-step decomposition"],
    "role-playing": ["Role-Playing", "Persona"],
}
# As the service writes them: the short text the client saw, then the provider's own words.
ERRORS = {
    "timeout": "LLM timeout: no answer within 85 s. What to do: use a faster model or raise "
    "IMPROVE_DEADLINE_S, or use mode 'nlac'. Provider said: litellm.Timeout: Connection timed out",
    "unavailable": "LLM unavailable: nothing is listening at http://localhost:11434. What to "
    "do: start the LLM or check LLM_PROVIDER, LLM_BASE_URL and the API key, or use mode "
    "'nlac'. Provider said: litellm.APIConnectionError: Cannot connect to host localhost:11434",
    "unusable": "LLM unusable: the LLM's answer could not be read as a prompt. What to do: try "
    "again or use a model that follows instructions better, or mode 'nlac'. Provider said: "
    "Adapter ChatAdapter failed to parse the LM response.",
}


# Two compiled programs, in use from these fractions of the period on.
PROGRAMS = [(0.55, "3f9c2a1b7d40"), (0.8, "a81e0c55d2f9")]
# accepted, edited, rejected, per improver
OUTCOME_ODDS = {
    "nlac": (0.35, 0.35, 0.30),
    "zero-shot": (0.45, 0.30, 0.25),
    "3f9c2a1b7d40": (0.55, 0.28, 0.17),
    "a81e0c55d2f9": (0.62, 0.25, 0.13),
}
MAX_FEEDBACK = 20_000
TRAINSET = PROJECT_ROOT / "data" / "trainset.json"


def trainset_ideas(path: Path = TRAINSET) -> list[tuple[str, str]]:
    """(idea, context) of the project's own trainset, when the checkout has it."""
    if not path.is_file():
        return []
    return [
        (r["inputs"]["original_idea"], r["inputs"].get("context", ""))
        for r in json.loads(path.read_text(encoding="utf-8"))
    ]


def _ideas(rng: random.Random, n: int) -> list[tuple[str, str]]:
    # Everyday ideas of data/trainset.json first, then generated work ideas.
    ideas = set(trainset_ideas())
    while len(ideas) < n:
        tasks = TASKS_ES if rng.random() < 0.4 else TASKS_EN
        ideas.add((rng.choice(tasks).format(t=rng.choice(TOPICS)), rng.choice(CONTEXTS)))
    return sorted(ideas)


def generate(
    rows: int, *, days: int = 90, seed: int = 1, end: datetime | None = None
) -> Iterator[dict]:
    """Yield `rows` history rows spread over the last `days` days, oldest first."""
    rng = random.Random(seed)
    pool = [(idea, ctx, nlac.improve(idea, ctx)) for idea, ctx in _ideas(rng, 240)]
    end = end or datetime.now(UTC)
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    # Busier on weekdays: draw times, keep weekend ones with lower probability.
    times = []
    while len(times) < rows:
        t = start + timedelta(seconds=rng.random() * span)
        if t.weekday() < 5 or rng.random() < 0.45:
            times.append(t)
    times.sort()
    for t in times:
        idea, context, offline = rng.choice(pool)
        row = {
            "created_at": iso_utc(t),
            "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "client": rng.choices(["raycast", "cli", "api"], [0.8, 0.1, 0.1])[0],
            "mode": "nlac" if rng.random() < 0.3 else "legacy",
            "status": "ok",
            "error": None,
            "original_idea": idea,
            "context": context,
        }
        if row["mode"] == "nlac":
            row.update(_offline(offline), latency_ms=round(rng.lognormvariate(0.3, 0.4), 2))
        else:
            row.update(_llm_row(rng, offline))
            program = _program_at((t - start).total_seconds() / span)
            if program and row["backend"] == "zero-shot" and rng.random() < 0.7:
                row.update(backend="few-shot", program_hash=program)
        yield row


def _program_at(fraction: float) -> str | None:
    current = None
    for since, program in PROGRAMS:
        if fraction >= since:
            current = program
    return current


def _offline(result: nlac.NlacResult) -> dict:
    return {
        "backend": "nlac",
        "improved_prompt": result.improved_prompt,
        "role": result.role,
        "directive": result.directive,
        "framework": result.framework,
        "framework_raw": result.framework,
        "guardrails": json.dumps(result.guardrails),
        "reasoning": result.reasoning,
        "confidence": result.confidence,
        "task": result.task,
        "subject": result.subject,
    }


def _llm_row(rng: random.Random, offline: nlac.NlacResult) -> dict:
    model, provider, _, median, price_in, price_out = rng.choices(MODELS, [m[2] for m in MODELS])[0]
    latency = round(median * rng.lognormvariate(0, 0.45), 2)
    row = {"backend": "zero-shot", "provider": provider, "model": model, "latency_ms": latency}
    outcome = rng.random()
    if outcome < 0.03:
        kind = rng.choices(["timeout", "unavailable", "unusable"], [0.3, 0.5, 0.2])[0]
        if kind == "timeout":
            row["latency_ms"] = round(120_000 + rng.random() * 50, 2)
        return {**row, "status": "error", "error": ERRORS[kind]}
    if outcome < 0.06 and provider == "ollama":
        return {
            **row,
            **_offline(offline),
            "error": "fallback to nlac after " + ERRORS["unavailable"],
            "latency_ms": round(rng.uniform(5, 40), 2),
        }
    prompt_tokens = rng.randint(380, 720)
    completion_tokens = int(len(offline.improved_prompt) / 4 * rng.uniform(0.8, 1.3))
    framework = rng.choices(list(RAW_FRAMEWORKS), [0.4, 0.15, 0.35, 0.1])[0]
    raw = rng.choice(RAW_FRAMEWORKS[framework])
    return {
        **row,
        **_offline(offline),
        "backend": "zero-shot",
        "framework": normalize_framework(raw),
        "framework_raw": raw,
        "confidence": round(min(1.0, max(0.0, rng.gauss(0.82, 0.08))), 2),
        "reasoning": f"The idea asks for {offline.framework} work; {raw} keeps it reviewable.",
        "task": None,  # only the offline improver says what it recognised
        "subject": None,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cost_usd": round((prompt_tokens * price_in + completion_tokens * price_out) / 1e6, 8),
    }


def write(
    path: Path,
    rows: int,
    *,
    days: int = 90,
    seed: int = 1,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Add `rows` generated rows to the database at `path` (migrated first)."""
    conn = open_writer(path)
    written = 0
    chunk: list[tuple] = []
    try:
        first = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {TABLE}").fetchone()[0]
        for row in generate(rows, days=days, seed=seed):
            chunk.append(tuple(row.get(c) for c in COLUMNS))
            if len(chunk) == batch:
                written += _flush(conn, chunk, progress)
        if chunk:
            written += _flush(conn, chunk, progress)
        rng = random.Random(seed)
        conn.execute("BEGIN")
        _add_feedback(conn, rng, first)
        _add_eval_runs(conn, rng, days)
        conn.execute("COMMIT")
        conn.execute(f"ANALYZE {TABLE}")
    finally:
        conn.close()
    return written


def _flush(
    conn: sqlite3.Connection, chunk: list[tuple], progress: Callable[[int], None] | None
) -> int:
    conn.execute("BEGIN")
    conn.executemany(INSERT_SQL, chunk)
    conn.execute("COMMIT")
    n = len(chunk)
    chunk.clear()
    if progress:
        progress(n)
    return n


def _add_feedback(conn: sqlite3.Connection, rng: random.Random, first: int) -> None:
    """Feedback on about a third of the new successful rows (at most MAX_FEEDBACK)."""
    rows = conn.execute(
        f"SELECT id, created_at, backend, program_hash, improved_prompt FROM {TABLE} "
        "WHERE id >= ? AND status = 'ok' AND error IS NULL",
        [first],
    ).fetchall()
    chosen = rng.sample(rows, min(MAX_FEEDBACK, len(rows) // 3))
    feedback = []
    for history_id, created_at, backend, program, prompt in sorted(chosen):
        odds = OUTCOME_ODDS.get(program or backend, OUTCOME_ODDS["zero-shot"])
        outcome = rng.choices(["accepted", "edited", "rejected"], odds)[0]
        given = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        given += timedelta(seconds=rng.uniform(20, 600))
        rating = {"accepted": (4, 5), "edited": (3, 4), "rejected": (1, 2)}[outcome]
        feedback.append(
            (
                history_id,
                iso_utc(given),
                outcome,
                f"{prompt}\n- Keep the answer under 400 words." if outcome == "edited" else None,
                rng.randint(*rating) if rng.random() < 0.6 else None,
                "too generic" if outcome == "rejected" and rng.random() < 0.3 else None,
                "raycast",
            )
        )
    conn.executemany(
        "INSERT INTO feedback (history_id, created_at, outcome, final_prompt, rating, comment, "
        "client) VALUES (?, ?, ?, ?, ?, ?, ?)",
        feedback,
    )


def _add_eval_runs(conn: sqlite3.Connection, rng: random.Random, days: int) -> None:
    """A weekly zero-shot run, and runs of each program once it exists (no eval_results)."""
    end = datetime.now(UTC)
    for week in range(max(1, days // 7), 0, -1):
        moment = end - timedelta(days=7 * week - 1)
        fraction = 1 - (7 * week - 1) / days
        improvers = [("zero-shot", None, 0.78)]
        improvers += [
            ("few-shot", program, 0.84 + 0.04 * i)
            for i, (since, program) in enumerate(PROGRAMS)
            if fraction >= since
        ]
        for backend, program, mean in improvers:
            score = round(min(1.0, rng.gauss(mean, 0.015)), 4)
            conn.execute(
                "INSERT INTO eval_runs (created_at, dataset, dataset_hash, backend, "
                "program_hash, optimizer, metric, provider, model, examples, errors, score, "
                "passed, duration_s) VALUES (?, 'demo-generated', 'demo', ?, ?, ?, "
                "'structure', 'ollama', 'llama3.1', 30, 0, ?, ?, ?)",
                [
                    iso_utc(moment),
                    backend,
                    program,
                    "labeled" if program else None,
                    score,
                    round(30 * score * 0.8),
                    round(rng.uniform(60, 120), 1),
                ],
            )
