"""The `prompt-improver` command: serve, improve, feedback, export, compile, eval and upkeep."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import ValidationError

from writer.settings import Settings, is_loopback

if TYPE_CHECKING:
    from writer import exports


def _settings(db: Path | None) -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid setting: {exc}") from None
    if db is not None:
        settings.sqlite_db_path = db
    return settings


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite database file [default: SQLITE_DB_PATH or data/prompt_history.db]",
)


@click.group()
@click.version_option(package_name="prompt-improver")
def cli() -> None:
    """Improve prompts with DSPy, record every one in SQLite, browse them with Datasette."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind")
@db_option
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log a line per request (costs throughput; the history rows record every write)",
)
def serve(host: str, port: int, db: Path | None, log_level: str, access_log: bool) -> None:
    """Serve the write API (/api/v1, /health) and Datasette (/) on one port."""
    import uvicorn

    from writer.app import create_app
    from writer.http import SWITCH_INTERVAL_S, uvicorn_options

    settings = _settings(db)
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s:  %(name)s %(message)s")
    if not _is_loopback(host) and settings.write_api_token is None:
        raise click.UsageError(
            f"refusing to bind {host} without WRITE_API_TOKEN: anyone who can reach this "
            "address could write to your history. Set WRITE_API_TOKEN (clients then send "
            "'Authorization: Bearer <token>'), or bind 127.0.0.1."
        )
    click.echo(
        f"History database: {settings.sqlite_db_path}"
        if settings.sqlite_enabled
        else "Recording is off (SQLITE_ENABLED=false)"
    )
    click.echo(f"Datasette:  http://{host}:{port}/")
    click.echo(f"Improve:    POST http://{host}:{port}/api/v1/improve-prompt")
    settings = settings.model_copy(update={"bind_host": host, "bind_port": port})
    if not _is_loopback(host) and not settings.host_names:
        click.echo(
            f"Note: only loopback names and {host} are accepted in the Host header; set "
            "ALLOWED_HOSTS to the names clients use (see docs/security.md)",
            err=True,
        )
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        **uvicorn_options(settings, log_level=log_level, access_log=access_log),
    )


def _is_loopback(host: str) -> bool:
    return is_loopback(host)


@cli.command()
@click.argument("idea")
@click.option("--context", default="", help="Extra context for the idea")
@click.option("--mode", type=click.Choice(["legacy", "nlac"]), default="legacy", show_default=True)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON answer")
def improve(idea: str, context: str, mode: str, db: Path | None, as_json: bool) -> None:
    """Improve IDEA once and record it in the history (client "cli")."""
    from writer import programs
    from writer.improver import LegacyImprover
    from writer.offline.pool import load_personal
    from writer.records import ImproveRequest, describe
    from writer.service import improve_and_record
    from writer.storage import writer_for

    settings = _settings(db)
    # The answer (or the error) says what happened; the server's log lines would repeat it.
    logging.getLogger("prompt_improver").setLevel(logging.ERROR)
    try:
        request = ImproveRequest(idea=idea, context=context, mode=mode)
    except ValidationError as exc:
        raise click.UsageError(describe(exc)) from None

    async def run() -> tuple[int, dict]:
        from writer.llm_probe import LLMProbe

        probe = LLMProbe(settings)
        if mode == "legacy":
            # Milliseconds when nothing listens: then the fallback answers at once instead of
            # paying for litellm's import and its connection retries.
            await probe.check_now()
        writer = None
        if settings.sqlite_enabled:
            writer = writer_for(settings, maintenance=False)
            writer.start()
        try:
            outcome = await improve_and_record(
                request,
                settings=settings,
                improver=LegacyImprover(
                    settings, programs=programs.from_settings(settings), probe=probe
                ),
                writer=writer,
                request_id=str(uuid.uuid4()),
                client="cli",
                # The offline improver reuses the person's accepted prompts here too.
                personal=load_personal(settings.sqlite_db_path) if writer else None,
            )
        finally:
            if writer is not None:
                writer.close()
        return outcome.status_code, outcome.body

    status, body = asyncio.run(run())
    if status != 200:
        raise click.ClickException(body["detail"].replace("mode 'nlac'", "--mode nlac"))
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(body["improved_prompt"])
    flags = [name for name, on in body["degradation_flags"].items() if on]
    footer = f"[{body['backend']} · {body['framework']} · id {body['id']}"
    footer += f" · {', '.join(flags)}]" if flags else "]"
    click.echo(footer, err=True)


