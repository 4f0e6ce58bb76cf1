"""The offline improver (mode nlac): task and subject recognised, written for them, in the idea's
language, without chatter; confidence bands; the person's own prompts reused after feedback."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from tests.conftest import running
from writer import metrics, nlac, sections
from writer.app import create_app
from writer.cli import cli
from writer.improver import FRAMEWORKS, framework_label
from writer.offline import pool
from writer.offline.clean import clean

# (idea, context, task, subject): written for these tests, in both languages, one or more per
# task type; none of them is in the shipped examples or the training ideas.
CASES = [
    ("Write a thank-you email to the neighbours who fed our cat all week", "", "write", "family"),
    ("Escribe un correo a mi casero para avisar de una gotera en el baño", "", "write", "home"),
    ("A short poem for my sister's graduation card", "", "write", "creative_writing"),
    ("Escribe un cuento sobre un faro que tiene miedo del mar", "", "write", "creative_writing"),
    ("Plan a 4-day trip to Rome with a toddler in May", "", "plan", "travel"),
    (
        "Plan de entrenamiento de 8 semanas para correr mi primera media maratón",
        "",
        "plan",
        "health_fitness",
    ),
    (
        "Explain how vaccines train the immune system, for a curious 12-year-old",
        "",
        "explain",
        "science",
    ),
    ("Explícame qué es una hipoteca variable y cuándo conviene", "", "explain", "personal_finance"),
    (
        "Summarize these meeting notes into decisions and owners",
        "Ana: ship Friday. Luis: QA.",
        "summarize",
        "workplace",
    ),
    (
        "Resume los puntos clave de este contrato de alquiler",
        "Cláusula 4: la fianza...",
        "summarize",
        "legal",
    ),
    ("Analyze why our newsletter open rate fell from 40% to 22%", "", "analyze", "marketing"),
    (
        "Compare index funds versus a savings account for a 5-year goal",
        "",
        "compare",
        "personal_finance",
    ),
    ("¿Qué me conviene más, un coche eléctrico o uno híbrido para la ciudad?", "", "compare", None),
    ("Brainstorm names for a dog-walking business", "", "brainstorm", "business"),
    ("Ideas de regalo para el aniversario de mis padres", "", "brainstorm", "family"),
    ("Help me prepare for a job interview as a nurse", "", "prepare", "careers"),
    ("Prepárame para negociar el sueldo en mi nueva oferta de trabajo", "", "prepare", "careers"),
    (
        "Translate this product description into Spanish",
        "Soft cotton tee, unisex fit.",
        "translate",
        None,
    ),
    ("Research which CRM fits a five-person sales team", "", "research", "sales"),
    ("Design the onboarding flow for a budgeting app's first launch", "", "design", None),
    ("My teenager won't talk to me after school, what should I do?", "", "advise", "family"),
    ("Write a Python function that removes duplicate rows from a CSV", "", "implement", "software"),
    (
        "Mi script de Node lanza TypeError: Cannot read properties of undefined",
        "",
        "debug",
        "software",
    ),
    ("Refactor this 400-line Django view into smaller functions", "", "refactor", "software"),
    ("Write pytest unit tests for the invoice parser", "", "test", "software"),
    ("Review this pull request for security problems", "", "review", None),
    ("Write a README for our command-line backup tool", "", "document", "software"),
    (
        "Esta consulta tarda 20 segundos en Postgres, ¿cómo la acelero?",
        "SELECT * FROM pedidos WHERE estado = 'pendiente' ORDER BY fecha",
        "query",
        "databases",
    ),
    ("Migrate our MySQL database to PostgreSQL without downtime", "", "migrate", "databases"),
    ("This cron job runs fine by hand but not from crontab", "", "debug", "devops"),
    ("el cron de mi servidor no ejecuta el backup pero a mano sí funciona", "", "debug", "devops"),
    ("¿Por qué siempre nos quedamos sin stock de tinta si pedimos lo mismo?", "", "analyze", None),
]


@pytest.mark.parametrize(("idea", "context", "task", "subject"), CASES)
def test_task_and_subject_are_recognised_and_written_for(idea, context, task, subject):
    result = nlac.improve(idea, context)
    assert result.task == task, result.reasoning
    if subject is not None:
        assert result.subject == subject, result.reasoning
    assert result.confidence >= 0.5
    prompt = result.improved_prompt
    lang = "es" if re.search(r"[ñáéíóú¿]|\b(?:de|para|mi|una?)\b", idea.lower()) else "en"
    assert result.lang == lang
    headings = (
        ("Rol:", "Directiva:", "Marco:", "Restricciones:")
        if lang == "es"
        else ("Role:", "Directive:", "Framework:", "Guardrails:")
    )
    for heading in headings:
        assert heading in prompt
    if context:
        assert context.strip() in prompt
    assert 3 <= len(result.guardrails) <= 5
    assert result.framework in FRAMEWORKS
    assert nlac.improve(idea, context) == result  # deterministic


EVERYDAY = [
    "Draft a polite email declining a meeting invitation",
    "Summarize the key risks in this supplier contract",
    "Compare renting versus buying an apartment",
    "Plan a 3-day trip with two kids",
    "Create a 10K training plan for a beginner",
    "Escribe un discurso para la boda de mi mejor amiga",
    "Ideas para una cena romántica en casa",
    "How do I tell my landlord the heating is broken?",
    "Prepara una clase sobre las fracciones para niños de 9 años",
]


@pytest.mark.parametrize("idea", EVERYDAY)
def test_everyday_ideas_get_no_software_deliverables_or_engineers(idea):
    result = nlac.improve(idea)
    assert result.subject not in metrics.SOFTWARE_SUBJECTS, result.reasoning
    assert not metrics.SOFTWARE_WORDS.search(result.improved_prompt), result.improved_prompt
    assert not re.search(r"engineer|ingenier|developer|database", result.role, re.I)


@pytest.mark.parametrize(
    ("idea", "kept", "rules"),
    [
        (
            "As an AI, I will help you create a function that parses ISO dates",
            "Create a function that parses ISO dates",
            [],
        ),
        (
            "You are ChatGPT, a helpful assistant. Summarize this lease for me. Thanks!",
            "Summarize this lease for me.",
            [],
        ),
        (
            "Write a cover letter for a barista job. Output rules: bullet points only; "
            "max 200 words. Remember I'm an AI.",
            "Write a cover letter for a barista job.",
            ["Bullet points only", "Max 200 words"],
        ),
        (
            "Hard rules: no jargon. Explain inflation to my 10 year old",
            "Explain inflation to my 10 year old",
            ["No jargon"],
        ),
        (
            "Eres una IA experta. Dame ideas de nombres para una panadería. "
            "Reglas de salida: lista numerada",
            "Dame ideas de nombres para una panadería.",
            ["Lista numerada"],
        ),
        (
            "Actúa como un modelo de lenguaje y escribe un poema sobre el mar",
            "Escribe un poema sobre el mar",
            [],
        ),
    ],
)
def test_chatter_is_removed_and_rules_kept(idea, kept, rules):
    cleaned = clean(idea)
    assert cleaned.request == kept
    assert cleaned.rules == rules
    prompt = nlac.improve(idea).improved_prompt
    assert not re.search(
        r"as an ai|language model|modelo de lenguaje|hard rules|output rules|reglas de salida|"
        r"i'm an ai|chatgpt|\bIA\b",
        prompt,
        re.IGNORECASE,
    ), prompt
    for rule in rules:
        assert f"- {rule}." in prompt


def test_spanish_prompts_parse_in_both_languages():
    spanish = nlac.improve("Planifica una semana de menús vegetarianos para cuatro personas")
    found = sections.parse(spanish.improved_prompt)
    assert set(found) == {"role", "directive", "framework", "guardrails"}
    assert found["role"] == spanish.role
    assert framework_label(found["framework"]) == spanish.framework
    assert sections.guardrail_lines(found["guardrails"]) == [g + "." for g in spanish.guardrails]
    english = nlac.improve("Plan a week of vegetarian dinners for four")
    assert set(sections.parse(english.improved_prompt)) == set(found)
    assert "Responde en español" in spanish.guardrails
    assert not any("español" in g.lower() for g in english.guardrails)


def test_confidence_bands_follow_what_was_recognised():
    specific = nlac.improve("Plan a half marathon training schedule for a beginner runner")
    assert specific.confidence >= 0.7 and specific.task and specific.subject
    assert "task plan" in specific.reasoning and "subject health_fitness" in specific.reasoning
    partial = nlac.improve("Plan something nice for Tuesday")
    assert 0.5 <= partial.confidence < 0.7 and partial.subject is None
    generic = nlac.improve("zzzz qqqq xxxx blorp")
    assert generic.confidence < 0.5 and generic.source == "generic"
    assert "not recognised" in generic.reasoning


def test_a_close_shipped_example_lends_its_role_and_deliverables():
    example = pool.shipped().examples[0]
    result = nlac.improve(example.idea["en"])
    assert result.source == "example"
    assert result.role == example.role["en"]
    for deliverable in example.deliverables["en"]:
        assert deliverable.rstrip(".") in result.directive
    assert result.confidence >= 0.75
    spanish = nlac.improve(example.idea["es"])
    assert spanish.role == example.role["es"]


def test_the_shipped_pool_is_large_bilingual_and_covers_every_subject():
    examples = pool.shipped().examples
    assert len(examples) >= 200
    from writer.offline.subjects import SUBJECTS
    from writer.offline.tasks import TASKS
    from writer.offline.taxonomy import SUBJECT_CUES, TASK_CUES

    assert {e.subject for e in examples} == set(SUBJECTS) == set(SUBJECT_CUES)
    assert set(TASKS) == set(TASK_CUES)
    for e in examples:
        for field in (e.idea, e.role):
            assert field["en"].strip() and field["es"].strip()
        assert len(e.deliverables["en"]) == len(e.deliverables["es"]) >= 3
        if e.subject not in metrics.SOFTWARE_SUBJECTS:
            assert not metrics.SOFTWARE_WORDS.search(" ".join(e.deliverables["en"])), e.idea


def test_fit_metric_fails_what_does_not_fit():
    example = SimpleNamespace(tasks=["plan"], subjects=["travel"], lang="en", software=False)
    good = nlac.improve("Plan a 3-day trip with two kids")
    assert metrics.fit_passed(metrics.fit_checks(example, good))
    wrong = SimpleNamespace(
        improved_prompt=good.improved_prompt + "\n- Write a pytest module.",
        role="You are a senior Python engineer.",
        task="implement",
        subject="software",
    )
    checks = metrics.fit_checks(example, wrong)
    assert checks == {
        "task": False,
        "subject": False,
        "deliverables_in_field": False,
        "role_in_field": False,
        "no_chatter": True,
        "language": True,
    }
    chatty = SimpleNamespace(**{**vars(wrong), "improved_prompt": "Role: As an AI language model"})
    assert metrics.fit_checks(example, chatty)["no_chatter"] is False
    spanish = SimpleNamespace(tasks=["plan"], subjects=["travel"], lang="es", software=False)
    assert metrics.fit_checks(spanish, good)["language"] is False


def test_eval_fit_scores_a_labelled_set(tmp_path):
    labelled = tmp_path / "ideas.json"
    labelled.write_text(
        json.dumps(
            [
                {
                    "idea": "Plan a 3-day trip with two kids",
                    "lang": "en",
                    "tasks": ["plan"],
                    "subjects": ["travel", "family"],
                },
                {
                    "idea": "Escribe un poema para mi abuela",
                    "lang": "es",
                    "tasks": ["write"],
                    "subjects": ["creative_writing", "family"],
                },
                # Deliberately mislabelled: the run must count it as failed.
                {
                    "idea": "Write a Python function that sorts names",
                    "lang": "en",
                    "tasks": ["plan"],
                    "subjects": ["travel"],
                },
            ]
        )
    )
    db = tmp_path / "eval.db"
    result = CliRunner().invoke(
        cli, ["eval", "--dataset", str(labelled), "--nlac", "--metric", "fit", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "| 3 | 0 | 2 | 0.667 |" in result.output
    assert "task 67%" in result.output


@pytest.mark.anyio
async def test_accepted_and_edited_prompts_join_the_offline_pool(settings):
    idea = "Write a birthday message for my grandfather who loves fishing"
    edited = (
        "Role: You are my grandfather's favourite grandchild, warm and a little cheeky.\n\n"
        "Directive: Write the message.\n1. Three short sentences.\n2. One fishing joke.\n\n"
        "Framework: Role-playing.\n\nGuardrails:\n- No clichés\n- Mention the lake house\n"
        "- Sign it from all of us"
    )
    async with running(create_app(settings, with_datasette=False)) as client:
        first = await client.post("/api/v1/improve-prompt", json={"idea": idea, "mode": "nlac"})
        assert first.status_code == 200, first.text
        assert "history row" not in first.json()["reasoning"]
        row_id = first.json()["id"]
        r = await client.post(
            f"/api/v1/history/{row_id}/feedback",
            json={"outcome": "edited", "final_prompt": edited, "rating": 5},
        )
        assert r.status_code == 201, r.text
        again = await client.post(
            "/api/v1/improve-prompt",
            json={"idea": "Birthday message for my grandfather, he loves fishing", "mode": "nlac"},
        )
        body = again.json()
        assert f"edited prompt for history row {row_id}" in body["reasoning"]
        assert body["role"].startswith("You are my grandfather's favourite grandchild")
        assert "One fishing joke" in body["directive"]
        assert "Mention the lake house" in body["guardrails"]
        assert body["confidence"] >= 0.85
        # A rejection takes it back out.
        await client.post(f"/api/v1/history/{row_id}/feedback", json={"outcome": "rejected"})
        after = await client.post(
            "/api/v1/improve-prompt",
            json={"idea": "Birthday message for my grandfather, he loves fishing", "mode": "nlac"},
        )
        assert "history row" not in after.json()["reasoning"]
        await client.post(f"/api/v1/history/{row_id}/feedback", json={"outcome": "accepted"})
    # The next start reads it back from the database.
    async with running(create_app(settings, with_datasette=False)) as client:
        body = (
            await client.post(
                "/api/v1/improve-prompt",
                json={"idea": "A birthday message for grandpa who loves fishing", "mode": "nlac"},
            )
        ).json()
        assert f"accepted prompt for history row {row_id}" in body["reasoning"]


@pytest.mark.parametrize(
    ("idea", "expected"),
    [
        ("Plan a 3-day trip to Lisbon with two kids", "day-by-day itinerary"),
        ("Create a 10K training plan for a beginner", "week-by-week schedule"),
        ("Planifica el presupuesto mensual de mi casa y mi pareja", "presupuesto"),
        ("Plan a week of vegetarian dinners for four", "shopping list"),
    ],
)
def test_common_plans_get_deliverables_of_their_own_kind(idea, expected):
    result = nlac.improve(idea)
    assert expected in result.directive, result.directive
    assert "step by step or day by day" not in result.directive


@pytest.mark.anyio
async def test_rows_record_what_was_recognised(settings):
    import sqlite_utils

    async with running(create_app(settings, with_datasette=False)) as client:
        r = await client.post(
            "/api/v1/improve-prompt",
            json={"idea": "Plan a 3-day trip to Rome with two kids", "mode": "nlac"},
        )
        assert r.status_code == 200, r.text
    row = sqlite_utils.Database(settings.sqlite_db_path)["prompt_history"].get(r.json()["id"])
    assert (row["task"], row["subject"]) == ("plan", "travel")


def test_the_structure_metric_does_not_take_spanish_todo_for_a_placeholder():
    from writer.metrics import PLACEHOLDER_RE

    assert PLACEHOLDER_RE.search("Revisa todo el texto") is None
    assert PLACEHOLDER_RE.search("TODO: fill this in") and PLACEHOLDER_RE.search("[insert name]")


@pytest.mark.parametrize(
    ("idea", "subject", "expected"),
    [
        ("Give me a recipe for a vegetarian lasagna for six people", "food", "exact quantities"),
        ("Dame una receta de lasaña vegetariana para seis personas", "food", "cantidades exactas"),
        (
            "Prepare a 45-minute lesson on the water cycle for 10-year-olds",
            "education",
            "Learning objectives",
        ),
        (
            "Prepara una clase de 45 minutos sobre el ciclo del agua para niños de 10 años",
            "education",
            "Objetivos de aprendizaje",
        ),
        (
            "Plan a 5-day trip to Japan with my parents, both in their seventies",
            "travel",
            "day-by-day itinerary",
        ),
        (
            "Organiza un viaje de 5 días a Japón con mis padres, que tienen más de setenta años",
            "travel",
            "itinerario día a día",
        ),
    ],
)
def test_the_kind_of_output_named_decides_the_deliverables(idea, subject, expected):
    result = nlac.improve(idea)
    assert result.subject == subject, result.reasoning
    assert expected in result.directive, result.directive


@pytest.mark.parametrize(
    ("idea", "context", "lang", "role", "not_in_guardrails"),
    [
        # A translation is a translator's job, whatever the text is about.
        (
            "Translate our café menu into English for tourists",
            "Tostada con tomate y aceite - 3,50",
            "en",
            "professional translator",
            "chef",
        ),
        (
            "Traduce al inglés la carta de nuestro bar para los turistas",
            "Tostada con tomate y aceite - 3,50",
            "es",
            "traductor",
            "cocinero",
        ),
        # A poem for a grandmother gets a writer and no counselling guardrails.
        (
            "A short poem for my grandmother's 90th birthday, she loves her garden",
            "",
            "en",
            "writer",
            "professional help",
        ),
        (
            "Un poema corto para el 90 cumpleaños de mi abuela, le encanta su jardín",
            "",
            "es",
            "poeta",
            "ayuda profesional",
        ),
    ],
)
def test_the_role_and_guardrails_belong_to_the_kind_of_work(
    idea, context, lang, role, not_in_guardrails
):
    result = nlac.improve(idea, context)
    assert result.lang == lang
    assert role in result.role.lower()
    assert not_in_guardrails not in " ".join(result.guardrails).lower()
    assert not_in_guardrails not in result.role.lower()


def test_cross_validation_trains_each_fold_without_its_own_ideas():
    """`python -m writer.bench.offline_cv`: a fold never sees its test ideas, and the shipped
    models are back afterwards."""
    from writer.bench.offline_cv import cross_validate
    from writer.offline import learned

    ideas = json.loads(learned.TRAIN_PATH.read_text(encoding="utf-8"))[:300]
    shipped = len(learned.learned().labels)
    result = cross_validate(ideas, 3, echo=lambda line: None)
    assert result["ideas"] == 300 and 0 < result["passed"] < 300
    # Trained on 200 ideas a fold, it fits fewer of them than the shipped models (which learned
    # from these very ideas) do: the folds did not leak.
    in_sample = sum(
        metrics.fit_passed(
            metrics.fit_checks(
                SimpleNamespace(**r, original_idea=r["idea"]),
                nlac.improve(r["idea"], r.get("context", "")),
            )
        )
        for r in ideas
    )
    assert result["passed"] < in_sample
    assert len(learned.learned().labels) == shipped


@pytest.mark.parametrize(
    ("idea", "context", "role", "deliverable"),
    [
        (
            "What are the risks for me in these clauses of my employment contract?",
            "7. Non-compete: for 24 months after termination, no work for any competitor.",
            "employment lawyer",
            "The risk it creates for the person asking",
        ),
        (
            "¿Qué riesgos tienen para mí estas cláusulas de mi contrato de trabajo?",
            "7. No competencia: durante 24 meses tras la extinción.",
            "abogado laboralista",
            "El riesgo que supone para quien pregunta",
        ),
    ],
)
def test_risks_in_an_employment_contract_go_to_an_employment_lawyer(
    idea, context, role, deliverable
):
    result = nlac.improve(idea, context)
    assert (result.task, result.subject) == ("analyze", "legal"), result.reasoning
    assert role in result.role and deliverable in result.improved_prompt


@pytest.mark.parametrize(
    "idea",
    [
        "A recipe for a gluten-free chocolate cake for 10 people",
        "Una receta de bizcocho de chocolate sin gluten para 10 personas",
    ],
)
def test_a_shipped_example_brings_its_own_guardrails_without_repeats(idea):
    result = nlac.improve(idea)
    assert result.source == "example"
    allergens = [g for g in result.guardrails if "allergen" in g.lower() or "alérgeno" in g]
    assert len(allergens) == 1, result.guardrails
