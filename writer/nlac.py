"""The offline improver (mode `nlac`): no LLM, deterministic, in the idea's language.

1. Clean the idea: chatter addressed to an AI goes, the person's own rules become guardrails.
2. Recognise what kind of task it is and what it is about (writer/offline/taxonomy.py), helped by
   the votes of the nearest shipped examples.
3. Write the prompt from, in order of preference:
   - the person's own accepted or edited prompt for a near-identical idea (feedback);
   - a shipped example for the same request, worded differently (writer/offline/examples.json);
   - the composition of the task (deliverables, framework, steps) and the subject (specialist,
     guardrails);
   - an honest generic prompt when neither task nor subject is recognised.

Confidence bands (documented in docs/offline-improver.md): >= 0.7 when task and subject are both
recognised and the prompt is specific; 0.5 to 0.7 when only one is, or weakly; below 0.5 for the
generic prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

from writer.offline import compose, learned, pool, subjects, tasks
from writer.offline.clean import FORBIDDEN, clean
from writer.offline.taxonomy import SOFTWARE_SUBJECTS, Match, classify
from writer.text import language

# A cue score from which a task or subject counts as recognised (one strong cue word is 3).
STRONG = 3.0
# Nearest shipped examples vote for their task and subject with this weight times similarity.
VOTE = 2.5
MIN_VOTE_SIMILARITY = 0.2
# The learned model's probabilities count like this many cue points (a sure answer: one strong
# cue word and a half).
LEARNED_WEIGHT = {"task": 3.0, "subject": 3.0}
MIN_PROBABILITY = 0.5
# The nearest labelled ideas vote with this weight times their similarity.
NEIGHBOUR_WEIGHT = 2.0


@dataclass(frozen=True)
class NlacResult:
    improved_prompt: str
    role: str
    directive: str
    framework: str
    guardrails: list[str]
    reasoning: str
    confidence: float
    task: str | None = None
    subject: str | None = None
    lang: str = "en"
    source: str = "composed"


def _strip_chatter(context: str) -> str:
    return "\n".join(line for line in context.splitlines() if not FORBIDDEN.search(line))


def _votes(
    request: str, context: str, neighbours: list[tuple[float, pool.Example]]
) -> dict[str, dict[str, float]]:
    """What the nearest shipped examples, the naive Bayes model and the nearest labelled ideas
    say about the task and the subject, added to the cue words' scores by `classify`."""
    votes: dict[str, dict[str, float]] = {"task": {}, "subject": {}}

    def add(kind: str, label: str, value: float) -> None:
        votes[kind][label] = votes[kind].get(label, 0.0) + value

    for score, example in neighbours:
        if score >= MIN_VOTE_SIMILARITY:
            add("task", example.task, VOTE * score)
            add("subject", example.subject, VOTE * score)
    for kind, probabilities in learned.votes(request, context).items():
        for label, p in probabilities.items():
            if p >= MIN_PROBABILITY:  # an unsure model spreads its votes: they say nothing
                add(kind, label, LEARNED_WEIGHT[kind] * p)
    for kind, values in learned.knn_votes(request, context).items():
        for label, value in values.items():
            add(kind, label, NEIGHBOUR_WEIGHT * value)
    return votes


def _composed_confidence(
    task_match: Match, subject_match: Match, task: str | None, subject: str | None, niche: bool
) -> float:
    """The bands of docs/offline-improver.md for a prompt composed from task and subject."""
    task_strong = task is not None and task_match.score >= STRONG
    subject_strong = subject is not None and subject_match.score >= STRONG
    if task_strong and subject_strong:
        return 0.7 + 0.05 * niche + 0.05 * (task_match.score + subject_match.score >= 12)
    if task and subject:
        return 0.55 + 0.05 * (task_strong or subject_strong)
    return 0.5 if task or subject else 0.3


