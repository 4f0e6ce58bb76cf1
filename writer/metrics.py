"""How good is an improved prompt? `structure` needs no LLM; `judge` asks the configured LM.

Both follow DSPy's metric signature `metric(example, prediction, trace=None)`: a score from 0
to 1 for `dspy.Evaluate`, and pass/fail when an optimizer (trace set) asks.
"""

from __future__ import annotations

import re
from typing import Any

from writer import sections
from writer.improver import framework_label
from writer.text import fold, language

MIN_CHARS, MAX_CHARS = 200, 8000
MIN_COVERAGE = 0.5
PLACEHOLDER_RE = re.compile(
    r"\[\s*(?:insert|your|add|paste|placeholder|todo|tbd|fill|describe|x{2,})\b[^\]]*\]"
    # Case-sensitive TODO/TBD: "todo" is an ordinary Spanish word.
    r"|<\s*(?:insert|your|paste)\b[^>]*>|\{\{[^}]*\}\}|\blorem ipsum\b|(?-i:\bTODO\b|\bTBD\b)",
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


# --- fit: does an offline prompt suit the idea? Scored against a labelled set of ideas
# (data/ideas-*.json: idea, context, lang, acceptable tasks and subjects, software or not).

SOFTWARE_SUBJECTS = {"software", "data", "databases", "security", "devops"}
# Deliverables only a software request should get.
SOFTWARE_WORDS = re.compile(
    r"\b(?:pytest|unit tests?|pruebas? unitarias?|regression test|prueba de regresi[oó]n|"
    r"source code|c[oó]digo(?! postal| de vestimenta| de conducta)|"
    r"(?<!dress )(?<!zip )(?<!postal )(?<!promo )(?<!discount )\bcode\b|endpoints?|"
    r"type hints|docstrings?|standard library|biblioteca est[aá]ndar|stack trace|"
    r"execution plan|plan de ejecuci[oó]n|pull request|repositor(?:y|io)|refactor\w*|"
    r"pseudo-?code|pseudoc[oó]digo|(?:python|javascript|sql) functions?|"
    r"funci[oó]n(?:es)? (?:en|de) (?:python|javascript)|unit-test)",
    re.IGNORECASE,
)
# Specialists whose field is unmistakable: a role naming one is out of field unless the idea
# belongs to one of these subjects.
FIELD_NOUNS = [
    (re.compile(r"lawyer|abogad", re.I), {"legal"}),
    (
        re.compile(r"\bengineer|ingenier|developer\b|desarrollador|programador", re.I),
        SOFTWARE_SUBJECTS | {"product"},
    ),
    (
        re.compile(
            r"\bchef\b|pastry|pastel|cociner|dietitian|dietista|nutricionist|sommelier|"
            r"sumiller",
            re.I,
        ),
        {"food"},
    ),
    (re.compile(r"travel planner|planificador(?:a)? de viajes", re.I), {"travel"}),
    (re.compile(r"accountant|contable", re.I), {"business_finance", "personal_finance"}),
    (
        re.compile(
            r"running coach|personal trainer|entrenador(?:a)? (?:personal|de running)|"
            r"physiotherapist|fisioterapeuta",
            re.I,
        ),
        {"health_fitness"},
    ),
    (
        re.compile(r"data analyst|analista de datos|data scientist", re.I),
        {"data", "business", "marketing", "business_finance", "product", "science"},
    ),
    (re.compile(r"recruiter|reclutador", re.I), {"hiring", "careers"}),
    (re.compile(r"wedding planner|event planner|organizador(?:a)? de eventos", re.I), {"events"}),
    (
        re.compile(r"science communicator|research scientist|investigador(?:a)? cient", re.I),
        {"science", "education"},
    ),
    (
        re.compile(r"project manager|jefe de proyecto", re.I),
        {"operations", "product", "business", "software", "devops", "nonprofit", "events"},
    ),
]
_CHATTER = re.compile(
    r"as an ai|language model|modelo de lenguaje|hard rules?|output rules?|reglas de salida|"
    r"i'?m an ai|\bchatgpt\b|como (?:una )?ia\b",
    re.IGNORECASE,
)


def fit_checks(example: Any, prediction: Any) -> dict[str, Any]:
    """Each fit check, by name (True/False; None when the prediction has no label to check)."""
    prompt = str(getattr(prediction, "improved_prompt", "") or "")
    role = str(getattr(prediction, "role", "") or "")
    task = getattr(prediction, "task", None)
    subject = getattr(prediction, "subject", None)
    subjects = set(example.subjects)
    software_ok = bool(getattr(example, "software", False)) or bool(subjects & SOFTWARE_SUBJECTS)
    out_of_field = [
        noun.pattern for noun, fields in FIELD_NOUNS if noun.search(role) and not fields & subjects
    ]
    # Software words the person used themselves ("the promo code", a pasted error) are theirs;
    # only the ones the prompt brought in count.
    given = fold(f"{getattr(example, 'original_idea', '')} {getattr(example, 'context', '')}")
    brought = [m.group() for m in SOFTWARE_WORDS.finditer(prompt) if fold(m.group()) not in given]
    return {
        "task": None if task is None and not prompt else task in example.tasks,
        "subject": None if subject is None and not prompt else subject in subjects,
        "deliverables_in_field": software_ok or not brought,
        "role_in_field": not out_of_field,
        "no_chatter": not _CHATTER.search(prompt),
        "language": language(prompt) == example.lang,
    }


def fit_passed(result: dict[str, Any]) -> bool:
    return all(v is not False for v in result.values())


def fit(example: Any, prediction: Any, trace: Any = None) -> float | bool:
    result = fit_checks(example, prediction)
    if trace is not None:
        return fit_passed(result)
    return 1.0 if fit_passed(result) else 0.0


def load_labelled(path: Any) -> list[dict[str, Any]]:
    """A labelled set of ideas (data/ideas-*.json): a JSON array of objects with idea, lang,
    tasks and subjects (lists of acceptable labels), and optionally context and software."""
    import json
    from pathlib import Path

    records = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a JSON array of labelled ideas")
    for n, record in enumerate(records, 1):
        missing = {"idea", "lang", "tasks", "subjects"} - set(record)
        if not isinstance(record, dict) or missing:
            raise ValueError(f"{path} #{n}: missing {', '.join(sorted(missing))}")
    return records


def labelled_examples(records: list[dict[str, Any]]) -> list[Any]:
    """dspy.Examples for `eval --metric fit`: the idea and context are the inputs."""
    import dspy

    return [
        dspy.Example(
            original_idea=r["idea"],
            context=r.get("context", ""),
            tasks=r["tasks"],
            subjects=r["subjects"],
            lang=r["lang"],
            software=bool(r.get("software")),
        ).with_inputs("original_idea", "context")
        for r in records
    ]
