"""Example pools the offline improver borrows from when an idea is genuinely close to one.

- The shipped pool (examples.json): common everyday requests of every subject, each with a role,
  deliverables and guardrails written for it in English and Spanish.
- A person's own pool: prompts they accepted or edited (feedback), read from their database at
  start and added to as feedback arrives, so the offline improver learns their preferences.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from writer import sections
from writer.text import TfidfIndex, language, tokens

EXAMPLES_PATH = Path(__file__).with_name("examples.json")
log = logging.getLogger("prompt_improver")

# Cosine similarity from which an example counts as "the same request, worded differently".
CLOSE = 0.45
# A person's own prompt is reused from a higher bar: it was written for one specific idea.
PERSONAL_CLOSE = 0.55
PERSONAL_LIMIT = 2000


@dataclass(frozen=True)
class Example:
    task: str
    subject: str
    idea: dict[str, str]
    role: dict[str, str]
    deliverables: dict[str, list[str]]
    guardrails: dict[str, list[str]]
    keywords: tuple[str, ...] = ()


class ShippedPool:
    def __init__(self, examples: list[Example]):
        self.examples = examples
        self.index = TfidfIndex(
            [
                tokens(f"{e.idea['en']} {e.idea['es']}") + tokens(" ".join(e.keywords))
                for e in examples
            ]
        )

    def nearest(self, text: str, k: int = 3) -> list[tuple[float, Example]]:
        return [(score, self.examples[i]) for score, i in self.index.nearest(text, k) if score > 0]


@cache
def shipped(path: Path = EXAMPLES_PATH) -> ShippedPool:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return ShippedPool(
        [
            Example(
                task=e["task"],
                subject=e["subject"],
                idea=e["idea"],
                role=e["role"],
                deliverables=e["deliverables"],
                guardrails=e["guardrails"],
                keywords=tuple(e.get("keywords", ())),
            )
            for e in raw
        ]
    )


@dataclass(frozen=True)
class PersonalPrompt:
    history_id: int
    idea: str
    lang: str
    outcome: str
    role: str
    directive: str
    framework: str
    guardrails: list[str]


class PersonalPool:
    """Prompts this person accepted or edited, newest last. Thread-safe: feedback adds from the
    event loop while `prompt-improver improve` may read from another thread."""

    def __init__(self) -> None:
        self._items: dict[int, PersonalPrompt] = {}
        # Per language: the prompts and their index, built on first use after a change.
        self._indexes: dict[str, tuple[list[PersonalPrompt], TfidfIndex]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, history_id: int, idea: str, context: str, prompt: str, outcome: str) -> bool:
        """Keep the prompt if its sections can be read; a later verdict on a row replaces it
        and a rejection removes it. Returns whether it is in the pool now."""
        with self._lock:
            self._items.pop(history_id, None)
            self._indexes.clear()
            if outcome not in ("accepted", "edited"):
                return False
            found = sections.parse(prompt)
            if not found.get("role") or not found.get("directive"):
                return False
            self._items[history_id] = PersonalPrompt(
                history_id=history_id,
                idea=f"{idea} {context}".strip(),
                lang=language(idea),
                outcome=outcome,
                role=found["role"],
                directive=found["directive"],
                framework=found.get("framework", ""),
                guardrails=sections.guardrail_lines(found.get("guardrails")),
            )
            if len(self._items) > PERSONAL_LIMIT:
                del self._items[min(self._items)]
            return True

    def nearest(self, text: str, lang: str) -> tuple[float, PersonalPrompt] | None:
        with self._lock:
            if lang not in self._indexes:
                items = [p for p in self._items.values() if p.lang == lang]
                self._indexes[lang] = (items, TfidfIndex([tokens(p.idea) for p in items]))
            items, index = self._indexes[lang]
        if not items:
            return None
        score, i = index.nearest(text, 1)[0]
        return (score, items[i]) if score > 0 else None

    def learn(self, db_path: str | Path, history_id: int) -> bool:
        """Take the latest verdict on one row from the database (after feedback was stored)."""
        rows = _verdicts(db_path, "f.history_id = ?", [history_id])
        for row_id, idea, context, prompt, outcome in rows:
            return self.add(row_id, idea, context, prompt or "", outcome)
        return False


_VERDICTS = (
    "SELECT h.id, h.original_idea, coalesce(h.context, ''), "
    "coalesce(f.final_prompt, h.improved_prompt), f.outcome "
    "FROM latest_feedback f JOIN prompt_history h ON h.id = f.history_id "
    "WHERE {where} ORDER BY h.id DESC LIMIT ?"
)


def _verdicts(db_path: str | Path, where: str, params: list, limit: int = PERSONAL_LIMIT) -> list:
    path = Path(db_path)
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            return conn.execute(_VERDICTS.format(where=where), [*params, limit]).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:  # an older file without feedback, or a locked one
        log.info("offline improver: no personal prompts read from %s (%s)", path, exc)
        return []


def load_personal(db_path: str | Path, limit: int = PERSONAL_LIMIT) -> PersonalPool:
    """The person's accepted and edited prompts (latest verdict per row), read-only."""
    personal = PersonalPool()
    rows = _verdicts(db_path, "f.outcome IN ('accepted', 'edited')", [], limit)
    for history_id, idea, context, prompt, outcome in reversed(rows):
        personal.add(history_id, idea, context, prompt or "", outcome)
    return personal
