"""The offline improver: no LLM, deterministic, guided by the nearest shipped examples.

Each example in nlac_examples.json carries a role, deliverables, a reasoning framework with
steps and guardrails written for one kind of request. A new idea is matched against the
examples' ideas and bilingual keywords with TF-IDF cosine similarity; the nearest example
supplies the role and deliverables, the k nearest vote on the framework and share guardrails.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EXAMPLES_PATH = Path(__file__).with_name("nlac_examples.json")

# Below this cosine similarity no example is close enough to lend its role and deliverables.
MIN_SIMILARITY = 0.2

# Verbs that say what to do, not what about: they match too many examples to carry weight.
WEAK = {
    w[:6]
    for w in """write escribe escribir redacta redactar create crea crear make build
    design disena disenar help ayuda ayudame improve
    mejorar mejora generate genera get give dame show muestra""".split()
}

STOPWORDS = set(
    """a an the and or of to for in on at by with from into about as is are be be this that
    these those it its my our your me we i you can could should would please want need how what
    which who why when where do does make create some any all more most very using use un una
    unos unas el la los las lo de del al y o u en con por para sobre que como es son ser mi mis
    tu tus su sus nuestro nuestra me te se le les necesito quiero puedes podrias haz hacer este
    esta estos estas ese esa eso""".split()
)

FRAMEWORK_TEXT = {
    "chain-of-thought": "Chain-of-thought. Reason step by step before giving the final answer:",
    "tree-of-thoughts": "Tree-of-thoughts. Explore alternatives before committing to one:",
    "decomposition": "Decomposition. Break the work into parts and complete them in order:",
    "role-playing": "Role-playing. Stay in the role described above throughout:",
}

GENERAL = {
    "role": (
        "You are a seasoned specialist with hands-on experience in exactly this kind of task, "
        "known for concrete, actionable answers rather than generic advice."
    ),
    "deliverables": [
        "A one-paragraph restatement of the goal and the assumptions you are making",
        "The complete answer to the request, organised under clear headings",
        "The key decisions or trade-offs, each with the reason for your choice",
        "Concrete next steps, or how to check that the result is right",
    ],
    "steps": [
        "Clarify the goal, the audience and the constraints",
        "Split the request into its parts",
        "Work through each part and produce its output",
        "Review the whole answer against the goal and fix the gaps",
    ],
    "guardrails": [
        "Be specific to this request: no generic filler or boilerplate",
        "State every assumption explicitly instead of inventing facts",
        "Ask for missing information that would change the answer",
        "Keep the answer as short as it can be while complete",
    ],
}


@dataclass(frozen=True)
class NlacResult:
    improved_prompt: str
    role: str
    directive: str
    framework: str
    guardrails: list[str]
    reasoning: str
    confidence: float


def fold(text: str) -> str:
    """Lower-case, accents removed: "Función" -> "funcion"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Accent-folded, stop-word-free words, cut to 6 characters as a cheap stem."""
    words = re.findall(r"[a-z0-9+#]+", fold(text))
    return [w[:6] for w in words if w not in STOPWORDS and len(w) > 1]


def detect_spanish(text: str) -> bool:
    words = re.findall(r"[a-záéíóúñü]+", text.lower())
    spanish = {
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "de",
        "del",
        "que",
        "para",
        "con",
        "por",
        "mi",
        "en",
        "y",
        "es",
        "como",
        "sobre",
        "necesito",
        "quiero",
        "haz",
        "crea",
        "escribe",
        "redacta",
        "analiza",
        "diseña",
        "documenta",
        "explica",
        "ayúdame",
    }
    english = {
        "the",
        "a",
        "an",
        "of",
        "for",
        "to",
        "and",
        "with",
        "in",
        "is",
        "my",
        "how",
        "write",
        "create",
        "make",
        "design",
        "explain",
        "help",
        "on",
        "about",
    }
    es = sum(w in spanish for w in words) + 2 * bool(re.search(r"[ñáéíóú¿¡]", text.lower()))
    en = sum(w in english for w in words)
    return es > en


class TfidfIndex:
    """TF-IDF cosine nearest neighbours over token lists, in plain Python (no numpy).

    Also picks the k nearest trainset examples per request for `knn` few-shot programs."""

    def __init__(self, docs: list[list[str]]):
        counts = [Counter(doc) for doc in docs]
        df = Counter(term for doc in counts for term in doc)
        n = len(counts)
        self.idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
        self.vectors = [self._normalise(doc) for doc in counts]

    def _normalise(self, counts: Counter) -> dict[str, float]:
        weights = {
            t: c * self.idf.get(t, 0.0) * (0.25 if t in WEAK else 1.0) for t, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items() if w}

    def nearest(self, text: str, k: int) -> list[tuple[float, int]]:
        """(similarity, position) of the k nearest documents, best first."""
        query = self._normalise(Counter(tokens(text)))
        scored = [
            (sum(w * vec.get(t, 0.0) for t, w in query.items()), i)
            for i, vec in enumerate(self.vectors)
        ]
        # Ties are broken by pool order, so the same input always gives the same output.
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [(round(score, 4), i) for score, i in scored[:k]]


class _Index(TfidfIndex):
    def __init__(self, examples: list[dict]):
        self.examples = examples
        super().__init__(
            [tokens(e["idea"]) + tokens(" ".join(e["keywords"])) * 2 for e in examples]
        )

    def nearest_examples(self, text: str, k: int) -> list[tuple[float, dict]]:
        return [(score, self.examples[i]) for score, i in self.nearest(text, k)]


@cache
def _index(path: Path = EXAMPLES_PATH) -> _Index:
    return _Index(json.loads(path.read_text(encoding="utf-8")))


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = fold(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def improve(idea: str, context: str = "", k: int = 3) -> NlacResult:
    """Write a complete Role / Directive / Framework / Guardrails prompt for `idea`."""
    idea = " ".join(idea.split())
    context = context.strip()
    neighbours = _index().nearest_examples(f"{idea} {context}", k)
    top_score, top = neighbours[0]
    close = [(s, e) for s, e in neighbours if s >= MIN_SIMILARITY]
    spanish = detect_spanish(idea)

    if close:
        role, deliverables = top["role"], top["deliverables"]
        votes: Counter = Counter()
        for score, example in close:
            votes[example["framework"]] += score
        framework = max(votes, key=lambda f: (votes[f], f == top["framework"]))
        steps = next(e["steps"] for _, e in close if e["framework"] == framework)
        pooled = [g for _, e in close for g in e["guardrails"]]
    else:
        role, deliverables = GENERAL["role"], GENERAL["deliverables"]
        framework, steps, pooled = "decomposition", GENERAL["steps"], GENERAL["guardrails"]

    if spanish:
        pooled = [g for g in pooled if "language of the request" not in g]
    guardrails = _unique(pooled)[: 4 if spanish else 5]
    if spanish:
        guardrails.append("Write the whole answer in Spanish, the language of the request")

    directive_lines = [f"Your task: {_sentence(idea)}"]
    if context:
        directive_lines.append(f"Context you must take into account: {_sentence(context)}")
    directive_lines.append("Deliver:")
    directive_lines += [f"{i}. {d}." for i, d in enumerate(deliverables, 1)]
    directive = "\n".join(directive_lines)

    framework_text = "\n".join(
        [FRAMEWORK_TEXT[framework]] + [f"{i}. {s}." for i, s in enumerate(steps, 1)]
    )
    improved_prompt = "\n\n".join(
        [
            f"Role: {role}",
            f"Directive: {directive}",
            f"Framework: {framework_text}",
            "Guardrails:\n" + "\n".join(f"- {g}." for g in guardrails),
        ]
    )

    # Confidence follows how close the nearest examples were (1.0 = an exact match).
    mean = sum(s for s, _ in neighbours) / len(neighbours)
    confidence = round(min(1.0, max(0.05, 0.7 * top_score + 0.3 * mean)), 2)
    nearest = "; ".join(f"{e['idea']!r} ({s:.2f})" for s, e in neighbours)
    basis = "the nearest example" if close else "the general template (no example was close)"
    reasoning = (
        f"Offline improver (no LLM). Nearest examples: {nearest}. Role and deliverables from "
        f"{basis}; framework {framework} by similarity-weighted vote."
    )
    return NlacResult(
        improved_prompt, role, directive, framework, guardrails, reasoning, confidence
    )
