"""Exports of edited prompts take every field from the text the person kept, and a selection
that matches nothing says so (issue 13)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from writer.cli import cli

FREE_TEXT = "Escribe una función en Python que valide emails con una expresión regular y tests."
SECTIONED = (
    "Role: You are a careful Python reviewer.\n\n"
    "Directive: Write the validator and its tests.\n\n"
    "Guardrails:\n- No third-party packages.\n- Cover unicode domains."
)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def history_with_edits(db) -> None:
    for idea in ("Escribe una función para validar emails", "Plan a three-day offsite"):
        invoke("improve", idea, "--mode", "nlac", "--db", str(db))
    invoke("feedback", "1", "--outcome", "edited", "--final-prompt", FREE_TEXT, "--db", str(db))
    invoke("feedback", "2", "--outcome", "edited", "--final-prompt", SECTIONED, "--db", str(db))


def test_an_edited_free_text_exports_nothing_of_the_replaced_prompt(tmp_path):
    db = tmp_path / "h.db"
    history_with_edits(db)
    out = tmp_path / "all.jsonl"
    result = CliRunner().invoke(
        cli, ["export", "--format", "jsonl", "-o", str(out), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    free, sectioned = (json.loads(line) for line in out.read_text().splitlines())
    # The free text is the whole label; no role or directive from the prompt it replaced.
    assert free["outputs"] == {
        "improved_prompt": FREE_TEXT,
        "role": "",
        "directive": "",
        "framework": "",
        "guardrails": "",
    }
    assert sectioned["outputs"]["role"] == "You are a careful Python reviewer."
    assert sectioned["outputs"]["directive"] == "Write the validator and its tests."
    assert sectioned["outputs"]["framework"] == ""  # the kept text has no Framework section
    assert (
        sectioned["outputs"]["guardrails"]
        == "1. No third-party packages.\n2. Cover unicode domains."
    )
    assert (
        "written with empty fields 1: edited text without role, directive, framework, guardrails"
        in result.output
    )
    assert "written with empty fields 1: edited text without framework" in result.output


def test_a_training_export_skips_a_free_text_it_cannot_label(tmp_path):
    db = tmp_path / "h.db"
    history_with_edits(db)
    out = tmp_path / "train.json"
    result = CliRunner().invoke(
        cli, ["export", "--format", "dspy", "--outcome", "edited", "-o", str(out), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text())
    assert [r["outputs"]["role"] for r in records] == ["You are a careful Python reviewer."]
    assert "skipped 1:" in result.output and "role" in result.output


def test_an_export_matching_nothing_says_so(tmp_path):
    db = tmp_path / "h.db"
    history_with_edits(db)
    out = tmp_path / "none.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--format",
            "jsonl",
            "--since",
            "2001-01-01",
            "--until",
            "2001-01-02",
            "-o",
            str(out),
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 0 of 0 rows" in result.output
    assert "Nothing matched the selection" in result.output
    assert out.read_text() == ""


def test_eval_prints_no_stray_progress_line_off_a_terminal(tmp_path):
    from writer import nlac

    examples = []
    for idea in ("Write a function that validates emails", "Plan a three-day team offsite"):
        r = nlac.improve(idea, "")
        examples.append(
            {
                "inputs": {"original_idea": idea, "context": ""},
                "outputs": {
                    "improved_prompt": r.improved_prompt,
                    "role": r.role,
                    "directive": r.directive,
                    "framework": r.framework,
                    "guardrails": "\n".join(r.guardrails),
                },
            }
        )
    dataset = tmp_path / "mini.json"
    dataset.write_text(json.dumps(examples))
    result = CliRunner().invoke(
        cli, ["eval", "--dataset", str(dataset), "--nlac", "--db", str(tmp_path / "h.db")]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("Evaluating nlac on 2 examples") for line in lines)
    assert "Evaluating" not in [line.strip() for line in lines]  # click's label, once, alone
    assert "Run 1: nlac" in result.output