@cli.command()
@click.argument("history_id", metavar="ID", type=click.IntRange(1))
@click.option("--outcome", required=True, type=click.Choice(["accepted", "edited", "rejected"]))
@click.option("--final-prompt", help="The text you kept (required for --outcome edited)")
@click.option(
    "--final-prompt-file",
    type=click.File(encoding="utf-8"),
    help="Read the text you kept from a file ('-' for stdin)",
)
@click.option("--rating", type=click.IntRange(1, 5), help="1 (poor) to 5 (excellent)")
@click.option("--comment", help="A note for later")
@db_option
def feedback(
    history_id: int,
    outcome: str,
    final_prompt: str | None,
    final_prompt_file,
    rating: int | None,
    comment: str | None,
    db: Path | None,
) -> None:
    """Say what became of history row ID: accepted, edited (with the text kept) or rejected."""
    from writer import feedback as store
    from writer.records import describe
    from writer.storage import writer_for

    if final_prompt_file is not None:
        if final_prompt is not None:
            raise click.UsageError("give --final-prompt or --final-prompt-file, not both")
        final_prompt = final_prompt_file.read()
    try:
        given = store.FeedbackRequest(
            outcome=outcome, final_prompt=final_prompt, rating=rating, comment=comment
        )
    except ValidationError as exc:
        raise click.UsageError(describe(exc).replace("final_prompt", "--final-prompt")) from None
    settings = _settings(db)
    writer = writer_for(settings, maintenance=False)
    writer.start()
    try:
        feedback_id = asyncio.run(store.add(writer, history_id, given, client="cli"))
    except (store.UnknownRow, store.NothingToRate) as exc:
        raise click.ClickException(
            f"{exc}; find ids with `prompt-improver export` or in Datasette"
        ) from None
    finally:
        writer.close()
    click.echo(f"Feedback {feedback_id} on row {history_id}: {outcome}.")


def _day_or_time(value: str | None, *, end: bool = False) -> str | None:
    """YYYY-MM-DD or an ISO time, as the UTC text rows store; --until DAY includes that day."""
    from datetime import UTC, datetime, timedelta

    from writer.storage import iso_utc

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if end and len(value) == 10:
        moment += timedelta(days=1)
    return iso_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def selection_options(command: Callable) -> Callable:
    """The filters `export` and `compile --from-history` share."""
    for option in reversed(
        [
            click.option("--since", help="Rows created on or after this day/time (UTC)"),
            click.option("--until", help="Rows created before the end of this day (or time)"),
            click.option(
                "--outcome",
                help="Comma-separated latest feedback: accepted, edited, rejected, none "
                "[default: all but rejected for dspy and openai-chat; all for jsonl and csv]",
            ),
            click.option("--mode", help="Comma-separated modes, e.g. legacy,nlac"),
            click.option(
                "--min-confidence", type=click.FloatRange(0, 1), help="Rows at least this confident"
            ),
        ]
    ):
        command = option(command)
    return command


