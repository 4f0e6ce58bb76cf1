"""Bad model output through the real DSPy adapter (DummyLM answers), end to end.

Each kind gets the documented answer: a repaired value said in `reasoning`, or 502 with
LLM_FALLBACK=none (the offline answer, flagged, with the default fallback). The stored row
always agrees with the answer.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import dummy_answer, dummy_lm, running
from writer.app import create_app
from writer.settings import Settings

pytestmark = pytest.mark.anyio
IDEA = {"idea": "Design a REST API for users"}

# override -> what the answer must say (field: value), and a phrase its reasoning must contain
REPAIRED = {
    "confidence-above-1": ({"confidence": 1.7}, {"confidence": 1.0}, "confidence 1.7 clamped to 1"),
    "confidence-below-0": ({"confidence": -0.3}, {"confidence": 0.0}, "clamped to 0"),
    "confidence-nan": ({"confidence": "NaN"}, {"confidence": None}, "'nan' is not a number"),
    "unknown-framework": (
        {"framework": "Six Thinking Hats"},
        {"framework": "decomposition", "framework_raw": "Six Thinking Hats"},
        None,
    ),
    "spanish-framework": (
        {"framework": "Árbol de pensamientos"},
        {"framework": "tree-of-thoughts", "framework_raw": "Árbol de pensamientos"},
        None,
    ),
    "empty-role": ({"role": ""}, {"role": "You are an API architect."}, "role taken from"),
    "empty-directive": ({"directive": ""}, {"directive": "Design the API."}, "directive taken"),
    "empty-guardrails": ({"guardrails": []}, {"guardrails": ["Use HTTP semantics."]}, "guardrails"),
}
UNUSABLE = {
    "empty-prompt": {"improved_prompt": ""},
    "blank-prompt": {"improved_prompt": "   \n "},
    "guardrails-one-string": {"guardrails": "Use HTTP semantics"},
    "confidence-a-word": {"confidence": "high"},
}


def row(db_path: Path, row_id: int | None = None) -> dict:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        where, args = ("id = ?", [row_id]) if row_id else ("1", [])
        return dict(conn.execute(f"select * from prompt_history where {where}", args).fetchone())
    finally:
        conn.close()


def settings_for(db_path: Path, **extra) -> Settings:
    return Settings(_env_file=None, sqlite_db_path=db_path, dspy_compiled_path=None, **extra)


@pytest.mark.parametrize("case", REPAIRED)
async def test_repaired_output_is_flagged_and_stored_as_answered(db_path, case):
    override, expected, phrase = REPAIRED[case]
    app = create_app(settings_for(db_path), lm=dummy_lm(**override), with_datasette=False)
    async with running(app) as client:
        r = await client.post("/api/v1/improve-prompt", json=IDEA)
    assert r.status_code == 200, r.text
    body = r.json()
    for field, value in expected.items():
        if field != "framework_raw":
            assert body[field] == value, (field, body[field])
    if phrase is None:
        assert "repaired" not in body["reasoning"]
    else:
        assert "[Model output repaired:" in body["reasoning"] and phrase in body["reasoning"]
    assert body["degradation_flags"] == {"persistence_failed": False, "llm_unavailable": False}
    stored = row(db_path, body["id"])
    assert stored["status"] == "ok" and stored["error"] is None
    for field in ("improved_prompt", "role", "directive", "framework", "reasoning", "confidence"):
        assert stored[field] == body[field], field
    assert json.loads(stored["guardrails"]) == body["guardrails"]
    if "framework_raw" in expected:
        assert stored["framework_raw"] == expected["framework_raw"]


async def test_good_output_is_not_flagged(db_path):
    app = create_app(settings_for(db_path), lm=dummy_lm(), with_datasette=False)
    async with running(app) as client:
        body = (await client.post("/api/v1/improve-prompt", json=IDEA)).json()
    assert body["reasoning"] == dummy_answer()["reasoning"]
    assert body["confidence"] == 0.82 and body["role"] == "You are an API architect."


@pytest.mark.parametrize("case", UNUSABLE)
async def test_unusable_output_is_502_without_fallback(db_path, case):
    app = create_app(
        settings_for(db_path, llm_fallback="none"),
        lm=dummy_lm(**UNUSABLE[case]),
        with_datasette=False,
    )
    async with running(app) as client:
        r = await client.post("/api/v1/improve-prompt", json=IDEA)
    assert r.status_code == 502, r.text
    detail = r.json()["detail"]
    assert detail.startswith("LLM unusable") and "What to do" in detail
    assert set(r.json()) == {"detail"}
    stored = row(db_path)
    # The row has the answer's words, then the provider's full text (issue 13's short details).
    assert stored["status"] == "error" and stored["error"].startswith(detail[:-1])
    assert "Provider said:" in stored["error"]
    assert stored["improved_prompt"] is None and stored["confidence"] is None


@pytest.mark.parametrize("case", UNUSABLE)
async def test_unusable_output_falls_back_offline_and_says_so(db_path, case):
    app = create_app(settings_for(db_path), lm=dummy_lm(**UNUSABLE[case]), with_datasette=False)
    async with running(app) as client:
        r = await client.post("/api/v1/improve-prompt", json=IDEA)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["backend"] == "nlac" and body["degradation_flags"]["llm_unavailable"] is True
    stored = row(db_path, body["id"])
    assert stored["status"] == "ok" and stored["error"].startswith("fallback to nlac after LLM")
    assert stored["improved_prompt"] == body["improved_prompt"]
    assert stored["confidence"] == body["confidence"]
