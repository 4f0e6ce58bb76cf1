"""How good is an improved prompt? `structure` needs no LLM; `judge` asks the configured LM.

Both follow DSPy's metric signature `metric(example, prediction, trace=None)`: a score from 0
to 1 for `dspy.Evaluate`, and pass/fail when an optimizer (trace set) asks.
"""

from __future__ import annotations

import re
from typing import Any

from writer import sections
from writer.improver import framework_label
from writer.nlac import fold

MIN_CHARS, MAX_CHARS = 200, 8000
MIN_COVERAGE = 0.5
PLACEHOLDER_RE = re.compile(
    r"\[\s*(?:insert|your|add|paste|placeholder|todo|tbd|fill|describe|x{2,})\b[^\]]*\]"
    r"|<\s*(?:insert|your|paste)\b[^>]*>|\{\{[^}]*\}\}|\blorem ipsum\b|\bTODO\b|\bTBD\b",
    re.IGNORECASE,
)
_STOP = set(
    "a an and are as at be by de del el en es for from how i in is it la las los me mi my "
    "of on or para por que se the this to un una uno unos with y algo some something "
    "quiero necesito want need make crea create escribe write haz do can could podrias "
    "ayudame help pero but no not sé know exactly exactamente".split()
)


def key_terms(text: str) -> set[str]:
    """The idea's content words, cut to 4 letters: "función" and "function" meet at "func"."""
    words = re.findall(r"[a-z0-9+#]+", fold(text))
    return {w[:4] for w in words if len(w) > 2 and w not in _STOP}


def checks(idea: str, prediction: Any) -> dict[str, Any]:
    """Each structural check, by name: True/False, and coverage as a fraction."""
    prompt = str(getattr(prediction, "improved_prompt", "") or "")
    found = sections.parse(prompt)
    guardrails = sections.guardrail_lines(getattr(prediction, "guardrails", None))
    if not guardrails:
        guardrails = sections.guardrail_lines(found.get("guardrails"))
    present = all(
        (str(getattr(prediction, name, "") or "").strip() or found.get(name))
        for name in sections.SECTIONS
        if name != "guardrails"
    ) and bool(guardrails)
    framework = str(getattr(prediction, "framework_raw", None) or "") or str(
        getattr(prediction, "framework", "") or found.get("framework", "")
    )
    terms = key_terms(idea)
    covered = {w[:4] for w in re.findall(r"[a-z0-9+#]+", fold(prompt))}
    return {
        "sections": present,
        "guardrails_3_to_5": 3 <= len(guardrails) <= 5,
        "framework_valid": framework_label(framework) is not None,
        "length_ok": MIN_CHARS <= len(prompt) <= MAX_CHARS,
        "no_placeholders": PLACEHOLDER_RE.search(prompt) is None,
        "coverage": round(len(terms & covered) / len(terms), 3) if terms else 1.0,
    }


def summarise(result: dict[str, Any]) -> tuple[float, bool]:
    """(score, passed): the mean of the checks (coverage counts as its fraction)."""
    values = [float(v) for v in result.values()]
    passed = all(v for k, v in result.items() if k != "coverage") and (
        result["coverage"] >= MIN_COVERAGE
    )
    return round(sum(values) / len(values), 4), passed


def structure(example: Any, prediction: Any, trace: Any = None) -> float | bool:
    score, passed = summarise(checks(example.original_idea, prediction))
    return passed if trace is not None else score


def judge_program() -> Any:
    import dspy

    class JudgePrompt(dspy.Signature):
        """Grade an improved prompt against its raw idea, 1 (poor) to 5 (excellent).

        Rubric: 5 = specific to the idea and context, a clear expert role, a precise directive
        with deliverables, a fitting reasoning framework, 3 to 5 concrete guardrails, nothing
        left as a placeholder; 3 = usable but generic or missing one of these; 1 = off-topic,
        empty or unusable as a prompt."""

        original_idea: str = dspy.InputField()
        context: str = dspy.InputField()
        improved_prompt: str = dspy.InputField()
        score: int = dspy.OutputField(desc="1 to 5")
        rationale: str = dspy.OutputField(desc="one or two sentences")

    return dspy.ChainOfThought(JudgePrompt)


def make_judge(lm: Any) -> Any:
    """A metric that asks `lm` for a 1-5 grade; the score is grade / 5."""
    import dspy

    grader = judge_program()

    def judge(example: Any, prediction: Any, trace: Any = None) -> float | bool:
        with dspy.context(lm=lm):
            verdict = grader(
                original_idea=example.original_idea,
                context=example.context,
                improved_prompt=str(getattr(prediction, "improved_prompt", "") or ""),
            )
        grade = min(5, max(1, int(verdict.score)))
        prediction.judge_rationale = str(verdict.rationale or "")
        return grade >= 4 if trace is not None else grade / 5

    return judge
