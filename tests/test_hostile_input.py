"""Hostile input on every write endpoint: a 4xx with a JSON detail (or 200/201 when valid),
never a 500, never a hung worker, and the database stays consistent."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ServeProcess, ThreadServer
from writer.app import create_app
from writer.settings import Settings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
# Text with what breaks naive code: NUL, lone surrogates, RTL marks, emoji, combining marks.
nasty_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=300
) | st.sampled_from(
    [
        "\x00\x00\x00\x00\x00",
        "\ud800 lone surrogate",
        "\u202eevil\u202c idea",
        "💥" * 50,
        "e\u0301" * 40,
        " " * 10,
        "x" * 25_000,
    ]
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "idea": nasty_text | json_values,
        "context": nasty_text | json_values,
        "mode": st.sampled_from(["legacy", "nlac", "NLAC", "", None, 1]) | nasty_text,
        "extra": json_values,
    },
)
record = st.fixed_dictionaries(
    {},
    optional={
        "original_idea": nasty_text | json_values,
        "improved_prompt": nasty_text | json_values,
        "confidence": json_values | st.floats(),
        "latency_ms": json_values | st.floats(),
        "guardrails": json_values | st.lists(nasty_text, max_size=60),
        "created_at": nasty_text | st.sampled_from(["2026-01-01T00:00:00Z", "yesterday"]),
        "prompt_tokens": st.integers() | json_values,
        "typo_field": json_values,
    },
)
feedback_body = st.fixed_dictionaries(
    {},
    optional={
        "outcome": st.sampled_from(["accepted", "edited", "rejected", "Accepted", ""])
        | json_values,
        "final_prompt": nasty_text | json_values,
        "rating": st.integers(-3, 9) | json_values,
        "comment": nasty_text | json_values,
        "extra": json_values,
    },
)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("hostile") / "history.db"
    settings_ = Settings(
        _env_file=None,
        sqlite_db_path=db_path,
        sqlite_retention_days=0,
        llm_base_url="http://127.0.0.1:9",
        llm_max_retries=0,
    )
    with ThreadServer(create_app(settings_, with_datasette=False)) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            client.accepted = 0
            client.feedback = 0
            yield client
            # Every accepted write is in the database, once; nothing else is.
            assert client.get("/health").json()["database"]["queue_depth"] == 0
    db = sqlite_utils.Database(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db["prompt_history"].count == client.accepted
    assert db["feedback"].count == client.feedback


def post(client: httpx.Client, path: str, body: object) -> httpx.Response:
    # ASCII-escaped, so lone surrogates travel as \\ud800 like any JSON client would send them.
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def check(response: httpx.Response, ok: int) -> None:
    assert response.status_code in (ok, 400, 413), (response.status_code, response.text[:300])
    body = response.json()
    if response.status_code != ok:
        assert isinstance(body["detail"], str) and body["detail"]


fuzz = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@fuzz
@given(body=fields)
def test_improve_prompt_fuzz(api, body):
    response = post(api, "/api/v1/improve-prompt", body)
    check(response, 200)
    if response.status_code == 200:
        api.accepted += 1
        assert response.json()["improved_prompt"]


@fuzz
@given(records=st.lists(record, min_size=1, max_size=4) | record)
def test_history_fuzz(api, records):
    response = post(api, "/api/v1/history", records)
    check(response, 201)
    if response.status_code == 201:
        api.accepted += response.json()["count"]


@fuzz
@given(raw=st.binary(max_size=2000))
def test_raw_bytes(api, raw):
    for path in ("/api/v1/improve-prompt", "/api/v1/history"):
        response = api.post(path, content=raw, headers={"content-type": "application/json"})
        assert response.status_code in (200, 201, 400), response.text[:300]
        if response.status_code in (200, 201):
            api.accepted += response.json().get("count", 1)


@fuzz
@given(
    body=feedback_body | json_values,
    row=st.integers(-2, 3) | st.text("0123456789abc-_.~%", max_size=8),
)
def test_feedback_fuzz(api, body, row):
    response = post(api, f"/api/v1/history/{row}/feedback", body)
    assert response.status_code in (201, 400, 404, 409), response.text[:300]
    assert response.json()["detail" if response.status_code != 201 else "outcome"]
    if response.status_code == 201:
        api.feedback += 1


FIELD = {"/api/v1/improve-prompt": b'"idea"', "/api/v1/history": b'"original_idea"'}


@pytest.mark.parametrize("path", list(FIELD))
@pytest.mark.parametrize(
    ("content", "status", "phrase"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
        (b'{FIELD: "Design an API", FIELD: "Drop all tables"}', 400, "duplicate key"),
        (b'{FIELD: "Design\\u0000 an API", "improved_prompt": "p"}', 400, "NUL"),
        (b'{FIELD: "Design \\ud800 an API", "improved_prompt": "p"}', 400, "unicode"),
        (b'{FIELD: "' + b"a" * (10 * 1024 * 1024) + b'"}', 413, "limit"),
        (b"\xff\xfe{}", 400, "UTF-8"),
        (b"NaN", 400, "JSON object"),
    ],
)
def test_named_hostile_bodies(api, path, content, status, phrase):
    content = content.replace(b"FIELD", FIELD[path])
    response = api.post(path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text[:200]
    assert phrase.lower() in response.json()["detail"].lower()


def test_chunked_body_over_the_limit(api):
    def chunks():
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    response = api.post(
        "/api/v1/history", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_extra_fields(api):
    improve = api.post(
        "/api/v1/improve-prompt",
        json={"idea": "Design an API", "mode": "nlac", "source": "raycast"},
    )
    assert improve.status_code == 200  # the extension may send more than we read
    api.accepted += 1
    history = api.post(
        "/api/v1/history", json={"original_idea": "a", "improved_prompt": "b", "source": "x"}
    )
    assert history.status_code == 400 and "source: unknown field" in history.json()["detail"]


def test_slow_drip_body_gets_408_and_does_not_hold_the_server(db_path):
    server = ServeProcess(db_path, {"BODY_TIMEOUT_S": "1", "SQLITE_RETENTION_DAYS": "0"}).start()
    try:
        body = json.dumps({"idea": "Design an API for users", "mode": "nlac"}).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                b"POST /api/v1/improve-prompt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            )
            started = time.monotonic()
            for byte in body[:5]:
                sock.sendall(bytes([byte]))
                # Meanwhile other clients are served at once.
                quick = httpx.post(
                    f"{server.url}/api/v1/improve-prompt",
                    json={"idea": "Plan a sprint", "mode": "nlac"},
                    timeout=5,
                )
                assert quick.status_code == 200
                time.sleep(0.3)
            answer = sock.recv(4096).decode()
            assert time.monotonic() - started < 5
        assert answer.startswith("HTTP/1.1 408")
        assert "not received within 1 s" in answer
    finally:
        server.stop()