def _selection(
    fmt: str,
    since: str | None,
    until: str | None,
    outcome: str | None,
    mode: str | None,
    min_confidence: float | None,
) -> exports.Selection:
    from writer import exports

    outcomes = exports.DEFAULT_OUTCOMES[fmt]
    if outcome:
        outcomes = tuple(o.strip() for o in outcome.split(",") if o.strip())
        unknown = sorted(set(outcomes) - set(exports.OUTCOMES))
        if unknown:
            raise click.BadParameter(
                f"{', '.join(unknown)}: choose from {', '.join(exports.OUTCOMES)}",
                param_hint="--outcome",
            )
    return exports.Selection(
        since=_day_or_time(since),
        until=_day_or_time(until, end=True),
        outcomes=outcomes,
        modes=tuple(m.strip() for m in (mode or "").split(",") if m.strip()),
        min_confidence=min_confidence,
    )


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["dspy", "jsonl", "csv", "openai-chat"]), required=True
)
@selection_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    required=True,
    help="File to write ('-' for stdout)",
)
@db_option
def export(
    fmt: str,
    since: str | None,
    until: str | None,
    outcome: str | None,
    mode: str | None,
    min_confidence: float | None,
    output: Path,
    db: Path | None,
) -> None:
    """Export history (with its feedback) as a trainset or for analysis."""
    import contextlib
    import os

    from writer import exports

    settings = _settings(db)
    selection = _selection(fmt, since, until, outcome, mode, min_confidence)
    conn = _read_history(settings)
    to_stdout = str(output) == "-"
    try:
        total = exports.count(conn, selection)
        partial = output if to_stdout else output.with_name(output.name + ".partial")
        with (
            contextlib.nullcontext(sys.stdout)
            if to_stdout
            else open(partial, "w", encoding="utf-8", newline="") as out,
            click.progressbar(
                length=total, label=f"Exporting {total:,} rows", file=sys.stderr
            ) as bar,
        ):
            report = exports.write(conn, out, fmt, selection, bar.update)
        if not to_stdout:
            os.replace(partial, output)  # never a half-written trainset under the real name
    finally:
        conn.close()
    where = "stdout" if to_stdout else str(output)
    click.echo(
        f"Wrote {report.written:,} of {report.selected:,} rows to {where} ({fmt}).", err=True
    )
    for reason, n in report.skipped.most_common():
        click.echo(f"  skipped {n}: {reason}", err=True)
    for reason, n in report.incomplete.most_common():
        click.echo(f"  written with empty fields {n}: {reason}", err=True)
    if report.selected == 0:
        click.echo(
            "Nothing matched the selection (--since/--until, --outcome, --mode, "
            "--min-confidence): the file has no records. Check the filters, or see what the "
            "history holds at /prompt_history/labelled_history.",
            err=True,
        )


def _read_history(settings: Settings):
    """A read-only connection to the history, its schema current (an older file is migrated)."""
    import sqlite3

    from writer.migrations import migrate

    if not settings.sqlite_db_path.exists():
        raise click.ClickException(
            f"{settings.sqlite_db_path} does not exist; pass --db or set SQLITE_DB_PATH"
        )
    migrate(settings.sqlite_db_path, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    return sqlite3.connect(f"file:{settings.sqlite_db_path}?mode=ro", uri=True)


def _history_records(settings: Settings, selection) -> list[tuple[str, dict]]:
    from writer import exports

    conn = _read_history(settings)
    try:
        return [
            (f"history id {row['id']}", exports.raw_record(row))
            for row in exports.rows(conn, selection)
        ]
    finally:
        conn.close()


def _say_report(report) -> None:
    for line in report.lines():
        click.echo(line, err=True)


@cli.command(name="compile")
@click.option(
    "--trainset",
    "trainsets",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A trainset file (JSON array or JSON Lines in the seed shape); repeatable",
)
@click.option("--from-history", is_flag=True, help="Also use the history (with the filters below)")
@selection_options
@click.option(
    "--optimizer",
    type=click.Choice(["labeled", "bootstrap", "knn"]),
    default="labeled",
    show_default=True,
    help="labeled: k examples as demos (no LLM); bootstrap: demos the LM reproduces "
    "passing the structure metric (needs the LM); knn: the k nearest examples per request",
)
@click.option("-k", "k", type=click.IntRange(1, 16), default=3, show_default=True, help="Demos")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("models/improver.json"),
    show_default=True,
    help="Where to save the program (its metadata goes beside it, *.meta.json)",
)
@db_option
def compile_command(
    trainsets: tuple[Path, ...],
    from_history: bool,
    since: str | None,
    until: str | None,
    outcome: str | None,
    mode: str | None,
    min_confidence: float | None,
    optimizer: str,
    k: int,
    output: Path,
    db: Path | None,
) -> None:
    """Build the few-shot improver from trainsets and/or the history, and save it."""
    import dspy

    from writer import improver, metrics, programs, trainset

    if not trainsets and not from_history:
        raise click.UsageError("give --trainset FILE (repeatable) and/or --from-history")
    settings = _settings(db)
    extra: list = []
    if from_history:
        extra = _history_records(
            settings, _selection("dspy", since, until, outcome, mode, min_confidence)
        )
    try:
        examples, report = trainset.load(list(trainsets), extra)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read the trainset: {exc}") from None
    _say_report(report)
    if not examples:
        raise click.ClickException(
            "no usable examples; fix the records listed above, or export some with "
            "`prompt-improver export --format dspy`"
        )
    lm = None
    if optimizer == "bootstrap":
        improver.warm_up()
        _preflight(improver.LegacyImprover(settings), examples[0])
        lm = improver.build_lm(settings)
        click.echo(f"Bootstrapping with {settings.litellm_model}...", err=True)
    try:
        program = programs.compile_program(
            trainset.to_dspy(examples), optimizer, k, lm=lm, metric=metrics.structure
        )
    except programs.ProgramError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # the LM failed while bootstrapping
        raise click.ClickException(
            f"{optimizer} failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}. "
            "What to do: check that the LLM answers (`prompt-improver improve 'test idea'`), "
            "or use --optimizer labeled, which needs no LLM."
        ) from None
    sources = [str(p) for p in trainsets] + (["history"] if from_history else [])
    meta = programs.save(
        program,
        output,
        {
            "optimizer": optimizer,
            "k": k,
            "trainset_sha256": trainset.digest(examples),
            "trainset_size": len(examples),
            "dropped": len(report.dropped),
            "sources": sources,
            "model": settings.litellm_model if lm is not None else None,
            "dspy_version": dspy.__version__,
        },
    )
    click.echo(
        f"Saved {output} ({optimizer}, k={k}, {meta['demos']} demos from {len(examples)} "
        f"examples); program hash {meta['program_sha256'][: programs.HASH_CHARS]}, "
        f"trainset sha256 {meta['trainset_sha256'][:12]}."
    )
    click.echo(
        "`serve` uses it when DSPY_COMPILED_PATH names this file (default "
        "models/improver.json) and picks up a new version without a restart.",
        err=True,
    )


