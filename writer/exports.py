"""History out as trainsets: dspy (the seed shape), jsonl, csv and openai-chat.

The selection is the `labelled_history` view (successful rows with their latest feedback;
an edited row's label is the text the person kept), so Datasette shows the same rows.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from writer import sections, trainset

FORMATS = ("dspy", "jsonl", "csv", "openai-chat")
OUTCOMES = ("accepted", "edited", "rejected", "none")
# Training formats leave rejected prompts out unless asked; analysis formats keep everything.
DEFAULT_OUTCOMES = {
    "dspy": ("accepted", "edited", "none"),
    "openai-chat": ("accepted", "edited", "none"),
    "jsonl": OUTCOMES,
    "csv": OUTCOMES,
}
SYSTEM_PROMPT = (
    "Turn the user's raw idea into a complete, structured prompt another LLM can follow as "
    "is, with Role, Directive, Framework and Guardrails sections."
)
CSV_COLUMNS = [
    "id",
    "created_at",
    "mode",
    "backend",
    "program_hash",
    "model",
    "confidence",
    "outcome",
    "rating",
    "comment",
    "original_idea",
    "context",
    "improved_prompt",
    "role",
    "directive",
    "framework",
    "guardrails",
    "generated_prompt",
]


@dataclass
class Selection:
    since: str | None = None  # ISO date or time, inclusive
    until: str | None = None  # exclusive
    outcomes: tuple[str, ...] = OUTCOMES
    modes: tuple[str, ...] = ()
    min_confidence: float | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        clauses, params = [], {}
        if self.since:
            clauses.append("created_at >= :since")
            params["since"] = self.since
        if self.until:
            clauses.append("created_at < :until")
            params["until"] = self.until
        if set(self.outcomes) != set(OUTCOMES):
            names = [f":outcome{i}" for i in range(len(self.outcomes))]
            clauses.append(f"outcome IN ({', '.join(names)})")
            params.update({n[1:]: o for n, o in zip(names, self.outcomes, strict=True)})
        if self.modes:
            names = [f":mode{i}" for i in range(len(self.modes))]
            clauses.append(f"mode IN ({', '.join(names)})")
            params.update({n[1:]: m for n, m in zip(names, self.modes, strict=True)})
        if self.min_confidence is not None:
            clauses.append("confidence >= :min_confidence")
            params["min_confidence"] = self.min_confidence
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


@dataclass
class ExportReport:
    selected: int = 0
    written: int = 0
    skipped: Counter = field(default_factory=Counter)
    # Written, with some fields empty (an edited text without sections), by reason.
    incomplete: Counter = field(default_factory=Counter)


def count(conn: sqlite3.Connection, selection: Selection) -> int:
    where, params = selection.where()
    return conn.execute(f"SELECT count(*) FROM labelled_history{where}", params).fetchone()[0]


def rows(conn: sqlite3.Connection, selection: Selection) -> Iterator[dict[str, Any]]:
    where, params = selection.where()
    cursor = conn.execute(f"SELECT * FROM labelled_history{where} ORDER BY id", params)
    names = [d[0] for d in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))


def outputs(row: dict[str, Any], report: ExportReport | None = None) -> dict[str, Any]:
    """The label's fields. An edited prompt's fields come from the text the person kept, and
    from nothing else: the replaced prompt's role or directive would contradict the label.
    Sections the kept text lacks stay empty and are counted in `report.incomplete`."""
    if row["outcome"] == "edited":
        kept = sections.parse(row["improved_prompt"])
        missing = [name for name in sections.SECTIONS if name not in kept]
        if missing and report is not None:
            report.incomplete[f"edited text without {', '.join(missing)}"] += 1
        return {
            "improved_prompt": row["improved_prompt"],
            "role": kept.get("role", ""),
            "directive": kept.get("directive", ""),
            "framework": kept.get("framework", ""),
            "guardrails": sections.numbered(sections.guardrail_lines(kept.get("guardrails"))),
        }
    try:
        generated = json.loads(row["guardrails"]) if row["guardrails"] else []
    except ValueError:
        generated = sections.guardrail_lines(row["guardrails"])
    return {
        "improved_prompt": row["improved_prompt"],
        "role": row["role"] or "",
        "directive": row["directive"] or "",
        "framework": row["framework"] or "",
        "guardrails": sections.numbered(sections.guardrail_lines(generated)),
    }


def raw_record(row: dict[str, Any], report: ExportReport | None = None) -> dict[str, Any]:
    """A history row in the seed shape, as it stands (not normalised)."""
    return {
        "inputs": {"original_idea": row["original_idea"], "context": row["context"] or ""},
        "outputs": outputs(row, report),
    }


def _record(row: dict[str, Any], report: ExportReport) -> dict[str, Any] | None:
    """The seed-shape record, normalised like a trainset, or None (counted) if unusable."""
    found = ExportReport()  # counted as incomplete only if the record is written
    try:
        record = trainset.normalise(raw_record(row, found), Counter()).record()
        report.incomplete.update(found.incomplete)
        return record
    except ValueError as exc:
        report.skipped[str(exc)] += 1
        return None


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "created_at", "mode", "backend", "program_hash", "model", "confidence")
    return {k: row[k] for k in keys} | {
        "outcome": row["outcome"],
        "rating": row["rating"],
        "comment": row["comment"],
    }


def write(
    conn: sqlite3.Connection,
    out: TextIO,
    fmt: str,
    selection: Selection,
    progress: Callable[[int], None] = lambda n: None,
) -> ExportReport:
    """Write the selected rows to `out` in `fmt`; `progress(1)` after each row."""
    report = ExportReport(selected=count(conn, selection))
    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
    elif fmt == "dspy":
        out.write("[")
    for row in rows(conn, selection):
        progress(1)
        if fmt == "csv":
            writer.writerow(row | outputs(row, report))
            report.written += 1
            continue
        if fmt == "jsonl":
            line = _meta(row) | {
                "inputs": {"original_idea": row["original_idea"], "context": row["context"]},
                "outputs": outputs(row, report),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            report.written += 1
            continue
        record = _record(row, report)
        if record is None:
            continue
        if fmt == "dspy":
            out.write(("\n  " if not report.written else ",\n  ") + _dumps(record))
        else:  # openai-chat
            out.write(json.dumps(chat_messages(record), ensure_ascii=False) + "\n")
        report.written += 1
    if fmt == "dspy":
        out.write("\n]\n" if report.written else "]\n")
    return report


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")


def chat_messages(record: dict[str, Any]) -> dict[str, Any]:
    """One example in the chat fine-tuning layout (system, user, assistant)."""
    idea, context = record["inputs"]["original_idea"], record["inputs"]["context"]
    user = idea if not context else f"{idea}\n\nContext: {context}"
    return {
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user},
            {"role": "assistant", "content": record["outputs"]["improved_prompt"]},
        ]
    }
