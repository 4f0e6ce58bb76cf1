"""The HTTP contract, on the real app (API + Datasette) and a real SQLite file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils

from tests.conftest import dummy_lm, running
from writer.app import create_app
from writer.settings import Settings

pytestmark = pytest.mark.anyio

RESPONSE_KEYS = {
    "improved_prompt",
    "role",
    "directive",
    "framework",
    "guardrails",
    "reasoning",
    "confidence",
    "backend",
    "id",
    "degradation_flags",
}


def rows(db_path) -> list[dict]:
    return list(sqlite_utils.Database(db_path)["prompt_history"].rows_where(order_by="id"))


async def test_nlac_improvement_is_recorded_and_browsable(client, db_path):
    r = await client.post(
        "/api/v1/improve-prompt",
        json={
            "idea": "Necesito optimizar una consulta lenta en Postgres",
            "context": "Tabla de pedidos con 10M filas",
            "mode": "nlac",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert RESPONSE_KEYS <= body.keys()
    assert body["backend"] == "nlac"
    assert body["framework"] in {
        "chain-of-thought",
        "tree-of-thoughts",
        "decomposition",
        "role-playing",
    }
    assert 3 <= len(body["guardrails"]) <= 5
    assert 0 <= body["confidence"] <= 1
    assert body["degradation_flags"] == {"persistence_failed": False, "llm_unavailable": False}
    assert "Postgres" in body["improved_prompt"] and "10M filas" in body["improved_prompt"]
    assert isinstance(body["id"], int)

    [row] = rows(db_path)
    assert row["id"] == body["id"]
    assert row["status"] == "ok" and row["mode"] == "nlac" and row["client"] == "api"
    assert json.loads(row["guardrails"]) == body["guardrails"]
    assert row["request_id"] == r.headers["x-request-id"]
    assert row["latency_ms"] >= 0 and row["created_at"].endswith("Z")

    # The same row through Datasette, mounted on the same app.
    page = await client.get(f"/prompt_history/prompt_history/{body['id']}.json?_shape=objects")
    assert page.status_code == 200, page.text
    [shown] = page.json()["rows"]
    assert shown["improved_prompt"] == body["improved_prompt"]
    # Full-text search finds it by a word of the idea.
    found = await client.get("/prompt_history/prompt_history.json?_search=consulta&_shape=array")
    assert [item["id"] for item in found.json()] == [body["id"]]
    # Accents folded: "canción" is found as "cancion" and "CANCIÓN", and the other way round.
    song = await client.post(
        "/api/v1/improve-prompt",
        json={"idea": "Escribe una canción para el cumpleaños de mi abuela", "mode": "nlac"},
    )
    for word in ("cancion", "CANCIÓN", "canción", "cumpleanos"):
        found = await client.get(
            "/prompt_history/prompt_history.json", params={"_search": word, "_shape": "array"}
        )
        assert [item["id"] for item in found.json()] == [song.json()["id"]], word


async def test_legacy_mode_uses_dspy_and_records_model_fields(client, db_path):
    r = await client.post("/api/v1/improve-prompt", json={"idea": "Design a REST API for users"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["backend"] == "zero-shot"
    assert body["framework"] == "chain-of-thought"  # normalised from "Chain-of-Thought"
    assert body["guardrails"] == ["Use HTTP semantics", "Version the API", "Document every error"]
    assert body["confidence"] == 0.82
    assert body["reasoning"].startswith("The idea asks")
    [row] = rows(db_path)
    assert row["framework_raw"] == "Chain-of-Thought"
    assert row["mode"] == "legacy" and row["backend"] == "zero-shot" and row["model"] == "dummy"


async def test_request_id_is_echoed_or_generated(client, db_path):
    r = await client.post(
        "/api/v1/improve-prompt",
        headers={"X-Request-ID": "abc-123"},
        json={"idea": "Write a haiku about SQLite", "mode": "nlac"},
    )
    assert r.headers["x-request-id"] == "abc-123"
    bad = await client.post(
        "/api/v1/improve-prompt",
        headers={"X-Request-ID": "no spaces!"},
        json={"idea": "Write a haiku about SQLite", "mode": "nlac"},
    )
    generated = bad.headers["x-request-id"]
    assert generated != "no spaces!" and re.fullmatch(r"[A-Za-z0-9-]{1,36}", generated)
    assert [row["request_id"] for row in rows(db_path)] == ["abc-123", generated]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "idea"),
        ({"idea": "   hi   "}, "idea"),
        ({"idea": 42}, "idea"),
        ({"idea": "Design an API", "context": "x" * 5001}, "context"),
        ({"idea": "x" * 20_001}, "idea"),
        ({"idea": "x" * 25_000}, "idea"),
        ({"idea": "Design an API", "mode": "fast"}, "mode"),
        ({"idea": "Design an API", "context": None}, "context"),
    ],
)
async def test_invalid_fields_are_400_naming_the_field(client, db_path, body, field):
    r = await client.post("/api/v1/improve-prompt", json=body)
    assert r.status_code == 400
    assert r.json()["detail"].startswith(field), r.json()
    assert rows(db_path) == []


async def test_the_longest_allowed_fields_are_accepted(client, db_path):
    """The limits are exact: 20,000 characters of idea and 5,000 of context pass."""
    body = {"idea": "Plan a trip " + "y" * (20_000 - 12), "context": "c" * 5000, "mode": "nlac"}
    r = await client.post("/api/v1/improve-prompt", json=body)
    assert r.status_code == 200, r.text[:300]
    [row] = rows(db_path)
    assert len(row["original_idea"]) == 20_000 and len(row["context"]) == 5000


@pytest.mark.parametrize(
    ("content", "status", "phrase"),
    [
        (b'{"idea": "Design an API"', 400, "malformed JSON"),
        (b"", 400, "empty"),
        (b'["Design an API"]', 400, "JSON object"),
        (b'{"idea": "caf\xe9 latte please"}', 400, "UTF-8"),
        (b'{"idea": "' + b"x" * (1024 * 1024) + b'"}', 413, "limit"),
    ],
)
async def test_bad_bodies_get_json_errors(client, content, status, phrase):
    r = await client.post(
        "/api/v1/improve-prompt", content=content, headers={"content-type": "application/json"}
    )
    assert r.status_code == status
    assert phrase in r.json()["detail"]


async def test_api_misses_never_reach_datasette(client):
    for method, path, status in [
        ("GET", "/api/v1/nope", 404),
        ("POST", "/api/v1/nope", 404),
        ("GET", "/api", 404),
        ("POST", "/api/v1/improve-prompt/", 404),
        ("GET", "/api/v1/improve-prompt", 405),
        ("DELETE", "/api/v1/history", 405),
        ("POST", "/api/", 404),
    ]:
        r = await client.request(method, path, json={"idea": "Design an API"})
        assert r.status_code == status, (method, path, r.status_code)
        assert r.headers["content-type"] == "application/json", (method, path)
        assert "detail" in r.json()


async def test_health_reports_what_the_extension_and_operator_need(client):
    await client.post("/api/v1/improve-prompt", json={"idea": "Plan a sprint", "mode": "nlac"})
    body = (await client.get("/health")).json()
    assert body["status"] == "healthy"
    assert body["dspy_configured"] is True
    assert body["provider"] == "ollama" and body["model"]
    assert body["database"]["rows"] == 1
    assert body["database"]["queue_depth"] == 0
    assert body["database"]["last_error"] is None


async def test_history_single_and_batch(client, db_path):
    # Within the retention window (older rows are refused, see test_security.py).
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    one = await client.post(
        "/api/v1/history",
        json={
            "original_idea": "Resume este artículo",
            "improved_prompt": "Role: editor...",
            "framework": "CoT",
            "guardrails": ["short"],
            "model": "llama3.1",
            "client": "raycast",
            "latency_ms": 812.5,
            "created_at": f"{yesterday}T03:04:05+01:00",
        },
    )
    assert one.status_code == 201, one.text
    batch = await client.post(
        "/api/v1/history",
        json=[{"original_idea": f"idea {i}", "improved_prompt": f"prompt {i}"} for i in range(3)],
    )
    assert batch.status_code == 201
    ids = one.json()["ids"] + batch.json()["ids"]
    assert ids == [1, 2, 3, 4]
    stored = rows(db_path)
    assert stored[0]["framework"] == "chain-of-thought" and stored[0]["framework_raw"] == "CoT"
    assert stored[0]["created_at"] == f"{yesterday}T02:04:05.000Z"
    assert stored[0]["client"] == "raycast" and stored[1]["client"] == "api"


@pytest.mark.parametrize(
    ("headers", "client_name"),
    [
        ({"user-agent": "node"}, "raycast"),  # the extension's fetch: no X-Client
        ({"user-agent": "node/22.3.0"}, "raycast"),
        ({"user-agent": "Raycast/1.80 (macOS)"}, "raycast"),
        ({"user-agent": "node", "x-client": "my-script"}, "my-script"),  # X-Client wins
        ({"user-agent": "curl/8.5.0"}, "api"),
        ({"user-agent": "nodejs-crawler/2"}, "api"),
        ({"user-agent": "python-httpx/0.27"}, "api"),
    ],
)
async def test_client_is_read_from_x_client_then_the_user_agent(
    client, db_path, headers, client_name
):
    r = await client.post(
        "/api/v1/improve-prompt", json={"idea": "Plan a sprint", "mode": "nlac"}, headers=headers
    )
    h = await client.post(
        "/api/v1/history",
        json={"original_idea": "Plan a sprint", "improved_prompt": "Role: a planner"},
        headers=headers,
    )
    assert r.status_code == 200 and h.status_code == 201
    stored = rows(db_path)
    assert [row["client"] for row in stored] == [client_name, client_name]
    assert [row["user_agent"] for row in stored] == [headers["user-agent"]] * 2


async def test_a_long_user_agent_is_cut_to_200_characters(client, db_path):
    agent = "Mozilla/5.0 " + "x" * 500
    r = await client.post(
        "/api/v1/improve-prompt",
        json={"idea": "Plan a sprint", "mode": "nlac"},
        headers={"user-agent": agent},
    )
    assert r.status_code == 200
    assert rows(db_path)[0]["user_agent"] == agent[:200]
    assert rows(db_path)[0]["client"] == "api"


async def test_get_root_as_json_describes_the_service(client):
    r = await client.get("/", headers={"accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"message", "version", "endpoints"}
    assert body["endpoints"]["improve"] == "POST /api/v1/improve-prompt"
    # A browser still gets Datasette's home page.
    page = await client.get("/", headers={"accept": "text/html,application/json;q=0.9"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        (
            [
                {"original_idea": "a", "improved_prompt": "b"},
                {"original_idea": "a", "improved_prompt": "b", "confidence": 1.5},
            ],
            "records[1].confidence",
        ),
        (
            [{"original_idea": "a", "improved_prompt": "b"}, {"original_idea": "a"}],
            "records[1].improved_prompt",
        ),
        ({"original_idea": "a", "improved_prompt": "b", "promt": "typo"}, "promt: unknown field"),
        ({"original_idea": "a", "improved_prompt": "b", "latency_ms": -1}, "latency_ms"),
        ({"original_idea": "a", "improved_prompt": "b", "request_id": "bad id"}, "request_id"),
        ([], "empty"),
        ([{"original_idea": "a", "improved_prompt": "b"}] * 1001, "at most 1000"),
        ("just a string", "JSON object"),
    ],
)
async def test_invalid_history_stores_nothing(client, db_path, body, phrase):
    r = await client.post("/api/v1/history", json=body)
    assert r.status_code == 400
    assert phrase in r.json()["detail"]
    assert rows(db_path) == []


async def test_openapi_document_lists_the_write_endpoints(client):
    doc = (await client.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/improve-prompt", "/api/v1/history", "/health"} <= doc["paths"].keys()
    schemas = doc["components"]["schemas"]
    improve = schemas["ImproveRequest"]
    assert improve["required"] == ["idea"]
    assert improve["properties"]["idea"]["maxLength"] == 20_000
    assert improve["properties"]["context"]["maxLength"] == 5000
    assert improve["properties"]["mode"]["enum"] == ["legacy", "nlac"]
    record = schemas["HistoryRecord"]
    assert set(record["required"]) == {"original_idea", "improved_prompt"}
    assert record["additionalProperties"] is False  # unknown fields are refused
    assert record["properties"]["confidence"]["anyOf"][0]["maximum"] == 1
    # The documented statuses, each with the {"detail"} error schema.
    # 403 (a foreign Origin) and 415 (not JSON) come from the guard; 507 is the database cap.
    codes = {
        ("/api/v1/improve-prompt", "200", "400", "403", "413", "415", "502", "503", "504"),
        ("/api/v1/history", "201", "400", "403", "409", "413", "415", "503", "507"),
        (
            "/api/v1/history/{id}/feedback",
            "201",
            "400",
            "403",
            "404",
            "409",
            "413",
            "415",
            "503",
            "507",
        ),
    }
    for path, *statuses in codes:
        responses = doc["paths"][path]["post"]["responses"]
        assert set(responses) == set(statuses), path
        for status in statuses[1:]:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error"
    # Every reference resolves.
    text = json.dumps(doc)
    for name in re.findall(r'"#/components/schemas/([^"]+)"', text):
        assert name in schemas, name
    # The schema and the validator agree: a record with every documented field is accepted.
    full = {"original_idea": "idea", "improved_prompt": "prompt", "confidence": 1, "guardrails": []}
    assert set(full) <= record["properties"].keys()
    assert (await client.post("/api/v1/history", json=full)).status_code == 201


async def test_recording_off_still_answers(db_path):
    settings = Settings(_env_file=None, sqlite_db_path=db_path, sqlite_enabled=False)
    async with running(create_app(settings, lm=dummy_lm(), with_datasette=False)) as c:
        r = await c.post("/api/v1/improve-prompt", json={"idea": "Plan a sprint", "mode": "nlac"})
        assert r.status_code == 200
        assert r.json()["id"] is None
        assert r.json()["degradation_flags"]["persistence_failed"] is False
        assert (await c.get("/health")).json()["database"]["enabled"] is False
    assert not db_path.exists()


async def test_write_failure_answers_200_with_persistence_failed(db_path):
    """A lock held past the busy timeout: the person still gets the prompt, flagged."""
    settings = Settings(_env_file=None, sqlite_db_path=db_path, sqlite_busy_timeout_ms=50)
    async with running(create_app(settings, lm=dummy_lm(), with_datasette=False)) as c:
        blocker = sqlite_utils.Database(db_path)
        blocker.execute("BEGIN EXCLUSIVE")
        r = await c.post("/api/v1/improve-prompt", json={"idea": "Plan a sprint", "mode": "nlac"})
        blocker.execute("ROLLBACK")
        assert r.status_code == 200
        assert r.json()["id"] is None
        assert r.json()["degradation_flags"]["persistence_failed"] is True
        health = (await c.get("/health")).json()
        assert "locked" in health["database"]["last_error"]
        # Once the lock is gone, writes work again.
        again = await c.post(
            "/api/v1/improve-prompt", json={"idea": "Plan a sprint", "mode": "nlac"}
        )
        assert isinstance(again.json()["id"], int)


async def test_unknown_api_routes_answer_json_404_naming_the_path(client):
    for path in ("/api/v1/nope", "/api/v2/improve-prompt", "/api"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.json() == {"detail": f"{path}: no such API route; see /api/v1/openapi.json"}