def improve(
    idea: str, context: str = "", k: int = 3, personal: pool.PersonalPool | None = None
) -> NlacResult:
    """Write a complete Role / Directive / Framework / Guardrails prompt for `idea`."""
    cleaned = clean(idea)
    request = cleaned.request
    context = _strip_chatter(context.strip())
    # The whole idea: a fragment plus its chatter ("presupuesto mensual. Reglas de salida: ...")
    # still says which language the person writes in.
    lang = language(f"{request} {idea}")
    query = f"{request} {context[:600]}"

    neighbours = pool.shipped().nearest(query, k)
    task_match, subject_match = classify(request, context, _votes(request, context, neighbours))
    subject = subject_match.label if subject_match.score >= STRONG / 2 else None
    task = task_match.label if task_match.score >= STRONG / 2 else None
    if task in tasks.NON_SOFTWARE and subject not in SOFTWARE_SUBJECTS:
        task = tasks.NON_SOFTWARE[task]
    if task is None and subject is not None:
        task = "advise"  # "my knee hurts after running": a situation to get advice on

    text = tasks.TASKS.get(task or "", tasks.GENERIC)
    framework = text.framework
    steps = text.steps[lang]
    deliverables = text.deliverables[lang]
    task_guardrails = text.guardrails[lang]
    if (task, subject) in tasks.PAIRS:
        deliverables = tasks.PAIRS[(task, subject)][lang]
    kind = tasks.artifact(request, task)
    if kind:
        art = tasks.ARTIFACTS[kind]
        deliverables = art.deliverables[lang]
        task_guardrails = art.guardrails[lang] + task_guardrails
        framework = art.framework or framework
    specialist, niche = subjects.specialist(subject, task or "", request, lang)
    clause = text.clause[lang]
    role = f"{'Eres' if lang == 'es' else 'You are'} {specialist}, {clause}."
    field_guardrails = subjects.guardrails(subject, task or "", lang)
    source = "composed" if subject or task else "generic"
    used = ""

    mine = personal.nearest(query, lang) if personal is not None and len(personal) else None
    top_score, top = neighbours[0] if neighbours else (0.0, None)
    if mine is not None and mine[0] >= pool.PERSONAL_CLOSE:
        score, own = mine
        source = "personal"
        role = own.role
        numbered = [
            line.split(".", 1)[1].strip()
            for line in own.directive.splitlines()
            if line[:3].strip().rstrip(".").isdigit() and "." in line
        ]
        deliverables = numbered or deliverables
        field_guardrails = own.guardrails or field_guardrails
        from writer.improver import framework_label  # improver imports this module

        framework = framework_label(own.framework) or framework
        if framework != text.framework:
            steps = tasks.TASKS.get(
                next((t for t, v in tasks.TASKS.items() if v.framework == framework), ""),
                text,
            ).steps[lang]
        used = (
            f"Used your own {own.outcome} prompt for history row {own.history_id} "
            f"(similarity {score:.2f}). "
        )
    elif (
        top is not None
        and top_score >= pool.CLOSE
        and top.task == (task or top.task)
        and top.subject == (subject or top.subject)
    ):
        source = "example"
        task, subject = top.task, top.subject
        role = top.role[lang]
        # The example was written for this kind of request: its deliverables and guardrails
        # replace those of the kind of output named (a recipe's allergens were listed twice).
        deliverables = top.deliverables[lang]
        field_guardrails = top.guardrails[lang]
        task_guardrails = text.guardrails[lang]
        used = f"Shipped example {top.idea[lang]!r} (similarity {top_score:.2f}). "

    guardrails = compose.unique(
        cleaned.rules + field_guardrails[:2] + task_guardrails[:2] + field_guardrails[2:], 5
    )
    if lang in compose.ANSWER_LANGUAGE and len(guardrails) < 5:
        guardrails.append(compose.ANSWER_LANGUAGE[lang])
    if len(guardrails) < 3:
        extra = tasks.GENERIC.guardrails[lang] + subjects.guardrails(None, "", lang)
        guardrails = compose.unique(guardrails + extra, 5)

    directive = compose.directive(request, context, deliverables, lang)
    framework_text = compose.framework_text(framework, steps, lang)
    improved = compose.prompt(role, directive, framework_text, guardrails, lang)

    if source == "personal":
        confidence = 0.9
    elif source == "example":
        confidence = 0.75 + 0.2 * min(1.0, (top_score - pool.CLOSE) / (1 - pool.CLOSE))
    else:
        confidence = _composed_confidence(task_match, subject_match, task, subject, niche)
    recognised = (
        f"task {task or 'not recognised'} ({task_match.score:.1f}), "
        f"subject {subject or 'not recognised'} ({subject_match.score:.1f}), language {lang}"
    )
    removed = ""
    if cleaned.removed:
        kept = f", kept {len(cleaned.rules)} rule(s) as guardrails" if cleaned.rules else ""
        removed = f" Left out {len(cleaned.removed)} passage(s) addressed to an AI{kept}."
    reasoning = (
        f"Offline improver (no LLM). Recognised {recognised}. {used}"
        f"Prompt {'from ' + source if source in ('personal', 'example') else source}; "
        f"framework {framework}.{removed}"
    )
    return NlacResult(
        improved_prompt=improved,
        role=role,
        directive=directive,
        framework=framework,
        guardrails=guardrails,
        reasoning=reasoning,
        confidence=round(confidence, 2),
        task=task,
        subject=subject,
        lang=lang,
        source=source,
    )


def warm_up() -> None:
    """Build the indexes, models and patterns now rather than on the first requests."""
    pool.shipped()
    learned.learned()
    for subject in subjects.SUBJECTS:
        subjects.specialist(subject, "plan", "", "en")
    improve("Write an email to my landlord about the heating")
    improve("Escribe un correo a mi casero sobre la calefacción")
