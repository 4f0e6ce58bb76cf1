"""The loop: feedback -> export -> compile -> serve the program -> evaluate, all for real.

The project's trainset (data/trainset.json) goes in through the API, gets feedback, comes out as
a trainset, compiles (LabeledFewShot, no LLM), is served (DummyLM as the LLM: the demos must
reach it), and an evaluation run is stored and read back through Datasette.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time

import httpx
import pytest
from click.testing import CliRunner

from tests.conftest import SHARED_SEED, TRAINSET, dummy_lm, running
from writer import evaluate, metrics, programs, trainset
from writer.app import create_app
from writer.cli import cli
from writer.improver import FRAMEWORKS, LegacyImprover
from writer.migrations import open_writer
from writer.settings import Settings

pytestmark = pytest.mark.anyio


def history_record(example: dict) -> dict:
    """A trainset example as the extension would POST it to /api/v1/history."""
    out = example["outputs"]
    return {
        "original_idea": example["inputs"]["original_idea"],
        "context": example["inputs"]["context"],
        "improved_prompt": out["improved_prompt"],
        "role": out["role"],
        "directive": out["directive"],
        "framework": out["framework"],
        "guardrails": [g for g in out["guardrails"].splitlines() if g.strip()],
        "mode": "legacy",
        "backend": "zero-shot",
        "confidence": 0.8,
    }


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


async def seeded(client: httpx.AsyncClient, trainset_examples: list[dict]) -> list[int]:
    r = await client.post("/api/v1/history", json=[history_record(e) for e in trainset_examples])
    assert r.status_code == 201, r.text
    return r.json()["ids"]


async def test_feedback_is_validated_and_the_latest_counts(client, db_path, trainset_examples):
    (row_id,) = await seeded(client, trainset_examples[:1])
    url = f"/api/v1/history/{row_id}/feedback"
    bad = [
        ({"outcome": "loved"}, "outcome"),
        ({"outcome": "edited"}, "final_prompt: required"),
        ({"outcome": "edited", "final_prompt": "   "}, "final_prompt"),
        ({"outcome": "accepted", "final_prompt": "x"}, "final_prompt: only for outcome"),
        ({"outcome": "accepted", "rating": 6}, "rating"),
        ({"outcome": "accepted", "rating": "5"}, "rating"),
        ({"outcome": "accepted", "ratin": 5}, "ratin: unknown field"),
        ({"outcome": "accepted", "comment": "a\x00b"}, "comment"),
        ([], "body"),
    ]
    for body, field in bad:
        r = await client.post(url, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["detail"].startswith(field), (body, r.json())
    r = await client.post("/api/v1/history/999999/feedback", json={"outcome": "accepted"})
    assert r.status_code == 404 and r.json()["detail"] == "id: no history row 999999"
    r = await client.post("/api/v1/history/abc/feedback", json={"outcome": "accepted"})
    assert r.status_code == 400 and r.json()["detail"].startswith("id:")

    first = await client.post(url, json={"outcome": "rejected", "rating": 2})
    second = await client.post(
        url, json={"outcome": "edited", "final_prompt": "Role: mine", "rating": 4, "comment": "ok"}
    )
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] > first.json()["id"]
    latest = (await client.get("/prompt_history/latest_feedback.json?_shape=array")).json()
    assert [(f["history_id"], f["outcome"], f["final_prompt"]) for f in latest] == [
        (row_id, "edited", "Role: mine")
    ]
    assert len((await client.get("/prompt_history/feedback.json?_shape=array")).json()) == 2

    # A failed request has no prompt to rate.
    failed = await client.post(
        "/api/v1/history",
        json={"original_idea": "x idea", "improved_prompt": "-", "status": "error"},
    )
    r = await client.post(
        f"/api/v1/history/{failed.json()['ids'][0]}/feedback", json={"outcome": "accepted"}
    )
    assert r.status_code == 409 and "failed request" in r.json()["detail"]
    spec = (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/history/{id}/feedback" in spec["paths"]


def test_feedback_from_the_shell(db_path):
    invoke(
        "improve", "Escribe una función para validar emails", "--mode", "nlac", "--db", str(db_path)
    )
    row_id = 1
    out = invoke(
        "feedback", str(row_id), "--outcome", "accepted", "--rating", "5", "--db", str(db_path)
    )
    assert out.startswith("Feedback 1 on row") and "accepted" in out
    result = CliRunner().invoke(
        cli, ["feedback", "424242", "--outcome", "accepted", "--db", str(db_path)]
    )
    assert result.exit_code == 1 and "no history row 424242" in result.output
    result = CliRunner().invoke(
        cli, ["feedback", str(row_id), "--outcome", "edited", "--db", str(db_path)]
    )
    assert result.exit_code == 2 and "--final-prompt: required" in result.output


async def give_feedback(client, ids: list[int]) -> dict[int, str]:
    """accepted, edited (with a new text), rejected, and no feedback, in turn."""
    outcomes = {}
    for n, row_id in enumerate(ids):
        kind = ["accepted", "edited", "rejected", None][n % 4]
        if kind is None:
            continue
        body = {"outcome": kind}
        if kind == "edited":
            body["final_prompt"] = (
                f"Role: You are editor {n}.\n\nDirective: Do exactly what the idea {n} asks.\n\n"
                "Framework: chain of thought\n\nGuardrails:\n- One\n- Two\n- Three"
            )
        r = await client.post(f"/api/v1/history/{row_id}/feedback", json=body)
        assert r.status_code == 201, r.text
        outcomes[row_id] = kind
    return outcomes


async def test_exports_in_every_format(client, db_path, tmp_path, trainset_examples):
    ids = await seeded(client, trainset_examples)
    outcomes = await give_feedback(client, ids)
    rejected = sum(o == "rejected" for o in outcomes.values())

    out = tmp_path / "train.json"
    invoke("export", "--format", "dspy", "-o", str(out), "--db", str(db_path))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert len(exported) == len(ids) - rejected
    for record in exported:  # exactly the seed's shape
        assert set(record) == {"inputs", "outputs"}
        assert set(record["inputs"]) == set(trainset_examples[0]["inputs"])
        assert set(record["outputs"]) == set(trainset_examples[0]["outputs"])
        assert isinstance(record["outputs"]["guardrails"], str)
    edited = [r for r in exported if r["outputs"]["role"].startswith("You are editor")]
    assert len(edited) == sum(o == "edited" for o in outcomes.values())
    assert edited[0]["outputs"]["improved_prompt"].startswith("Role: You are editor")
    assert edited[0]["outputs"]["guardrails"] == "1. One\n2. Two\n3. Three"
    assert edited[0]["outputs"]["framework"] == "chain-of-thought"
    # Exported history and the seed trainset mix: same shape, same loader.
    mixed, report = trainset.load([out, TRAINSET])
    assert report.read == len(exported) + len(trainset_examples)
    # Every exported idea came from the trainset, so each trainset copy is a duplicate.
    assert len(report.dropped) == len(exported)
    assert all(d.reason.startswith("duplicate (of train.json") for d in report.dropped)
    assert len(mixed) == len(trainset_examples)

    only = tmp_path / "edited.json"
    invoke(
        "export", "--format", "dspy", "--outcome", "edited", "-o", str(only), "--db", str(db_path)
    )
    assert len(json.loads(only.read_text())) == len(edited)

    lines = tmp_path / "all.jsonl"
    invoke("export", "--format", "jsonl", "-o", str(lines), "--db", str(db_path))
    rows = [json.loads(line) for line in lines.read_text().splitlines()]
    assert len(rows) == len(ids)  # analysis formats keep rejected ones
    assert {r["outcome"] for r in rows} == {"accepted", "edited", "rejected", "none"}

    chat = tmp_path / "chat.jsonl"
    invoke(
        "export",
        "--format",
        "openai-chat",
        "--outcome",
        "accepted",
        "-o",
        str(chat),
        "--db",
        str(db_path),
    )
    messages = [json.loads(line)["messages"] for line in chat.read_text().splitlines()]
    assert len(messages) == sum(o == "accepted" for o in outcomes.values())
    assert [m["role"] for m in messages[0]] == ["system", "user", "assistant"]

    table = tmp_path / "all.csv"
    invoke(
        "export",
        "--format",
        "csv",
        "--min-confidence",
        "0.9",
        "-o",
        str(table),
        "--db",
        str(db_path),
    )
    assert table.read_text().splitlines()[0].startswith("id,created_at,mode")
    assert len(table.read_text().splitlines()) == 1  # every row has confidence 0.8

    none = tmp_path / "none.json"
    invoke(
        "export", "--format", "dspy", "--until", "2001-01-01", "-o", str(none), "--db", str(db_path)
    )
    assert json.loads(none.read_text()) == []
    result = CliRunner().invoke(
        cli, ["export", "--format", "csv", "--outcome", "kept", "-o", "x", "--db", str(db_path)]
    )
    assert result.exit_code == 2 and "--outcome" in result.output

    # Compiling straight from the history takes the same selection.
    program = tmp_path / "from-history.json"
    out = invoke(
        "compile",
        "--from-history",
        "--outcome",
        "accepted,edited",
        "-o",
        str(program),
        "--db",
        str(db_path),
    )
    kept = sum(o in ("accepted", "edited") for o in outcomes.values())
    assert f"{kept} records read, {kept} kept, 0 dropped." in out
    assert json.loads(programs.meta_path(program).read_text())["sources"] == ["history"]

    # Datasette shows the same selection.
    view = (await client.get("/prompt_history/trainset.json?_shape=array&_size=max")).json()
    assert len(view) == len(exported)


def test_broken_trainset_gets_a_report_and_the_rest_compiles(tmp_path, trainset_examples):
    broken = tmp_path / "broken.jsonl"
    before = TRAINSET.read_bytes()
    lines = [
        json.dumps(trainset_examples[0]),  # duplicate of the trainset's first
        json.dumps({"inputs": {"original_idea": ""}, "outputs": {}}),
        json.dumps({"question": "not the shape"}),
        json.dumps({"inputs": {"original_idea": "Un test"}, "outputs": {"improved_prompt": "x"}}),
        json.dumps(
            {
                "inputs": {"original_idea": "Haz un script de backup", "context": ""},
                "outputs": {
                    "improved_prompt": "Role: You are an SRE.\n\nDirective: Back up Postgres "
                    "nightly with rotation.\n\nFramework: Tree of Thoughts\n\nGuardrails:\n"
                    "- Keep 7 days\n- Log every run\n- Test a restore weekly",
                    "framework": "",
                },
            }
        ),
        "{not json",
    ]
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "models" / "improver.json"
    result = CliRunner().invoke(
        cli,
        [
            "compile",
            "--trainset",
            str(TRAINSET),
            "--trainset",
            str(broken),
            "-k",
            "4",
            "-o",
            str(output),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    text = result.output
    n = len(trainset_examples)
    assert f"{n + 6} records read, {n + 1} kept, 5 dropped." in text
    for reason in (
        "broken.jsonl #1: duplicate (of trainset.json #1)",
        "broken.jsonl #2: original_idea is empty",
        "broken.jsonl #3: not in the {inputs, outputs} shape",
        "broken.jsonl #4: improved_prompt is empty or shorter",
        "broken.jsonl #6: line 6 is not valid JSON",
        "role taken from the prompt's section (1)",
    ):
        assert reason in text, reason
    meta = json.loads(programs.meta_path(output).read_text())
    assert meta["optimizer"] == "labeled" and meta["k"] == 4 and meta["demos"] == 4
    assert meta["trainset_size"] == n + 1 and meta["dropped"] == 5
    assert meta["program_sha256"] == programs.file_sha256(output)
    examples, _ = trainset.load([TRAINSET, broken])
    assert meta["trainset_sha256"] == trainset.digest(examples)
    loaded = programs.load(output)
    demos = loaded.module.predictors()[0].demos
    assert len(demos) == 4 and all(d["framework"] in FRAMEWORKS for d in demos)
    assert TRAINSET.read_bytes() == before  # compiling never rewrites its input


def test_shared_seed_dataset_mixes_with_ours(shared_seed_examples, trainset_examples, tmp_path):
    """Optional extra, run only when ../shared is there: the external seed dataset loads with
    the same loader, none of its records is dropped, and it compiles together with ours."""
    examples, report = trainset.load([SHARED_SEED, TRAINSET])
    assert report.read == len(shared_seed_examples) + len(trainset_examples)
    assert report.dropped == [] and len(examples) == report.read
    out = invoke(
        "compile",
        "--trainset",
        str(SHARED_SEED),
        "--trainset",
        str(TRAINSET),
        "-o",
        str(tmp_path / "mixed.json"),
    )
    assert f"{report.read} records read, {report.read} kept, 0 dropped." in out


async def test_the_whole_loop(tmp_path, trainset_examples):
    db = tmp_path / "history.db"
    program_path = tmp_path / "models" / "improver.json"
    settings = Settings(_env_file=None, sqlite_db_path=db, dspy_compiled_path=program_path)
    lm = dummy_lm(200)
    app = create_app(settings, lm=lm)
    async with running(app) as client:
        # No program yet: zero-shot.
        r = await client.post("/api/v1/improve-prompt", json={"idea": "Escribe un hook de React"})
        assert r.json()["backend"] == "zero-shot"
        ids = await seeded(client, trainset_examples)
        await give_feedback(client, ids)
        train = tmp_path / "train.json"
        invoke("export", "--format", "dspy", "-o", str(train), "--db", str(db))
        out = invoke(
            "compile",
            "--trainset",
            str(train),
            "--optimizer",
            "labeled",
            "-k",
            "3",
            "-o",
            str(program_path),
        )
        program_hash = programs.file_sha256(program_path)[:12]
        assert f"program hash {program_hash}" in out

        # The running server picks the file up on the next request.
        r = await client.post("/api/v1/improve-prompt", json={"idea": "Documenta una API REST"})
        body = r.json()
        assert r.status_code == 200 and body["backend"] == "few-shot", body
        row = (
            await client.get(f"/prompt_history/prompt_history/{body['id']}.json?_shape=array")
        ).json()[0]
        assert row["backend"] == "few-shot" and row["program_hash"] == program_hash
        # The demos went to the LLM with the request.
        demos = programs.load(program_path).module.predictors()[0].demos
        sent = json.dumps(lm.history[-1]["messages"], ensure_ascii=False)
        assert all(d["original_idea"] in sent for d in demos)
        health = (await client.get("/health")).json()
        assert health["backend"] == "few-shot" and health["program"]["hash"] == program_hash

        # A new version replaces it without a restart.
        invoke(
            "compile",
            "--trainset",
            str(train),
            "--optimizer",
            "labeled",
            "-k",
            "2",
            "-o",
            str(program_path),
        )
        new_hash = programs.file_sha256(program_path)[:12]
        assert new_hash != program_hash
        r = await client.post("/api/v1/improve-prompt", json={"idea": "Documenta una API REST"})
        row = (
            await client.get(f"/prompt_history/prompt_history/{r.json()['id']}.json?_shape=array")
        ).json()[0]
        assert row["program_hash"] == new_hash

        # A broken file keeps the loaded program and says why in /health.
        program_path.write_text("{not json", encoding="utf-8")
        r = await client.post("/api/v1/improve-prompt", json={"idea": "Documenta una API REST"})
        assert r.json()["backend"] == "few-shot"
        health = (await client.get("/health")).json()
        assert health["program"]["hash"] == new_hash
        assert "not a saved improver program" in health["program"]["error"]

        # Evaluate zero-shot and few-shot on the seed, the way the CLI does; store both.
        invoke("compile", "--trainset", str(train), "-k", "3", "-o", str(program_path))
        examples, _ = trainset.load([TRAINSET])
        examples = examples[:6]
        zero = LegacyImprover(
            settings.model_copy(update={"dspy_compiled_path": None}), lm=dummy_lm(50)
        )
        few = LegacyImprover(settings, lm=dummy_lm(50), programs=programs.ProgramFile(program_path))
        few.programs.reload()
        runs = []
        for backend, improver in (("zero-shot", zero), ("few-shot", few)):
            run = evaluate.EvalRun("seed", trainset.digest(examples), backend, "structure")
            if backend == "few-shot":
                run.program_hash = few.programs.current.hash
            evaluate.run(
                trainset.to_dspy(examples),
                improver=improver,
                metric_name="structure",
                metric=metrics.structure,
                threads=2,
                run=run,
            )
            runs.append(await app.state.writer.execute(lambda c, run=run: evaluate.store(c, run)))
        compare = (await client.get("/prompt_history/eval_compare.json?_shape=array")).json()
        assert {(c["backend"], c["run"]) for c in compare} == {
            ("zero-shot", runs[0]),
            ("few-shot", runs[1]),
        }
        results = (
            await client.get(f"/prompt_history/eval_run_results.json?_shape=array&run={runs[1]}")
        ).json()
        assert len(results) == 6 and all(json.loads(r["checks"])["sections"] for r in results)
        outcomes = (await client.get("/prompt_history/feedback_outcomes.json?_shape=array")).json()
        assert outcomes and outcomes[0]["rated"] > 0


async def test_knn_program_picks_the_nearest_examples(tmp_path, trainset_examples):
    program_path = tmp_path / "knn.json"
    invoke(
        "compile",
        "--trainset",
        str(TRAINSET),
        "--optimizer",
        "knn",
        "-k",
        "2",
        "-o",
        str(program_path),
    )
    loaded = programs.load(program_path)
    n = len(trainset_examples)
    assert loaded.meta["demos"] == n and len(loaded.pool) == n
    idea = "Quiero montar un huerto con tomates en la terraza"
    nearest = loaded.demos_for(idea, "")
    assert nearest[0]["original_idea"] == "Quiero montar un pequeño huerto en la terraza"
    assert len(nearest) == 2

    lm = dummy_lm(5)
    settings = Settings(
        _env_file=None, sqlite_db_path=tmp_path / "h.db", dspy_compiled_path=program_path
    )
    improver = LegacyImprover(settings, lm=lm, programs=programs.from_settings(settings))
    improvement = await improver.improve(idea, "")
    assert improvement.backend == "few-shot" and improvement.program_hash == loaded.hash
    sent = json.dumps(lm.history[-1]["messages"], ensure_ascii=False)
    assert "Quiero montar un pequeño huerto en la terraza" in sent
    assert "Write a speech for my sister's wedding" not in sent  # not near: not sent


def test_eval_and_bootstrap_against_a_real_llm_server(
    fake_llm, tmp_path, trainset_examples, monkeypatch
):
    for key, value in {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": f"{fake_llm.url}/ok/v1",
        "LLM_API_KEY": "test",
    }.items():
        monkeypatch.setenv(key, value)
    db = tmp_path / "h.db"
    program_path = tmp_path / "boot.json"
    out = invoke(
        "compile",
        "--trainset",
        str(TRAINSET),
        "--optimizer",
        "bootstrap",
        "-k",
        "2",
        "-o",
        str(program_path),
    )
    assert (
        "Saved" in out
        and json.loads(programs.meta_path(program_path).read_text())["model"]
        == "openai/gpt-4o-mini"
    )

    out = invoke("eval", "--dataset", str(TRAINSET), "--limit", "4", "--db", str(db))
    assert "| 1 (this run) | zero-shot | - | 4 | 0 |" in out
    out = invoke(
        "eval",
        "--dataset",
        str(TRAINSET),
        "--limit",
        "4",
        "--program",
        str(program_path),
        "--db",
        str(db),
    )
    assert f"| 2 (this run) | few-shot | {programs.file_sha256(program_path)[:12]} | 4 | 0 |" in out
    assert "| 1 | zero-shot |" in out  # compared with the earlier run on the same examples
    out = invoke(
        "eval",
        "--dataset",
        str(TRAINSET),
        "--limit",
        "2",
        "--metric",
        "judge",
        "--db",
        str(db),
    )
    conn = sqlite3.connect(db)
    assert conn.execute("select metric, score, passed from eval_runs where id = 3").fetchone() == (
        "judge",
        0.8,
        2,
    )
    rationale = conn.execute(
        "select judge_rationale from eval_results where run_id = 3"
    ).fetchone()[0]
    assert rationale.startswith("A clear role")
    # The fake prompt misses the ideas' words: coverage fails, and says so.
    checks = json.loads(
        conn.execute("select checks from eval_results where run_id = 1").fetchone()[0]
    )
    assert checks["sections"] is True and checks["coverage"] < 0.5

    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["eval", "--dataset", str(TRAINSET), "--db", str(db)])
    assert (
        result.exit_code == 1 and "LLM unavailable" in result.output and "--nlac" in result.output
    )
    assert time.monotonic() - started < 20
    out = invoke("eval", "--dataset", str(TRAINSET), "--nlac", "--db", str(db))
    assert "nlac" in out and conn.execute("select count(*) from eval_runs").fetchone()[0] == 4


def test_retention_keeps_rows_with_feedback(tmp_path, trainset_examples):
    db = tmp_path / "h.db"
    conn = open_writer(db)
    conn.execute("BEGIN")
    for n in range(3):
        conn.execute(
            "INSERT INTO prompt_history (created_at, original_idea, improved_prompt, client) "
            "VALUES ('2020-01-01T00:00:00.000Z', ?, 'p', 'api')",
            [f"idea {n}"],
        )
    conn.execute(
        "INSERT INTO feedback (history_id, created_at, outcome) "
        "VALUES (2, '2020-01-02T00:00:00.000Z', 'accepted')"
    )
    conn.execute("COMMIT")
    conn.close()
    assert "Deleted 2 rows" in invoke("retention", "--days", "30", "--db", str(db))
    assert "Deleted 1 rows" in invoke(
        "retention", "--days", "30", "--include-labelled", "--db", str(db)
    )
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from feedback").fetchone()[0] == 0


def test_serve_reloads_the_program_on_sighup(serve, tmp_path, trainset_examples):
    program_path = tmp_path / "improver.json"
    invoke("compile", "--trainset", str(TRAINSET), "-o", str(program_path))
    server = serve(DSPY_COMPILED_PATH=str(program_path))
    deadline = time.monotonic() + 30
    while (program := httpx.get(f"{server.url}/health").json()["program"])["hash"] is None:
        assert time.monotonic() < deadline, program
        time.sleep(0.1)
    # Another program in place: same inode, size and mtime, so nothing but SIGHUP can tell.
    before = program_path.stat()
    text = program_path.read_text(encoding="utf-8")
    at = text.index('"original_idea": "') + len('"original_idea": "')
    program_path.write_text(text[:at] + text[at].swapcase() + text[at + 1 :], encoding="utf-8")
    os.utime(program_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert program_path.stat().st_ino == before.st_ino
    meta = json.loads(programs.meta_path(program_path).read_text())
    meta["program_sha256"] = programs.file_sha256(program_path)
    programs.meta_path(program_path).write_text(json.dumps(meta))
    assert httpx.get(f"{server.url}/health").json()["program"]["hash"] == program["hash"]
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.url}/health").json()["program"]["hash"] == program["hash"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert (
        httpx.get(f"{server.url}/health").json()["program"]["hash"] == meta["program_sha256"][:12]
    )
    assert server.proc.poll() is None  # SIGHUP did not stop the server


async def test_feedback_is_refused_not_lost_when_the_database_is_down(db_path, trainset_examples):
    settings = Settings(_env_file=None, sqlite_db_path=db_path, sqlite_busy_timeout_ms=50)
    app = create_app(settings, lm=dummy_lm())
    async with running(app) as client:
        (row_id,) = await seeded(client, trainset_examples[:1])
        # A real failure: another connection holds the write lock past the busy timeout.
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            r = await client.post(
                f"/api/v1/history/{row_id}/feedback", json={"outcome": "accepted"}
            )
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert r.status_code == 503 and "nothing was stored" in r.json()["detail"]
        assert "locked" in r.json()["detail"]
        assert sqlite3.connect(db_path).execute("select count(*) from feedback").fetchone() == (0,)
        r = await client.post(f"/api/v1/history/{row_id}/feedback", json={"outcome": "accepted"})
        assert r.status_code == 201
        rows = (await client.get("/prompt_history/feedback.json?_shape=array")).json()
        assert [f["id"] for f in rows] == [r.json()["id"]]
