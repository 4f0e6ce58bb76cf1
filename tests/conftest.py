"""Shared fixtures: real SQLite files in tmp dirs, the real app, real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.fake_llm import fake_llm_app
from writer.app import create_app
from writer.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# The project's own trainset (written for this project): required, never skipped.
TRAINSET = ROOT / "data" / "trainset.json"
# The external seed dataset: only for the optional extra checks that run when it is there.
SHARED_SEED = ROOT.parent / "shared" / "datasets" / "seed-fewshot-train.json"

# Nothing in the tests may reach a real provider or the internet.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
for key in (
    "LLM_PROVIDER",
    "LLM_MODEL",
    "LLM_BASE_URL",
    "LLM_API_KEY",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "DEEPSEEK_API_KEY",
    "SQLITE_DB_PATH",
):
    os.environ.pop(key, None)
# A models/improver.json in the checkout must not turn the tests' improver into few-shot.
os.environ["DSPY_COMPILED_PATH"] = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dummy_answer(**overrides: object) -> dict:
    answer = {
        "reasoning": "The idea asks for an API design; decomposition fits.",
        "improved_prompt": "Role: You are an API architect.\n\nDirective: Design the API.\n\n"
        "Framework: Decomposition.\n\nGuardrails:\n- Use HTTP semantics.",
        "role": "You are an API architect.",
        "directive": "Design the API.",
        "framework": "Chain-of-Thought",
        "guardrails": ["Use HTTP semantics", "Version the API", "Document every error"],
        "confidence": 0.82,
    }
    answer.update(overrides)
    return answer


def dummy_lm(n: int = 50, **overrides: object):
    from dspy.utils.dummies import DummyLM

    return DummyLM([dummy_answer(**overrides) for _ in range(n)])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.db"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(_env_file=None, sqlite_db_path=db_path)


@asynccontextmanager
async def running(app) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (migrations, writer thread, Datasette) and a client on it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings, lm=dummy_lm())) as c:
        yield c


class ThreadServer:
    """uvicorn serving an ASGI app from a thread on 127.0.0.1."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[ThreadServer]:
    """An OpenAI-compatible server: /ok, /slow, /garbage, /error, /ratelimit before /v1."""
    with ThreadServer(fake_llm_app()) as server:
        yield server


class ServeProcess:
    """`prompt-improver serve` in its own process, as a person starts it."""

    def __init__(self, db: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.db = db
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServeProcess:
        self.log = open(self.db.with_suffix(".log"), "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "writer.cli",
                "serve",
                "--port",
                str(self.port),
                "--db",
                str(self.db),
                "--log-level",
                "warning",
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited: {self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"serve did not become healthy: {self.output()}")

    def output(self) -> str:
        return self.db.with_suffix(".log").read_text(errors="replace")

    def interrupt(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def serve(db_path: Path) -> Iterator[callable]:
    started: list[ServeProcess] = []

    def start(**env: str) -> ServeProcess:
        process = ServeProcess(db_path, env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def trainset_examples() -> list[dict]:
    """data/trainset.json: part of the repository, so a missing file is a failure, not a skip."""
    assert TRAINSET.is_file(), f"{TRAINSET} is missing; it is part of the repository"
    return json.loads(TRAINSET.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def shared_seed_examples() -> list[dict]:
    """The external dataset in ../shared: an optional extra, skipped (and said so) without it."""
    if not SHARED_SEED.exists():
        pytest.skip(f"optional extra: {SHARED_SEED} is not there (not part of this repository)")
    return json.loads(SHARED_SEED.read_text(encoding="utf-8"))
