"""Framework normalisation, and every offline prompt complete (tests/test_offline.py has the
rest of the offline improver)."""

from __future__ import annotations

import re

import pytest

from writer import nlac, sections
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
    # Role/Directive/Framework/Guardrails, or Rol/Directiva/Marco/Restricciones in Spanish.
    assert set(sections.parse(prompt)) == set(sections.SECTIONS)
    assert idea.lower() in prompt.lower()
    if context:
        assert context.lower() in prompt.lower()
    assert 3 <= len(result.guardrails) <= 5
    assert result.framework in FRAMEWORKS
    assert 0 <= result.confidence <= 1
    assert not re.search(r"\[(insert|your|add)\b", prompt, re.IGNORECASE)
    assert nlac.improve(idea, context) == result  # deterministic


def test_nlac_on_the_trainset_ideas_never_leaves_blanks(trainset_examples):
    for example in trainset_examples:
        idea = example["inputs"]["original_idea"]
        result = nlac.improve(idea, example["inputs"]["context"])
        found = sections.parse(result.improved_prompt)
        # Every section is there and filled, and agrees with the structured fields.
        assert set(found) == set(sections.SECTIONS), (idea, found.keys())
        assert result.role and result.role in found["role"]
        assert result.directive and result.directive.splitlines()[0] in found["directive"]
        assert len(result.guardrails) >= 3 and all(g.strip() for g in result.guardrails)
        assert result.framework in FRAMEWORKS
        assert not re.search(
            r"\[(insert|your|topic)|\{[a-z_]+\}|\.\.\.\s*$",
            result.improved_prompt,
            re.IGNORECASE | re.MULTILINE,
        ), idea
        # Case-sensitive: "todo" is an ordinary Spanish word.
        assert not re.search(r"\bTODO\b|\bTBD\b", result.improved_prompt), idea


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
