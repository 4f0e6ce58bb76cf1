"""The offline improver and framework normalisation."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from writer import nlac
from writer.improver import FRAMEWORKS, normalize_framework


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("Chain-of-Thought", "chain-of-thought"),
        ("CoT", "chain-of-thought"),
        ("chain of thought reasoning", "chain-of-thought"),
        ("Tree of Thoughts", "tree-of-thoughts"),
        ("ToT", "tree-of-thoughts"),
        ("tree-of-thought", "tree-of-thoughts"),
        ("Decomposition", "decomposition"),
        ("Role-Playing", "role-playing"),
        ("role play", "role-playing"),
        ("Persona", "role-playing"),
        ("Socratic method", "decomposition"),
        ("", "decomposition"),
        (None, "decomposition"),
    ],
)
def test_framework_labels_are_normalised(raw, label):
    assert normalize_framework(raw) == label


def test_example_pool_covers_domains_and_languages():
    pool = json.loads(nlac.EXAMPLES_PATH.read_text(encoding="utf-8"))
    assert len(pool) >= 24
    assert set(Counter(e["domain"] for e in pool)) >= {
        "coding",
        "debugging",
        "writing",
        "analysis",
        "data",
        "product",
        "ops",
    }
    assert Counter(e["lang"] for e in pool).keys() == {"en", "es"}
    for example in pool:
        assert example["framework"] in FRAMEWORKS
        assert 3 <= len(example["guardrails"]) <= 5
        assert len(example["deliverables"]) >= 3 and len(example["steps"]) >= 3


@pytest.mark.parametrize(
    ("idea", "context"),
    [
        ("Design a REST API for user management", ""),
        ("Necesito optimizar una consulta lenta en Postgres", "La tabla tiene 10M filas"),
        ("Redacta un correo para pedir un aumento a mi jefe", ""),
        ("Set up alerting for our payment service", "We use Prometheus and PagerDuty"),
        ("Plan a birthday party for forty people", ""),
        ("zzzz qqqq xxxx", ""),
    ],
)
def test_nlac_writes_a_complete_specific_prompt(idea, context):
    result = nlac.improve(idea, context)
    prompt = result.improved_prompt
    for section in ("Role:", "Directive:", "Framework:", "Guardrails:"):
        assert section in prompt
    assert idea.lower() in prompt.lower()
    if context:
        assert context.lower() in prompt.lower()
    assert 3 <= len(result.guardrails) <= 5
    assert result.framework in FRAMEWORKS
    assert 0 <= result.confidence <= 1
    assert not re.search(r"\[(insert|your|add)\b", prompt, re.IGNORECASE)
    assert nlac.improve(idea, context) == result  # deterministic


def test_nlac_follows_the_language_and_the_nearest_examples():
    spanish = nlac.improve("Necesito optimizar una consulta lenta en Postgres")
    assert "in Spanish" in spanish.guardrails[-1]
    assert "database performance" in spanish.role
    english = nlac.improve("Debug a flaky integration test that fails only in CI")
    assert not any("Spanish" in g for g in english.guardrails)
    assert english.framework == "tree-of-thoughts"


def test_nlac_confidence_reflects_how_close_the_examples_were():
    exact = nlac.improve("Design a REST API for user management").confidence
    near = nlac.improve("Design an HTTP API for managing customers").confidence
    far = nlac.improve("zzzz qqqq xxxx").confidence
    assert exact > near > far
    assert "general template" in nlac.improve("zzzz qqqq xxxx").reasoning


def test_nlac_on_the_seed_ideas_never_leaves_blanks(seed_examples):
    for example in seed_examples:
        idea = example["inputs"]["original_idea"]
        result = nlac.improve(idea, example["inputs"]["context"])
        assert idea.split()[0].lower() in result.improved_prompt.lower()
        assert not re.search(r"\[insert", result.improved_prompt, re.IGNORECASE)


def test_llm_failure_detail_keeps_the_advice_within_200_characters():
    from writer.improver import LLMFailure

    failure = LLMFailure(
        "unavailable",
        "litellm.APIConnectionError: <ssl.SSLContext object at 0x7f00deadbeef> " * 20,
        "nothing is listening at http://" + "very-long-host." * 20 + "example:11434",
    )
    detail = failure.detail
    assert len(detail) <= 200 and detail.startswith("LLM unavailable: nothing is listening at")
    assert detail.endswith(
        "What to do: start the LLM or check LLM_PROVIDER, LLM_BASE_URL and "
        "the API key, or use mode 'nlac'."
    )
    assert "0x" not in detail and "SSLContext" in failure.row_error  # the full text is kept
    assert failure.detail_for("--nlac").endswith("or use --nlac.")
