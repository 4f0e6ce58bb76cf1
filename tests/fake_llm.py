"""A fake OpenAI-compatible chat server for tests, started on 127.0.0.1.

The first path segment picks the behaviour: /ok/v1, /slow/v1 (hangs for 30 s, like a stuck
model), /garbage/v1, /error/v1, /ratelimit/v1. Every behaviour lists gpt-4o-mini at
/{behaviour}/v1/models; /ollama/api/tags and /ollama-empty/api/tags answer like Ollama with
and without llama3.1 (what the readiness probe asks). `ok` answers in DSPy's chat format
with usage, so the real litellm path, token counts and cost are exercised end to end; asked
as the eval judge, it grades 4.
"""

from __future__ import annotations

import asyncio
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

OK_CONTENT = """[[ ## reasoning ## ]]
The idea is about an API; decomposition keeps the design reviewable.

[[ ## improved_prompt ## ]]
Role: You are a senior API architect.

Directive: Design a REST API for user management with endpoints, auth and errors.

Framework: Decomposition.

Guardrails:
- Follow HTTP semantics.
- Never expose secrets.
- Version the API.

[[ ## role ## ]]
You are a senior API architect.

[[ ## directive ## ]]
Design a REST API for user management with endpoints, auth and errors.

[[ ## framework ## ]]
Tree of Thoughts

[[ ## guardrails ## ]]
["Follow HTTP semantics", "Never expose secrets", "Version the API"]

[[ ## confidence ## ]]
0.9

[[ ## completed ## ]]"""


JUDGE_CONTENT = """[[ ## reasoning ## ]]
Specific and structured.

[[ ## score ## ]]
4

[[ ## rationale ## ]]
A clear role and directive; the guardrails are concrete.

[[ ## completed ## ]]"""


def _completion(content: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 321, "completion_tokens": 123, "total_tokens": 444},
    }


def fake_llm_app() -> Starlette:
    calls: dict[str, int] = {}

    async def chat(request: Request) -> JSONResponse:
        behaviour = request.path_params["behaviour"]
        calls[behaviour] = calls.get(behaviour, 0) + 1
        body = await request.body()
        if behaviour == "slow":
            await asyncio.sleep(30)
        if behaviour == "garbage":
            return JSONResponse(_completion("I am not following any format, sorry."))
        if behaviour == "error":
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, 500)
        if behaviour == "ratelimit":
            return JSONResponse({"error": {"message": "slow down", "type": "rate_limit"}}, 429)
        if b"[[ ## rationale ## ]]" in body:  # the judge's signature
            return JSONResponse(_completion(JUDGE_CONTENT))
        return JSONResponse(_completion(OK_CONTENT))

    async def count(request: Request) -> JSONResponse:
        return JSONResponse(calls)

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "gpt-4o-mini"}]})

    async def tags(request: Request) -> JSONResponse:
        pulled = [] if request.path_params["behaviour"].endswith("empty") else ["llama3.1:latest"]
        return JSONResponse({"models": [{"name": n, "model": n} for n in pulled]})

    app = Starlette(
        routes=[
            Route("/{behaviour}/v1/chat/completions", chat, methods=["POST"]),
            Route("/{behaviour}/v1/models", models),
            Route("/{behaviour}/api/tags", tags),
            Route("/calls", count),
        ]
    )
    return app
