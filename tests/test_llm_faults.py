"""Mode `legacy` through the real dspy + litellm path, against a fake model server on loopback."""

from __future__ import annotations

import time

import pytest
import sqlite_utils

from tests.conftest import free_port, running
from writer.app import create_app
from writer.settings import Settings

pytestmark = pytest.mark.anyio
SECRET = "sk-test-never-store-this-0123456789"


def llm_settings(db_path, base_url: str, **overrides) -> Settings:
    values = dict(
        _env_file=None,
        sqlite_db_path=db_path,
        llm_provider="openai",
        llm_model="gpt-4o-mini",
        llm_base_url=base_url,
        openai_api_key=SECRET,
        # Generous: on a loaded 2-core machine litellm's first call alone took over 5 s. The
        # tests about timeouts set their own.
        llm_timeout_s=60,
        llm_max_retries=0,
    )
    values.update(overrides)
    return Settings(**values)


async def improve(settings: Settings):
    async with running(create_app(settings, with_datasette=False)) as client:
        response = await client.post(
            "/api/v1/improve-prompt", json={"idea": "Design a REST API for user management"}
        )
        health = (await client.get("/health")).json()
    row = next(sqlite_utils.Database(settings.sqlite_db_path)["prompt_history"].rows, None)
    return response, row, health


async def test_answer_from_llm_with_tokens_and_cost(db_path, fake_llm):
    r, row, health = await improve(llm_settings(db_path, f"{fake_llm.url}/ok/v1"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["backend"] == "zero-shot"
    assert body["framework"] == "tree-of-thoughts"  # "Tree of Thoughts" normalised
    assert body["guardrails"] == [
        "Follow HTTP semantics",
        "Never expose secrets",
        "Version the API",
    ]
    assert body["confidence"] == 0.9
    assert body["degradation_flags"]["llm_unavailable"] is False
    assert row["framework_raw"] == "Tree of Thoughts"
    assert row["provider"] == "openai" and row["model"] == "gpt-4o-mini"
    assert (row["prompt_tokens"], row["completion_tokens"]) == (321, 123)
    assert row["cost_usd"] > 0  # from litellm's local price map
    # The API key is never returned, logged in the row, or shown by /health.
    assert SECRET not in r.text and SECRET not in str(row) and SECRET not in str(health)


@pytest.mark.parametrize(
    ("behaviour", "status", "kind"),
    [
        ("closed-port", 503, "unavailable"),
        ("error", 503, "unavailable"),
        ("ratelimit", 503, "unavailable"),
        ("garbage", 502, "unusable"),
        ("slow", 504, "timeout"),
    ],
)
async def test_llm_failures_give_the_right_status_and_an_error_row(
    db_path, fake_llm, behaviour, status, kind
):
    base = (
        f"http://127.0.0.1:{free_port()}/v1"
        if behaviour == "closed-port"
        else f"{fake_llm.url}/{behaviour}/v1"
    )
    settings = llm_settings(db_path, base, llm_fallback="none", llm_timeout_s=1.5)
    started = time.monotonic()
    r, row, _ = await improve(settings)
    assert r.status_code == status, r.text
    assert r.json()["detail"].startswith(f"LLM {kind}")
    assert "What to do" in r.json()["detail"]
    assert time.monotonic() - started < 10  # the timeout is honoured
    assert row["status"] == "error" and row["error"].startswith(f"LLM {kind}")
    assert row["improved_prompt"] is None and row["latency_ms"] > 0
    assert row["model"] == "gpt-4o-mini"
    assert SECRET not in r.text and SECRET not in row["error"]


@pytest.mark.parametrize("behaviour", ["closed-port", "garbage", "slow"])
async def test_fallback_answers_offline_and_flags_it(db_path, fake_llm, behaviour):
    base = (
        f"http://127.0.0.1:{free_port()}/v1"
        if behaviour == "closed-port"
        else f"{fake_llm.url}/{behaviour}/v1"
    )
    r, row, _ = await improve(llm_settings(db_path, base, llm_timeout_s=1.5))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["backend"] == "nlac"
    assert body["degradation_flags"] == {"persistence_failed": False, "llm_unavailable": True}
    assert "REST API for user management" in body["improved_prompt"]
    assert row["status"] == "ok" and row["error"].startswith("fallback to nlac after LLM")
    assert row["id"] == body["id"]


async def test_a_slow_llm_does_not_block_other_requests(db_path, fake_llm):
    """While one legacy request waits on the LLM, nlac requests and /health are served."""
    import anyio

    settings = llm_settings(
        db_path, f"{fake_llm.url}/slow/v1", llm_fallback="none", llm_timeout_s=3
    )
    async with running(create_app(settings, with_datasette=False)) as client:
        fast: list[float] = []

        async def slow_call():
            await client.post("/api/v1/improve-prompt", json={"idea": "Design a REST API"})

        async def fast_calls():
            await anyio.sleep(0.3)
            for _ in range(5):
                t = time.monotonic()
                r = await client.post(
                    "/api/v1/improve-prompt", json={"idea": "Plan a sprint", "mode": "nlac"}
                )
                assert r.status_code == 200
                fast.append(time.monotonic() - t)

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow_call)
            tg.start_soon(fast_calls)
    assert len(fast) == 5 and max(fast) < 1.0


async def test_an_unreachable_llm_is_skipped_for_a_while(db_path):
    settings = llm_settings(db_path, f"http://127.0.0.1:{free_port()}/v1", llm_max_retries=1)
    async with running(create_app(settings, with_datasette=False)) as client:
        timings = []
        for _ in range(3):
            started = time.monotonic()
            r = await client.post("/api/v1/improve-prompt", json={"idea": "Design an API"})
            timings.append(time.monotonic() - started)
            assert r.status_code == 200 and r.json()["degradation_flags"]["llm_unavailable"]
    # The first request paid for the retry; the next ones answered offline at once.
    assert timings[0] > 0.5 and max(timings[1:]) < 0.2
    errors = [row["error"] for row in sqlite_utils.Database(db_path)["prompt_history"].rows]
    assert "not retried for another" in errors[2]


async def test_rate_limits_are_retried_a_bounded_number_of_times(db_path, fake_llm):
    import httpx

    calls = httpx.get(f"{fake_llm.url}/calls").json().get("ratelimit", 0)
    settings = llm_settings(
        db_path,
        f"{fake_llm.url}/ratelimit/v1",
        llm_fallback="none",
        llm_max_retries=2,
        llm_timeout_s=30,
    )
    r, row, _ = await improve(settings)
    assert r.status_code == 503 and row["status"] == "error"
    assert httpx.get(f"{fake_llm.url}/calls").json()["ratelimit"] - calls == 3  # 1 + 2 retries
