"""The labelled sections of an improved prompt: Role, Directive, Framework, Guardrails.

Used to read a prompt a person edited (the export takes its sections from the final text)
and by the `structure` metric (are the sections there?).
"""

from __future__ import annotations

import re

SECTIONS = ("role", "directive", "framework", "guardrails")

# "Role:", "**Directive:**", "## Guardrails", and the Spanish headings people write.
_HEADINGS = {
    "role": r"role|rol|persona",
    "directive": r"directive|directiva|task|tarea",
    "framework": r"framework|marco|reasoning framework",
    "guardrails": r"guardrails?|restricciones|constraints|reglas",
}
_HEADING_RE = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*)?\**[ \t]*(?P<name>"
    + "|".join(f"(?P<{key}>{rx})" for key, rx in _HEADINGS.items())
    + r")[ \t]*\**[ \t]*(?::|\n|$)\**",
    re.IGNORECASE | re.MULTILINE,
)
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def parse(text: str) -> dict[str, str]:
    """{section: body} for every labelled section found, in the order of SECTIONS."""
    found: list[tuple[int, int, str]] = []
    for match in _HEADING_RE.finditer(text or ""):
        key = next(k for k in SECTIONS if match.group(k))
        if all(key != seen for _, _, seen in found):
            found.append((match.start(), match.end(), key))
    found.sort()
    sections: dict[str, str] = {}
    for i, (_, end, key) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(text)
        body = text[end:stop].strip()
        if body:
            sections[key] = body
    return {key: sections[key] for key in SECTIONS if key in sections}


def guardrail_lines(text: str | list[str] | None) -> list[str]:
    """Guardrails as a clean list, from a list or from bulleted/numbered/plain lines."""
    if text is None:
        return []
    items = text if isinstance(text, list) else str(text).splitlines()
    lines = [_BULLET_RE.sub("", str(item)).strip() for item in items]
    return [line for line in lines if line]


def numbered(guardrails: list[str]) -> str:
    """Newline-separated, numbered: how the seed trainsets write guardrails."""
    return "\n".join(f"{i}. {line}" for i, line in enumerate(guardrails, 1))
