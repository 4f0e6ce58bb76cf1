"""Assemble the four labelled sections in the idea's language.

The Spanish headings (Rol, Directiva, Marco, Restricciones) are the ones sections.parse reads, and
the Spanish framework names (cadena de pensamiento, árbol de pensamientos, descomposición, juego
de rol) are the ones framework_label recognises, so exports and the reading view see both.
"""

from __future__ import annotations

import re

from writer.text import fold

HEADINGS = {
    "en": ("Role", "Directive", "Framework", "Guardrails"),
    "es": ("Rol", "Directiva", "Marco", "Restricciones"),
}
LABELS = {
    "en": {
        "task": "Your task",
        "context": "Context you must take into account",
        "deliver": "Deliver",
    },
    "es": {
        "task": "Tu tarea",
        "context": "Contexto que debes tener en cuenta",
        "deliver": "Entrega",
    },
}
FRAMEWORK_TEXT = {
    "en": {
        "chain-of-thought": "Chain-of-thought. Reason step by step before giving the final answer:",
        "tree-of-thoughts": "Tree-of-thoughts. Explore alternatives before committing to one:",
        "decomposition": "Decomposition. Break the work into parts and complete them in order:",
        "role-playing": "Role-playing. Stay in the role described above throughout:",
    },
    "es": {
        "chain-of-thought": "Cadena de pensamiento. Razona paso a paso antes de dar la respuesta final:",
        "tree-of-thoughts": "Árbol de pensamientos. Explora alternativas antes de decidirte por una:",
        "decomposition": "Descomposición. Divide el trabajo en partes y complétalas en orden:",
        "role-playing": "Juego de rol. Mantén durante toda la respuesta el rol descrito arriba:",
    },
}
ANSWER_LANGUAGE = {"es": "Responde en español"}


def sentence(text: str) -> str:
    """One line, capitalised, ending with punctuation."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def _item(text: str) -> str:
    text = text.strip().rstrip(".;")
    return text[0].upper() + text[1:] if text else text


def context_block(context: str, lang: str) -> str:
    """Pasted material keeps its lines (SQL, code, a thread); a short note stays inline."""
    label = LABELS[lang]["context"]
    context = context.strip("\n").rstrip()
    if "\n" not in context and len(context) <= 300:
        return f"{label}: {sentence(context)}"
    return f'{label}:\n"""\n{context}\n"""'


def directive(request: str, context: str, deliverables: list[str], lang: str) -> str:
    labels = LABELS[lang]
    lines = [f"{labels['task']}: {sentence(request)}"]
    if context.strip():
        lines.append(context_block(context, lang))
    lines.append(f"{labels['deliver']}:")
    lines += [f"{i}. {_item(d)}." for i, d in enumerate(deliverables, 1)]
    return "\n".join(lines)


def framework_text(framework: str, steps: list[str], lang: str) -> str:
    lines = [FRAMEWORK_TEXT[lang][framework]]
    lines += [f"{i}. {_item(s)}." for i, s in enumerate(steps, 1)]
    return "\n".join(lines)


def prompt(role: str, directive_text: str, framework: str, guardrails: list[str], lang: str) -> str:
    role_h, directive_h, framework_h, guardrails_h = HEADINGS[lang]
    return "\n\n".join(
        [
            f"{role_h}: {role}",
            f"{directive_h}: {directive_text}",
            f"{framework_h}: {framework}",
            f"{guardrails_h}:\n" + "\n".join(f"- {_item(g)}." for g in guardrails),
        ]
    )


def unique(items: list[str], limit: int) -> list[str]:
    """Without repeats (compared without case, accents and punctuation), at most `limit`."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = re.sub(r"[^a-z0-9]+", " ", fold(item)).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip().rstrip("."))
    return out[:limit]
