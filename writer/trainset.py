"""Trainsets in the seed shape, loaded, validated and normalised, with a report of the drops.

The shape (of ../shared/datasets/seed-fewshot-train.json and of `export --format dspy`):
    {"inputs": {"original_idea", "context"},
     "outputs": {"improved_prompt", "role", "directive", "framework", "guardrails"}}
with guardrails as newline-separated text (a JSON list is accepted too). Files are a JSON
array or JSON Lines (what `export --format jsonl` writes).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from writer import sections
from writer.improver import normalize_framework

MIN_PROMPT_CHARS = 40


@dataclass
class Example:
    original_idea: str
    context: str
    improved_prompt: str
    role: str
    directive: str
    framework: str
    guardrails: list[str]

    def record(self) -> dict[str, Any]:
        """The seed shape, guardrails as numbered lines."""
        return {
            "inputs": {"original_idea": self.original_idea, "context": self.context},
            "outputs": {
                "improved_prompt": self.improved_prompt,
                "role": self.role,
                "directive": self.directive,
                "framework": self.framework,
                "guardrails": sections.numbered(self.guardrails),
            },
        }


@dataclass
class Dropped:
    source: str
    index: int
    reason: str


@dataclass
class Report:
    read: int = 0
    dropped: list[Dropped] = field(default_factory=list)
    # What was changed to keep a record: "framework relabelled", "role taken from the prompt"...
    normalised: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        kept = self.read - len(self.dropped)
        out = [f"{self.read} records read, {kept} kept, {len(self.dropped)} dropped."]
        for what, n in sorted(self.normalised.items()):
            out.append(f"  normalised: {what} ({n})")
        reasons = Counter(d.reason.split(" (")[0] for d in self.dropped)
        for reason, n in reasons.most_common():
            out.append(f"  dropped {n}: {reason}")
        for d in self.dropped[:20]:
            out.append(f"    {d.source} #{d.index}: {d.reason}")
        if len(self.dropped) > 20:
            out.append(f"    ... and {len(self.dropped) - 20} more")
        return out


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _key(idea: str, context: str) -> str:
    return re.sub(r"\W+", " ", f"{idea}\n{context}".lower()).strip()


def normalise(raw: Any, changes: Counter) -> Example:
    """One record to an Example, or ValueError saying why it cannot be used. What had to be
    changed to keep it is counted in `changes`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("inputs"), dict):
        raise ValueError("not in the {inputs, outputs} shape")
    inputs, outputs = raw["inputs"], raw.get("outputs")
    if not isinstance(outputs, dict):
        raise ValueError("outputs is missing or not an object")
    idea, context = _text(inputs.get("original_idea")), _text(inputs.get("context"))
    if len(idea) < 5:
        raise ValueError("original_idea is empty or shorter than 5 characters")
    prompt = _text(outputs.get("improved_prompt"))
    if len(prompt) < MIN_PROMPT_CHARS:
        raise ValueError(f"improved_prompt is empty or shorter than {MIN_PROMPT_CHARS} characters")
    found = sections.parse(prompt)
    values: dict[str, Any] = {}
    for name in ("role", "directive"):
        values[name] = _text(outputs.get(name))
        if not values[name] and found.get(name):
            values[name] = found[name]
            changes[f"{name} taken from the prompt's section"] += 1
        if not values[name]:
            raise ValueError(f"{name} is empty and the prompt has no {name.title()} section")
    guardrails = sections.guardrail_lines(outputs.get("guardrails"))
    if not guardrails and found.get("guardrails"):
        guardrails = sections.guardrail_lines(found["guardrails"])
        changes["guardrails taken from the prompt's section"] += 1
    if not guardrails:
        raise ValueError("guardrails are empty")
    raw_framework = _text(outputs.get("framework")) or found.get("framework", "")
    framework = normalize_framework(raw_framework)
    if raw_framework.lower() != framework:
        changes["framework relabelled"] += 1
    return Example(
        idea, context, prompt, values["role"], values["directive"], framework, guardrails
    )


def read_records(path: Path) -> list[Any]:
    """A JSON array, one JSON object, or JSON Lines. Raises ValueError naming the line."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from None
        return data if isinstance(data, list) else [data]
    if stripped.startswith("{"):
        try:  # one pretty-printed object
            return [json.loads(text)]
        except ValueError:
            pass  # JSON Lines
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            records.append(_Unreadable(f"line {n} is not valid JSON ({exc.msg})"))
    return records


@dataclass
class _Unreadable:
    reason: str


def load(paths: list[Path], extra: list[tuple[str, Any]] = ()) -> tuple[list[Example], Report]:
    """Every usable record from the files (then `extra` (source, record) pairs, e.g. history
    rows), duplicates (same idea and context) once."""
    items = [(path.name, raw) for path in paths for raw in read_records(path)]
    return collect(items + list(extra))


def collect(items: list[tuple[str, Any]]) -> tuple[list[Example], Report]:
    report = Report()
    examples: list[Example] = []
    seen: dict[str, str] = {}
    counters: Counter = Counter()
    for source, raw in items:
        counters[source] += 1
        index = counters[source]
        report.read += 1
        changes: Counter = Counter()
        try:
            if isinstance(raw, _Unreadable):
                raise ValueError(raw.reason)
            example = normalise(raw, changes)
        except ValueError as exc:
            report.dropped.append(Dropped(source, index, str(exc)))
            continue
        key = _key(example.original_idea, example.context)
        if key in seen:
            report.dropped.append(Dropped(source, index, f"duplicate (of {seen[key]})"))
            continue
        seen[key] = f"{source} #{index}"
        report.normalised.update(changes)
        examples.append(example)
    return examples, report


def digest(examples: list[Example]) -> str:
    """sha256 of the normalised trainset: the same examples give the same hash."""
    canonical = json.dumps([asdict(e) for e in examples], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_dspy(examples: list[Example]) -> list[Any]:
    import dspy

    return [dspy.Example(**asdict(e)).with_inputs("original_idea", "context") for e in examples]