@cli.command(name="eval")
@click.option(
    "--dataset",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Examples in the seed shape (JSON array or JSON Lines)",
)
@click.option(
    "--program",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A compiled program (few-shot) [default: zero-shot, with no program]",
)
@click.option("--nlac", is_flag=True, help="Evaluate the offline nlac improver (no LLM)")
@click.option(
    "--metric",
    type=click.Choice(["structure", "judge", "fit"]),
    default="structure",
    show_default=True,
    help="structure: checks, no LLM; judge: the configured LM grades against a rubric; "
    "fit: task, subject, field, chatter and language against a labelled set of ideas "
    "(data/ideas-holdout.json)",
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N examples")
@click.option("--threads", type=click.IntRange(1, 32), default=4, show_default=True)
@db_option
def eval_command(
    dataset: Path,
    program: Path | None,
    nlac: bool,
    metric: str,
    limit: int | None,
    threads: int,
    db: Path | None,
) -> None:
    """Score the improver on a dataset with dspy.Evaluate; store the run in the database."""
    from writer import evaluate, improver, metrics, programs, trainset
    from writer.storage import writer_for

    if nlac and program:
        raise click.UsageError("give --program or --nlac, not both")
    settings = _settings(db)
    try:
        if metric == "fit":  # labelled ideas, not prompts
            labelled = metrics.load_labelled(dataset)[:limit]
            examples = metrics.labelled_examples(labelled)
            dataset_hash = hashlib.sha256(json.dumps(labelled, sort_keys=True).encode()).hexdigest()
        else:
            loaded, report = trainset.load([dataset])
            _say_report(report)
            loaded = loaded[:limit] if limit else loaded
            examples, dataset_hash = trainset.to_dspy(loaded), trainset.digest(loaded)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise click.ClickException(f"cannot read the dataset: {exc}") from None
    if not examples:
        raise click.ClickException("no usable examples in the dataset")
    improver.warm_up()
    run = evaluate.EvalRun(
        dataset=dataset.name,
        dataset_hash=dataset_hash,
        backend="nlac" if nlac else ("few-shot" if program else "zero-shot"),
        metric=metric,
    )
    with evaluate.event_loop() as loop:
        candidate = None
        if not nlac:
            files = None
            if program:
                files = programs.ProgramFile(program)
                if files.reload() is None:
                    raise click.ClickException(files.error or f"{program}: cannot load it")
                run.program_path, run.program_hash = str(program), files.current.hash
                run.optimizer = files.current.meta.get("optimizer")
            candidate = improver.LegacyImprover(settings, programs=files)
            run.provider, run.model = candidate.provider, candidate.model
            _preflight(candidate, examples[0], loop)
        scorer = metrics.fit if metric == "fit" else metrics.structure
        if metric == "judge":
            _preflight(improver.LegacyImprover(settings), examples[0], loop)
            scorer = metrics.make_judge(improver.build_lm(settings))
        click.echo(
            f"Evaluating {run.backend}{' ' + run.program_hash if run.program_hash else ''} on "
            f"{len(examples)} examples from {dataset.name} ({metric}, {threads} threads)...",
            err=True,
        )
        logging.getLogger("dspy.evaluate.evaluate").setLevel(logging.WARNING)
        # Off a terminal click would print the label once as a stray line under the one above.
        with click.progressbar(
            length=len(examples),
            label="Evaluating",
            show_pos=True,
            show_eta=True,
            file=sys.stderr,
            hidden=not sys.stderr.isatty(),
        ) as bar:
            evaluate.run(
                examples,
                improver=candidate,
                metric_name=metric,
                metric=scorer,
                threads=threads,
                run=run,
                progress=bar.update,
                loop=loop,
            )
    writer = writer_for(settings, maintenance=False)
    writer.start()
    try:
        run.id, recent = writer.submit_call(
            lambda conn: (
                evaluate.store(conn, run),
                evaluate.previous_runs(conn, run.dataset_hash, metric),
            )
        ).result()
    except Exception as exc:
        raise click.ClickException(
            f"the run scored {run.score} ({run.passed}/{len(run.results)} passed) but could not "
            f"be stored in {settings.sqlite_db_path}: {exc}. What to do: run "
            "`prompt-improver migrate` and check the file is writable, then run eval again."
        ) from None
    finally:
        writer.close()
    _say_eval(run, recent)


def _preflight(candidate, example, loop=None) -> None:
    """One call before the run: an LLM that is not there fails once, clearly, not N times."""
    from writer.improver import LLMFailure

    coroutine = candidate.improve(example.original_idea, example.context)
    try:
        if loop is None:
            asyncio.run(coroutine)
        else:
            asyncio.run_coroutine_threadsafe(coroutine, loop).result()
    except LLMFailure as exc:
        raise click.ClickException(
            f"{exc.detail_for('--nlac')} Without an LLM: `eval --nlac --metric structure`, "
            "`compile --optimizer labeled` or `--optimizer knn`."
        ) from None


def _say_eval(run, recent: list[dict]) -> None:
    click.echo(
        f"\nRun {run.id}: {run.backend} on {run.dataset}, metric {run.metric}, "
        f"{len(run.results)} examples in {run.duration_s:.1f} s"
    )
    click.echo("| run | backend | program | examples | errors | passed | score |")
    click.echo("| ---: | --- | --- | ---: | ---: | ---: | ---: |")
    for r in recent:
        mark = " (this run)" if r["id"] == run.id else ""
        score = "-" if r["score"] is None else f"{r['score']:.3f}"
        click.echo(
            f"| {r['id']}{mark} | {r['backend']} | {r['program_hash'] or '-'} | {r['examples']} "
            f"| {r['errors']} | {r['passed']} | {score} |"
        )
    rates = run.check_rates()
    if rates and run.metric in ("structure", "fit"):
        click.echo("Checks passed: " + ", ".join(f"{k} {v:.0%}" for k, v in rates.items()))
    failing = [r for r in run.results if r["error"]][:3]
    for r in failing:
        click.echo(f"  example {r['example']}: {r['error'][:200]}", err=True)
    click.echo(
        "Compare runs in Datasette: /prompt_history/eval_runs_over_time "
        "and /prompt_history/eval_compare"
    )


@cli.command(name="migrate")
@db_option
def migrate_command(db: Path | None) -> None:
    """Bring a database to the current schema and say what was done."""
    from writer.migrations import migrate

    settings = _settings(db)
    report = migrate(settings.sqlite_db_path, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    if report.adopted:
        click.echo(
            f"Adopted a database from the earlier backend (shape {report.adopted}), every row kept."
        )
    if report.applied:
        click.echo(f"Applied to {report.path}: {', '.join(report.applied)}")
    else:
        click.echo(f"{report.path} is up to date; nothing to do.")
    click.echo(f"{report.rows} rows in prompt_history.")


@cli.command(name="demo-data")
@db_option
@click.option("--rows", default=500, show_default=True, type=click.IntRange(1), help="Rows to add")
@click.option(
    "--days",
    default=28,
    show_default=True,
    type=click.IntRange(1),
    help="Spread the rows over this many days, ending now",
)
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same rows")
def demo_data(db: Path | None, rows: int, days: int, seed: int) -> None:
    """Add generated, realistic history rows (for trying the dashboard and for benchmarks)."""
    import time

    from writer.bench import demo

    settings = _settings(db)
    started = time.perf_counter()
    with click.progressbar(
        length=rows, label=f"Writing {rows:,} rows", show_pos=True, show_eta=True
    ) as bar:
        written = demo.write(
            settings.sqlite_db_path, rows, days=days, seed=seed, progress=bar.update
        )
    elapsed = time.perf_counter() - started
    size = settings.sqlite_db_path.stat().st_size / 1e6
    click.echo(
        f"Added {written:,} rows to {settings.sqlite_db_path} in {elapsed:.1f} s "
        f"({written / elapsed:,.0f} rows/s); the file is {size:,.0f} MB."
    )


@cli.command(name="bench-queries")
@db_option
@click.option(
    "--runs",
    default=5,
    show_default=True,
    type=click.IntRange(1),
    help="Runs per query; the median is reported",
)
def bench_queries(db: Path | None, runs: int) -> None:
    """Time every dashboard chart, canned query and main page through Datasette."""
    from writer.bench.query_timings import targets, time_queries

    settings = _settings(db)
    if not settings.sqlite_db_path.exists():
        raise click.ClickException(
            f"{settings.sqlite_db_path} does not exist; make one with "
            "`prompt-improver demo-data --rows 1000000 --db PATH`"
        )
    rows = _row_count(settings.sqlite_db_path)
    total = len(targets(settings.sqlite_db_path))
    click.echo(f"{rows:,} rows in {settings.sqlite_db_path}; median of {runs} runs each", err=True)
    with click.progressbar(length=total, label="Timing", show_pos=True) as bar:
        timings = time_queries(settings.sqlite_db_path, runs, lambda name: bar.update(1))
    click.echo("| query | median ms | max ms | HTTP | under 1 s |")
    click.echo("| --- | ---: | ---: | ---: | --- |")
    for t in timings:
        ok = "yes" if t.status == 200 and t.max_ms < 1000 else "**NO**"
        click.echo(f"| {t.name} | {t.median_ms:,.1f} | {t.max_ms:,.1f} | {t.status} | {ok} |")
    failed = [t.name for t in timings if t.status != 200]
    if failed:
        raise click.ClickException(f"{len(failed)} failed (over the time limit?): {failed}")


@cli.command()
@click.option("--quick", is_flag=True, help="Under a minute: fewer, shorter runs, small data")
@click.option(
    "--rounds",
    type=click.IntRange(1),
    default=None,
    help="Rounds per measurement [default: 3, or 1 with --quick]",
)
@click.option(
    "--big-db",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A database of generated rows for the reads-under-writes test (rows are "
    "added to it); without it one is generated",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report (Markdown) to this file",
)
@click.option(
    "--duration",
    type=click.FloatRange(1),
    default=None,
    help="Seconds per measurement [default: 10, or 1 with --quick]",
)
@click.option(
    "--rows",
    type=click.IntRange(1000),
    default=None,
    help="Rows for the reads-under-writes and footprint tests [default: 1,000,000]",
)
def bench(
    quick: bool,
    rounds: int | None,
    big_db: Path | None,
    output: Path | None,
    duration: float | None,
    rows: int | None,
) -> None:
    """Benchmark the write path against the HTTP ceiling, the earlier design and SQLite.

    Load comes from wrk when it is installed (apt-get install wrk / brew install wrk), else
    from a Python load generator whose own CPU the report shows."""
    from writer.bench import run as benchmark

    config = benchmark.Config.make(quick, rounds, big_db, duration, rows)
    results = benchmark.run(config, lambda line: click.echo(line, err=True))
    text = benchmark.report(config, results)
    click.echo(text)
    if output:
        output.write_text(text + "\n", encoding="utf-8")


@cli.group()
def spool() -> None:
    """Rows the database could not take, kept next to it in <db>.spool.jsonl."""


@spool.command(name="replay")
@db_option
def spool_replay(db: Path | None) -> None:
    """Add spooled rows to the database (each once), then empty the spool."""
    from writer.backup import writer_lock
    from writer.migrations import open_writer
    from writer.spool import Spool
    from writer.storage import replay_spool

    settings = _settings(db)
    spooled = Spool(settings.spool_file)
    if not spooled.path.exists() or not spooled.rows:
        click.echo(f"{spooled.path}: nothing to replay.")
        return
    try:
        with writer_lock(settings.sqlite_db_path, wait=False):
            conn = open_writer(settings.sqlite_db_path)
            try:
                inserted, torn = replay_spool(conn, spooled)
            finally:
                conn.close()
    except BlockingIOError:
        raise click.ClickException(
            "the server is running on this database and replays the spool itself; "
            "check /health, or stop the server first"
        ) from None
    click.echo(
        f"Replayed {inserted} rows into {settings.sqlite_db_path}"
        + (f"; skipped {torn} torn lines" if torn else "")
        + "; the spool is empty."
    )


@cli.command(name="retention")
@db_option
@click.option(
    "--days",
    type=click.IntRange(1),
    default=None,
    help="Delete rows older than this [default: SQLITE_RETENTION_DAYS]",
)
@click.option(
    "--include-legacy", is_flag=True, help="Also delete rows adopted from the earlier backend"
)
@click.option(
    "--include-labelled", is_flag=True, help="Also delete rows that have feedback (the trainset)"
)
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted")
def retention_command(
    db: Path | None, days: int | None, include_legacy: bool, include_labelled: bool, dry_run: bool
) -> None:
    """Delete rows older than N days, in small batches; say what was removed."""
    from writer import retention
    from writer.migrations import open_writer

    settings = _settings(db)
    days = days or settings.sqlite_retention_days
    if not days:
        raise click.UsageError("retention is off (SQLITE_RETENTION_DAYS=0); pass --days N")
    conn = open_writer(settings.sqlite_db_path)
    try:
        report = retention.run(
            conn,
            days,
            include_legacy=include_legacy,
            dry_run=dry_run,
            include_labelled=include_labelled,
        )
    finally:
        conn.close()
    verb = "Would delete" if report.dry_run else "Deleted"
    span = f" (from {report.oldest} to {report.newest})" if report.rows and report.dry_run else ""
    click.echo(f"{verb} {report.rows} rows created before {report.cutoff}{span}.")


@cli.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def backup(target: Path, db: Path | None) -> None:
    """Copy the database to TARGET, online (the server may keep running)."""
    from writer.backup import backup as run_backup

    settings = _settings(db)
    if not settings.sqlite_db_path.exists():
        raise click.ClickException(f"{settings.sqlite_db_path} does not exist")
    click.echo(f"Copying {settings.sqlite_db_path} to {target}...", err=True)
    try:
        report = run_backup(settings.sqlite_db_path, target)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    _say_copy("Backed up", report)


@cli.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option("--yes", is_flag=True, help="Replace an existing database without asking")
def restore(source: Path, db: Path | None, yes: bool) -> None:
    """Replace the database with the backup SOURCE (stop the server first)."""
    from writer.backup import restore as run_restore

    settings = _settings(db)
    if settings.sqlite_db_path.exists() and not yes:
        click.confirm(f"Replace {settings.sqlite_db_path} with {source}?", abort=True)
    try:
        report = run_restore(source, settings.sqlite_db_path)
    except BlockingIOError:
        raise click.ClickException(
            "the server is running on this database; stop it first"
        ) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _say_copy("Restored", report)


def _say_copy(verb: str, report) -> None:
    click.echo(
        f"{verb} {report.rows:,} rows ({report.bytes / 1e6:,.1f} MB) to {report.path}; "
        f"integrity {report.integrity}; checksum {report.checksum[:16]}"
    )


def _row_count(path: Path) -> int:
    import sqlite_utils

    return sqlite_utils.Database(path)["prompt_history"].count


@cli.group(name="service")
def service_group() -> None:
    """Start `serve` at login: a launchd agent (macOS) or a systemd user unit (Linux)."""


def _unit(host: str, port: int, db: Path | None):
    from writer import login_service

    try:
        return login_service.unit_for(sys.platform, host, port, _settings(db).sqlite_db_path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


service_options = [
    click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind"),
    click.option("--port", default=8000, show_default=True, type=int, help="Port to bind"),
    db_option,
]


def _service_options(command: Callable) -> Callable:
    for option in reversed(service_options):
        command = option(command)
    return command


@service_group.command(name="install")
@_service_options
@click.option("--dry-run", is_flag=True, help="Print the unit file; install nothing")
def service_install(host: str, port: int, db: Path | None, dry_run: bool) -> None:
    """Write the unit file, then load and start it (it also starts at every login)."""
    from writer import login_service

    if not _is_loopback(host) and _settings(db).write_api_token is None:
        raise click.UsageError(f"refusing to serve {host} without WRITE_API_TOKEN (see serve)")
    unit = _unit(host, port, db)
    if dry_run:
        click.echo(f"# {unit.path}")
        click.echo(unit.text, nl=False)
        return
    unit.path.parent.mkdir(parents=True, exist_ok=True)
    if unit.system == "launchd":
        Path(unit.logs).parent.mkdir(parents=True, exist_ok=True)
        login_service.run(unit.commands("uninstall"))  # a loaded older version is replaced
    unit.path.write_text(unit.text, encoding="utf-8")
    click.echo(f"Wrote {unit.path}")
    problems = login_service.run(unit.commands("install"))
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    if problems:
        raise click.ClickException(
            "the unit file is written but could not be started; fix the above, then run "
            "`prompt-improver service install` again"
        )
    click.echo(f"Started; it starts at every login. Logs: {unit.logs}")
    click.echo(f"Check it with `prompt-improver service status` or http://{host}:{port}/health")


@service_group.command(name="uninstall")
def service_uninstall() -> None:
    """Stop the service and remove its unit file (the database stays)."""
    from writer import login_service

    unit = _unit("127.0.0.1", 8000, None)
    if not unit.path.exists():
        click.echo(f"Not installed ({unit.path} does not exist).")
        return
    for problem in login_service.run(unit.commands("uninstall")):
        click.echo(f"  {problem}", err=True)
    unit.path.unlink()
    if unit.system == "systemd":
        login_service.run([["systemctl", "--user", "daemon-reload"]])
    click.echo(f"Removed {unit.path}; it no longer starts at login.")


@service_group.command(name="status")
@click.option("--port", default=8000, show_default=True, type=int, help="Port it serves on")
def service_status(port: int) -> None:
    """Is it installed, running, and answering /health?"""
    from writer import login_service

    unit = _unit("127.0.0.1", port, None)
    installed = unit.path.exists()
    click.echo(f"Unit:     {unit.path} ({'installed' if installed else 'not installed'})")
    if installed:
        click.echo(f"{unit.system + ':':<9} {login_service.manager_state(unit)}")
    url = f"http://127.0.0.1:{port}"
    health = login_service.health(url)
    if health is None:
        click.echo(f"Serving:  nothing answers at {url}/health")
    else:
        llm = health.get("llm") or {}
        llm_words = (
            "ready"
            if health.get("llm_ready")
            else f"not ready ({llm.get('last_error') or 'starting'})"
        )
        database = health.get("database") or {}
        click.echo(
            f"Serving:  {url} {health.get('status')}, version {health.get('version')}, "
            f"up {health.get('uptime_s')} s"
        )
        click.echo(f"LLM:      {health.get('provider')}/{health.get('model')} {llm_words}")
        click.echo(f"Database: {database.get('path')} ({database.get('rows')} rows)")
    click.echo(f"Logs:     {unit.logs}")
    if not installed:
        click.echo("Install:  prompt-improver service install")


def main() -> None:  # pragma: no cover - python -m writer.cli
    cli(prog_name="prompt-improver")


@cli.command(name="sign-in-link")
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The running server, as this machine reaches it",
)
def sign_in_link(url: str) -> None:
    """Print a one-time link that signs a browser in to read the history (off loopback)."""
    import httpx

    settings = _settings(None)
    if settings.write_api_token is None:
        raise click.ClickException("WRITE_API_TOKEN is not set; reading is open on loopback")
    token = settings.write_api_token.get_secret_value()
    try:
        r = httpx.post(
            f"{url.rstrip('/')}/api/v1/sign-in-link",
            json={},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    if r.status_code != 201:
        raise click.ClickException(f"{r.status_code}: {r.json().get('detail', r.text)}")
    click.echo(r.json()["url"])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
