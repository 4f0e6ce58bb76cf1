"""The `prompt-improver` command: serve, improve, migrate."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import sys
import uuid
from pathlib import Path

import click
from pydantic import ValidationError

from writer.settings import Settings


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
def serve(host: str, port: int, db: Path | None, log_level: str) -> None:
    """Serve the write API (/api/v1, /health) and Datasette (/) on one port."""
    import uvicorn

    from writer.app import create_app

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
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=30,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cli.command()
@click.argument("idea")
@click.option("--context", default="", help="Extra context for the idea")
@click.option("--mode", type=click.Choice(["legacy", "nlac"]), default="legacy", show_default=True)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON answer")
def improve(idea: str, context: str, mode: str, db: Path | None, as_json: bool) -> None:
    """Improve IDEA once and record it in the history (client "cli")."""
    from writer.improver import LegacyImprover
    from writer.records import ImproveRequest, describe
    from writer.service import improve_and_record
    from writer.storage import writer_for

    settings = _settings(db)
    try:
        request = ImproveRequest(idea=idea, context=context, mode=mode)
    except ValidationError as exc:
        raise click.UsageError(describe(exc)) from None

    async def run() -> tuple[int, dict]:
        writer = None
        if settings.sqlite_enabled:
            writer = writer_for(settings, maintenance=False)
            writer.start()
        try:
            outcome = await improve_and_record(
                request,
                settings=settings,
                improver=LegacyImprover(settings),
                writer=writer,
                request_id=str(uuid.uuid4()),
                client="cli",
            )
        finally:
            if writer is not None:
                writer.close()
        return outcome.status_code, outcome.body

    status, body = asyncio.run(run())
    if status != 200:
        raise click.ClickException(body["detail"])
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(body["improved_prompt"])
    flags = [name for name, on in body["degradation_flags"].items() if on]
    footer = f"[{body['backend']} · {body['framework']} · id {body['id']}"
    footer += f" · {', '.join(flags)}]" if flags else "]"
    click.echo(footer, err=True)


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

    from writer import demo

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
    from writer.query_timings import targets, time_queries

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
def bench(quick: bool, rounds: int | None, big_db: Path | None, output: Path | None) -> None:
    """Benchmark the write path against the HTTP ceiling, the earlier design and SQLite."""
    from writer import bench as benchmark

    config = benchmark.Config.make(quick, rounds, big_db)
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
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted")
def retention_command(
    db: Path | None, days: int | None, include_legacy: bool, dry_run: bool
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
        report = retention.run(conn, days, include_legacy=include_legacy, dry_run=dry_run)
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


def main() -> None:  # pragma: no cover - python -m writer.cli
    cli(prog_name="prompt-improver")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
