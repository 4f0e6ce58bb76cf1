"""What keeps `serve` light and fast (issue 11): the LLM stack loads only when an LLM is there,
litellm's log filters stay off the server's loggers, the runtime package holds no benchmark
code, and a fresh database's schema is built quickly."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlite_utils

from tests.conftest import ROOT
from writer import rollups

# A port nothing listens on: the probe finds no LLM at once.
NO_LLM = "http://127.0.0.1:9"


def _rss_peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return kb / 1024


def test_offline_serve_never_loads_dspy_or_litellm(serve):
    """No LLM: legacy and nlac requests are answered offline, dspy/litellm are never imported
    and the server stays small."""
    server = serve(LLM_PROVIDER="ollama", LLM_BASE_URL=NO_LLM)
    for mode in ("nlac", "legacy"):
        r = httpx.post(
            f"{server.url}/api/v1/improve-prompt",
            json={"idea": "Plan a database migration for the billing service", "mode": mode},
            timeout=30,
        )
        assert r.status_code == 200, r.text
    r = httpx.post(
        f"{server.url}/api/v1/history",
        json={"original_idea": "x", "improved_prompt": "y"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    time.sleep(1.5)  # the background warm-ups have run
    health = httpx.get(f"{server.url}/health").json()
    assert health["llm"]["reachable"] is False
    assert health["dspy_loaded"] is False
    # dspy and litellm alone would add ~170 MB. Issue 11's target is 120 MB; the peak after
    # these requests measured 97-120 MB (docs/performance.md), so the bound has some room.
    assert _rss_peak_mb(server.proc.pid) <= 140


def test_dspy_loads_in_the_background_once_the_probe_reaches_the_llm(serve, fake_llm):
    server = serve(LLM_PROVIDER="ollama", LLM_BASE_URL=f"{fake_llm.url}/ollama")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        health = httpx.get(f"{server.url}/health").json()
        if health["dspy_loaded"]:
            break
        time.sleep(0.2)
    assert health["llm"]["reachable"] is True
    assert health["dspy_loaded"] is True


def test_litellm_filters_are_detached_from_the_server_loggers():
    """litellm adds its secret-redaction filters to uvicorn's loggers at import; they ran on
    every access-log line. After the improver's warm-up, only litellm's own loggers keep them."""
    from writer import improver

    improver.warm_up()
    for name in ("uvicorn.access", "uvicorn.error", "asyncio"):
        modules = [type(f).__module__ for f in logging.getLogger(name).filters]
        assert not [m for m in modules if m.startswith("litellm")], (name, modules)
    # litellm's own logger is left as litellm set it up.
    litellm_logger = logging.getLogger("LiteLLM")
    assert any(
        type(f).__module__.startswith("litellm") for h in litellm_logger.handlers for f in h.filters
    )


def test_runtime_modules_do_not_import_the_benchmark():
    code = (
        "import sys, writer.cli, writer.app, writer.api, writer.storage;"
        "bench = sorted(m for m in sys.modules if m.startswith('writer.bench'));"
        "heavy = sorted(m for m in ('dspy', 'litellm') if m in sys.modules);"
        "print(bench, heavy); sys.exit(1 if bench or heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _imports(path: Path) -> set[str]:
    """Modules a file imports at run time (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_improver_and_programs_do_not_import_each_other():
    improver_imports = _imports(ROOT / "writer" / "improver.py")
    programs_imports = _imports(ROOT / "writer" / "programs.py")
    assert "writer.programs" not in improver_imports
    assert "writer.improver" not in programs_imports
    assert "writer.dspy_module" in programs_imports


def test_run_script_matches_sqlite_utils_and_keeps_the_transaction(tmp_path):
    """The rollup schema built statement by statement, inside the open transaction, is the
    schema sqlite-utils' own (quadratic) splitter builds."""
    script = (
        rollups.CREATE
        + "\nCREATE TABLE semi (note TEXT DEFAULT 'a;b');"
        + "\nCREATE TRIGGER semi_ai AFTER INSERT ON semi BEGIN"
        + " UPDATE semi SET note = 'x;y' WHERE rowid = new.rowid; END;"
    )

    def schema(db: sqlite_utils.Database) -> list[tuple]:
        return db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()

    ours = sqlite_utils.Database(tmp_path / "ours.db")
    ours.conn.execute("BEGIN")
    rollups.run_script(ours, script)
    assert ours.conn.in_transaction  # nothing committed behind the migration's back
    ours.conn.execute("ROLLBACK")
    assert schema(ours) == []
    ours.conn.execute("BEGIN")
    rollups.run_script(ours, script)
    ours.conn.execute("COMMIT")
    theirs = sqlite_utils.Database(tmp_path / "theirs.db")
    theirs.conn.execute("BEGIN")
    theirs.executescript(script)
    theirs.conn.execute("COMMIT")
    assert schema(ours) == schema(theirs) and len(schema(ours)) > 3
