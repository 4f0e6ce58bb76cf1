"""`prompt-improver bench`: the write path against its ceiling, the earlier design and SQLite.

Every server variant runs in its own uvicorn process on 127.0.0.1 with `serve`'s uvicorn
settings: `ours` is the `serve` command itself, the others writer/bench/servers.py. All are
driven by the same load generator: `wrk` (C, one thread) when it is installed, else
writer/bench/loadgen.py, whose own CPU is reported so a saturated generator shows. Baselines
are measured in the same run; each figure is the median over the rounds.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from writer import nlac
from writer.migrations import COLUMNS, migrate
from writer.storage import INSERT_SQL, _params, utc_now


@dataclass
class Config:
    quick: bool = False
    rounds: int = 3
    duration: float = 10.0
    concurrencies: tuple[int, ...] = (1, 16, 64)
    read_rows: int = 1_000_000
    footprint_rows: int = 1_000_000
    big_db: Path | None = None

    @classmethod
    def make(
        cls,
        quick: bool,
        rounds: int | None,
        big_db: Path | None,
        duration: float | None = None,
        rows: int | None = None,
    ) -> Config:
        if quick:
            config = cls(True, rounds or 1, 1.0, (1, 64), 5_000, 10_000, big_db)
        else:
            config = cls(False, rounds or 3, 10.0, (1, 16, 64), 1_000_000, 1_000_000, big_db)
        if duration:
            config.duration = duration
        if rows:
            config.read_rows = config.footprint_rows = rows
        return config


WRK_HINT = "for figures the generator cannot limit: apt-get install wrk, or brew install wrk"
# Where `ours` looks for its LLM: a port nothing listens on, so the probe finds no LLM and
# dspy/litellm are never loaded (the offline set-up this measures); fails fast, no network.
NO_LLM = "http://127.0.0.1:9"


@dataclass
class Results:
    generator: str = "wrk"
    thin: dict[tuple[str, int], list[dict]] = field(default_factory=dict)
    improve: dict[str, list[dict]] = field(default_factory=dict)
    bulk: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    reads: list[dict] = field(default_factory=list)
    read_urls: list[str] = field(default_factory=list)
    startup: list[float] = field(default_factory=list)
    rss_mb: float | None = None
    # `ours` after its thin writes, no LLM configured: peak RSS, and whether dspy was loaded.
    idle_rss_mb: list[float] = field(default_factory=list)
    dspy_loaded: list[bool] = field(default_factory=list)
    offline: list[dict] = field(default_factory=list)
    # `serve` with nothing listening at the LLM's address: legacy and nlac, one at a time.
    llm_down: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # variant -> per round, CPU microseconds per request at the top concurrency:
    # (the event-loop thread, every other thread of the server: the writer, the checkpointer).
    cpu: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def record(i: int = 0) -> dict:
    """A realistic history record: about 2 KB of text (the prompt, role, guardrails)."""
    result = nlac.improve("Write unit tests for the billing service", "Python 3.11, pytest")
    return {
        "original_idea": f"Write unit tests for the billing service ({i})",
        "context": "Python 3.11, pytest",
        "improved_prompt": result.improved_prompt,
        "role": result.role,
        "directive": "Write the tests; the prompt lists the deliverables.",
        "framework": "Decomposition",
        "guardrails": result.guardrails[:3],
        "reasoning": "Tests are decomposed by behaviour.",
        "confidence": result.confidence,
        "backend": "zero-shot",
        "provider": "ollama",
        "model": "llama3.1",
        "latency_ms": 2345.6,
        "prompt_tokens": 512,
        "completion_tokens": 640,
        "client": "raycast",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(variant: str, port: int, db: Path) -> list[str]:
    if variant == "ours":
        # The real command, so start-up and memory are what a user gets.
        return [sys.executable, "-m", "writer.cli", "serve", "--port", str(port), "--db", str(db)]
    return [sys.executable, "-m", "writer.bench.servers", variant, "--port", str(port)] + [
        "--db",
        str(db),
    ]


@contextmanager
def server(variant: str, db: Path, log: Path) -> Iterator[tuple[int, subprocess.Popen, float]]:
    """Start a variant; yield (port, process, seconds to the first healthy /health)."""
    port = _free_port()
    env = {
        **os.environ,
        "SQLITE_RETENTION_DAYS": "0",
        "LLM_PROVIDER": "ollama",
        "LLM_BASE_URL": NO_LLM,
    }
    with open(log, "ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            _command(variant, port, db),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=db.parent,  # no .env of a checkout is read
        )
        try:
            ready = _wait_healthy(port, proc, started, log, variant.startswith("improve"))
            yield port, proc, ready
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(
    port: int, proc: subprocess.Popen, started: float, log: Path, needs_dspy: bool
) -> float:
    deadline = started + 60
    ready = None
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited; see {log}")
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            if r.status_code == 200:
                ready = ready or time.perf_counter() - started
                # The improve variants load dspy in the background (an in-process LM):
                # measure once it is there, its import holds the GIL for seconds.
                if not needs_dspy or r.json().get("dspy_loaded", True):
                    return ready
        except httpx.HTTPError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"server not healthy in 60 s; see {log}")


def thread_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the server's main thread (the event loop) and of all its other
    threads together (the writer, the checkpointer, warm-ups); (0, 0) without Linux's /proc."""
    main = other = 0.0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            if int(tid) == pid:
                main += seconds
            else:
                other += seconds
    except (OSError, ValueError):
        return 0.0, 0.0
    return main, other


def rss_mb(proc: subprocess.Popen, field_name: str = "VmHWM") -> float:
    status = Path(f"/proc/{proc.pid}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field_name))
    return kb / 1024


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BENCH_BODY"), "rb")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests": %d, "us": %d, "status": %d, "socket": %d, "p50": %d, "p99": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def drive(port: int, path: str, body: Path, concurrency: int, duration: float) -> dict:
    """POST `body` to `path` from `concurrency` keep-alive connections for `duration` s.

    With wrk when installed, else the Python load generator. `generator_cpu` is the
    generator's own CPU time over the wall time (1.0 = one core busy: then it, not the
    server, may be the limit)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk = shutil.which("wrk")
    if wrk:
        script = body.with_suffix(".lua")
        script.write_text(WRK_SCRIPT)
        proc = subprocess.Popen(
            [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
            + ["-s", str(script), f"http://127.0.0.1:{port}{path}"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "BENCH_BODY": str(body)},
        )
        out, _ = proc.communicate(timeout=600)
        raw = json.loads(out.strip().splitlines()[-1])
        seconds = raw["us"] / 1e6
        failed = raw["status"] + raw["socket"]
        r = {
            "requests": raw["requests"],
            "seconds": round(seconds, 3),
            "per_s": round(raw["requests"] / seconds, 1),
            "acknowledged": raw["requests"] - raw["status"],
            "failed": failed,
            "p50_ms": round(raw["p50"] / 1000, 2),
            "p99_ms": round(raw["p99"] / 1000, 2),
        }
    else:
        r = result_of(load(port, path, body, concurrency, duration))
        ok = sum(n for status, n in r["statuses"].items() if status.startswith("2"))
        r["acknowledged"], r["failed"] = ok, r["requests"] - ok
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r["generator_cpu"] = round(cpu / max(r["seconds"], 1e-9), 2)
    return r


def load(
    port: int,
    path: str,
    body: Path | None,
    concurrency: int,
    duration: float,
    method: str = "POST",
    rate: float | None = None,
    paths: list[str] | None = None,
    check: str | None = None,
) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "writer.bench.loadgen",
        "--port",
        str(port),
        "--method",
        method,
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration),
    ]
    for p in paths or [path]:
        args += ["--path", p]
    if body:
        args += ["--body-file", str(body)]
    if rate:
        args += ["--rate", str(rate)]
    if check:
        args += ["--check", check]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def result_of(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=600)
    return json.loads(out)


def committed(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM prompt_history").fetchone()[0]


def run(config: Config, echo: Callable[[str], None]) -> Results:
    results = Results()
    work = Path(tempfile.mkdtemp(prefix="prompt-improver-bench-"))
    try:
        one = work / "record.json"
        one.write_text(json.dumps(record()))
        bulk = work / "bulk.json"
        bulk.write_text(json.dumps([record(i) for i in range(1000)]))
        improve = work / "improve.json"
        improve.write_text(
            json.dumps({"idea": "Design a REST API for user management", "mode": "legacy"})
        )
        log = work / "servers.log"
        if not shutil.which("wrk"):
            results.generator = "loadgen"
            echo(f"wrk not found: using the Python load generator ({WRK_HINT})")
        for round_ in range(config.rounds):
            echo(f"round {round_ + 1}/{config.rounds}: thin writes")
            for variant in ("ceiling", "ours", "ours-nofts", "earlier", "naive"):
                db = work / f"{variant}-{round_}.db"
                with server(variant, db, log) as (port, proc, ready):
                    if variant == "ours":
                        results.startup.append(ready)
                    # Without FTS only where it matters: the top concurrency.
                    levels = (
                        config.concurrencies[-1:]
                        if variant == "ours-nofts"
                        else config.concurrencies
                    )
                    # Unmeasured: lets the background warm-ups (the offline improver's
                    # indexes, ~1 s) finish and the caches fill, for every variant alike.
                    drive(port, "/api/v1/history", one, 8, 1 if config.quick else 3)
                    for c in levels:
                        before = committed(db) if variant != "ceiling" and db.exists() else 0
                        cpu_before = thread_cpu(proc.pid)
                        r = drive(port, "/api/v1/history", one, c, config.duration)
                        if c == config.concurrencies[-1] and r["requests"]:
                            cpu_after = thread_cpu(proc.pid)
                            results.cpu.setdefault(variant, []).append(
                                tuple(
                                    (b - a) / r["requests"] * 1e6
                                    for a, b in zip(cpu_before, cpu_after, strict=True)
                                )
                            )
                        if variant != "ceiling":
                            r["committed"] = committed(db) - before
                            # Acknowledged (2xx) but not in the file: lost. (Committed beyond
                            # the acknowledged: answers still in flight when the run ended.)
                            r["lost"] = max(0, r["acknowledged"] - r["committed"])
                        results.thin.setdefault((variant, c), []).append(r)
                        echo(
                            f"  {variant:8} c={c:<3} {r['per_s']:>8,.0f}/s "
                            f"p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms "
                            f"(generator CPU {r['generator_cpu']:.2f})"
                        )
                    if variant == "ours":
                        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
                        results.dspy_loaded.append(bool(health.get("dspy_loaded")))
                        results.idle_rss_mb.append(rss_mb(proc))
            echo(f"round {round_ + 1}/{config.rounds}: improve with and without recording")
            for variant in ("improve-off", "improve-on"):
                with server(variant, work / f"{variant}-{round_}.db", log) as (port, _, _):
                    r = drive(port, "/api/v1/improve-prompt", improve, 16, config.duration)
                    results.improve.setdefault(variant, []).append(r)
                    echo(f"  {variant:11} {r['per_s']:>8,.0f}/s p50 {r['p50_ms']} ms")
            echo(f"round {round_ + 1}/{config.rounds}: bulk, 1000 records per request")
            db = work / f"bulk-{round_}.db"
            with server("ours", db, log) as (port, _, _):
                r = drive(port, "/api/v1/history", bulk, 2, config.duration)
                rows = committed(db)
                results.bulk.append(rows / r["seconds"])
            results.raw.append(raw_executemany(work / f"raw-{round_}.db", max(rows, 20_000)))
            echo(
                f"  API {results.bulk[-1]:,.0f} rows/s; raw executemany "
                f"{results.raw[-1]:,.0f} rows/s"
            )
            with server("ours", work / f"down-{round_}.db", log) as (port, _, _):
                results.llm_down.append(llm_down(port, 20 if config.quick else 100))
            down = results.llm_down[-1]
            echo(
                f"  LLM down: legacy p95 {down['legacy_p95_ms']} ms, "
                f"nlac p95 {down['nlac_p95_ms']} ms over {down['n']} requests each"
            )
            results.offline.append(offline_latency(config))
            echo(
                f"  offline improver: p50 {results.offline[-1]['p50_ms']} ms "
                f"p99 {results.offline[-1]['p99_ms']} ms over {results.offline[-1]['n']} ideas"
            )
        reads_under_writes(config, results, work, one, log, echo)
        footprint(config, results, work, bulk, log, echo)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def llm_down(port: int, n: int) -> dict:
    """`n` legacy then `n` nlac requests, one at a time, as the extension sends them, to a
    `serve` whose LLM address has nothing listening: legacy must answer at offline speed."""
    url = f"http://127.0.0.1:{port}/api/v1/improve-prompt"
    out: dict = {"n": n}
    with httpx.Client(timeout=30) as client:
        # Unmeasured, as for the other variants: the offline improver warms up after start.
        warm_until = time.monotonic() + 3
        while time.monotonic() < warm_until:
            client.post(url, json={"idea": "Plan a weekend away", "mode": "legacy"})
        for mode in ("legacy", "nlac"):
            times = []
            for i in range(n):
                body = {"idea": f"Plan a weekend in Lisbon with friends ({i})", "mode": mode}
                started = time.perf_counter()
                answer = client.post(url, json=body)
                times.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
            times.sort()
            out[f"{mode}_p50_ms"] = round(times[len(times) // 2], 2)
            out[f"{mode}_p95_ms"] = round(times[min(len(times) - 1, int(len(times) * 0.95))], 2)
    return out


def offline_latency(config: Config) -> dict:
    """The offline improver in this process, over labelled ideas in both languages (data/ in a
    checkout, else the shipped training ideas): milliseconds per improvement."""
    from writer.offline import learned

    nlac.warm_up()
    data = Path(__file__).resolve().parents[2] / "data"
    files = sorted(data.glob("ideas-*.json")) or [learned.TRAIN_PATH]
    ideas = [r for f in files for r in json.loads(f.read_text(encoding="utf-8"))]
    if config.quick:
        ideas = ideas[:200]
    times = []
    for r in ideas:
        started = time.perf_counter()
        nlac.improve(r["idea"], r.get("context", ""))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "n": len(times),
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
    }


def raw_executemany(db: Path, rows: int) -> float:
    """SQLite's own limit for these rows: one executemany in one transaction, same schema."""
    migrate(db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    base = record()
    base["created_at"] = utc_now()
    params = [
        _params({**base, "original_idea": f"idea {i}", "row_key": f"k{i}"}) for i in range(rows)
    ]
    assert len(params[0]) == len(COLUMNS)
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(INSERT_SQL, params)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


READ_URLS = [
    "/prompt_history/prompt_history",
    "/prompt_history/search.json?q=postgres",
    "/prompt_history/period_totals.json?days=30",
    "/prompt_history/volume_per_day.json?days=30",
    "/prompt_history/daily_latency_by_model.json?days=30",
    "/prompt_history/failures_per_day.json?days=30",
    "/prompt_history/framework_mix.json?days=30",
    "/prompt_history/tokens_cost_per_day.json?days=30",
    "/prompt_history/confidence_distribution.json?days=30",
    "/prompt_history/model_summary.json?days=30",
]


def reads_under_writes(
    config: Config, results: Results, work: Path, one: Path, log: Path, echo: Callable[[str], None]
) -> None:
    from writer.bench import demo

    if config.big_db:
        db = config.big_db
        echo(f"reads under writes: on {db}")
    else:
        db = work / "reads.db"
        echo(f"reads under writes: generating {config.read_rows:,} rows (demo-data)")
        demo.write(db, config.read_rows, days=90)
    max_rate = statistics.median(r["per_s"] for r in results.thin[("ours", 64)])
    results.read_urls = READ_URLS
    with server("ours", db, log) as (port, _, _):
        writes = load(port, "/api/v1/history", one, 16, config.duration * 2, rate=max_rate / 2)
        reads = load(
            port,
            "",
            None,
            2,
            config.duration * 2,
            method="GET",
            paths=READ_URLS,
            check="database is locked",
        )
        results.reads.append(result_of(reads))
        write_result = result_of(writes)
    echo(
        f"  writes at {write_result['per_s']:,.0f}/s (half of {max_rate:,.0f}); "
        f"reads: {results.reads[-1]['statuses']}"
    )


def footprint(
    config: Config, results: Results, work: Path, bulk: Path, log: Path, echo: Callable[[str], None]
) -> None:
    db = work / "footprint.db"
    echo(f"footprint: writing {config.footprint_rows:,} rows, then reading peak RSS")
    with server("ours", db, log) as (port, proc, _):
        payload = bulk.read_bytes()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(config.footprint_rows // 1000):
                r = client.post(
                    "/api/v1/history", content=payload, headers={"content-type": "application/json"}
                )
                if r.status_code != 201:
                    raise RuntimeError(f"bulk write failed: {r.status_code} {r.text[:200]}")
        results.rss_mb = rss_mb(proc)
    echo(f"  peak RSS {results.rss_mb:,.0f} MB after {committed(db):,} rows")


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _cpu_budget(
    results: Results, top: int, ceiling: float, med: dict[tuple[str, int], float]
) -> list[str]:
    """Server CPU per request at the top concurrency, and what the 0.8 x target would take."""
    if not all(results.cpu.get(v) for v in ("ceiling", "ours")) or not any(results.cpu["ours"][0]):
        return []
    lines = [
        "",
        f"Server CPU per request at {top} clients (from /proc, medians of the rounds):",
        "",
        "| variant | event loop µs | other threads µs | total µs |",
        "| --- | ---: | ---: | ---: |",
    ]
    for variant in ("ceiling", "ours", "ours-nofts"):
        runs = results.cpu.get(variant)
        if runs:
            loop = _median([r[0] for r in runs])
            other = _median([r[1] for r in runs])
            lines.append(f"| {variant} | {loop:,.0f} | {other:,.0f} | {loop + other:,.0f} |")
    runs = results.cpu["ours"]
    total = _median([r[0] + r[1] for r in runs])
    loop = _median([r[0] for r in runs])
    wanted = 0.8 * ceiling
    generator = max(r["generator_cpu"] for r in results.thin[("ours", top)])
    lines += [
        "",
        f"At 0.8 × the ceiling ({wanted:,.0f} requests/s) and today's cost per request, ours "
        f"would need {wanted * total / 1e6:.2f} cores in all and {wanted * loop / 1e6:.2f} "
        f"for its event-loop thread alone (one thread runs on one core); this machine has "
        f"{os.cpu_count()}, the load generator uses {generator:.2f} of them.",
    ]
    return lines


def report(config: Config, results: Results) -> str:
    """The Markdown tables of one run, with ratios and the targets."""
    lines = [
        f"Run: {'quick' if config.quick else 'full'}, {config.rounds} round(s) of "
        f"{config.duration:g} s per measurement, medians; {os.cpu_count()} cores; load "
        + (
            "generator: wrk (one thread)."
            if results.generator == "wrk"
            else f"generator: writer/bench/loadgen.py (wrk not installed; {WRK_HINT})."
        ),
        "",
    ]
    lines += [
        "**1. Thin write** (`POST /api/v1/history`, one ~2 KB record per request)",
        "",
        "| variant | clients | rows/s | p50 ms | p99 ms | committed | lost | failed "
        "| generator CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    med: dict[tuple[str, int], float] = {}
    p99s: dict[tuple[str, int], float] = {}
    lost = 0
    for (variant, c), runs in results.thin.items():
        per_s = _median([r["per_s"] for r in runs])
        med[(variant, c)] = per_s
        p99s[(variant, c)] = _median([r["p99_ms"] for r in runs])
        stored = variant != "ceiling"
        done = f"{sum(r['committed'] for r in runs):,}" if stored else "n/a"
        gone = sum(r["lost"] for r in runs) if stored else 0
        if variant.startswith("ours"):
            lost += gone
        lines.append(
            f"| {variant} | {c} | {per_s:,.0f} | "
            f"{_median([r['p50_ms'] for r in runs]):.2f} | "
            f"{p99s[(variant, c)]:.2f} | {done} | {gone if stored else 'n/a'} | "
            f"{sum(r['failed'] for r in runs):,} | "
            f"{max(r['generator_cpu'] for r in runs):.2f} |"
        )
    top = max(config.concurrencies)
    ours, ceiling = med[("ours", top)], med[("ceiling", top)]
    nofts = med[("ours-nofts", top)]
    earlier, naive = med[("earlier", top)], med[("naive", top)]
    p99 = p99s[("ours", top)]
    p99_one = p99s.get(("ours", 1))
    on = _median([r["per_s"] for r in results.improve["improve-on"]])
    off = _median([r["per_s"] for r in results.improve["improve-off"]])
    bulk, raw = _median(results.bulk), _median(results.raw)
    lines += _cpu_budget(results, top, ceiling, med)
    lines += [
        "",
        "**2. Improve overhead** (`POST /api/v1/improve-prompt`, instant LM, 16 clients)",
        "",
        "| recording | requests/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for variant in ("improve-on", "improve-off"):
        runs = results.improve[variant]
        lines.append(
            f"| {'on' if variant == 'improve-on' else 'off'} | "
            f"{_median([r['per_s'] for r in runs]):,.0f} | "
            f"{_median([r['p50_ms'] for r in runs]):.2f} | "
            f"{_median([r['p99_ms'] for r in runs]):.2f} |"
        )
    lines += [
        "",
        "**3. Bulk** (arrays of 1000 records, 2 clients)",
        "",
        f"API {bulk:,.0f} rows/s; raw `executemany` in one transaction {raw:,.0f} rows/s.",
        "",
        "**4. Reads under writes** (Datasette, 2 readers, while thin writes run at "
        "half their maximum rate)",
        "",
        "| page or query | p50 ms | p95 ms |",
        "| --- | ---: | ---: |",
    ]
    worst_p95 = 0.0
    for i, url in enumerate(results.read_urls):
        p50 = _median([r["by_request"][i]["p50_ms"] for r in results.reads])
        p95 = _median([r["by_request"][i]["p95_ms"] for r in results.reads])
        worst_p95 = max(worst_p95, p95)
        lines.append(f"| `{url}` | {p50:,.1f} | {p95:,.1f} |")
    locked = sum(r["problems"].get("database is locked", 0) for r in results.reads)
    bad = sum(n for r in results.reads for s, n in r["statuses"].items() if s != "200")
    startup = _median(results.startup)
    offline_p50 = _median([r["p50_ms"] for r in results.offline])
    offline_p99 = _median([r["p99_ms"] for r in results.offline])
    down_legacy = _median([r["legacy_p95_ms"] for r in results.llm_down])
    down_nlac = _median([r["nlac_p95_ms"] for r in results.llm_down])
    lines += [
        "",
        f"**5. Offline improver** (`mode: nlac`, in process, {results.offline[0]['n']} labelled "
        f"ideas): p50 {offline_p50:.2f} ms, p99 {offline_p99:.2f} ms per improvement. Over HTTP "
        f"with the LLM down ({results.llm_down[0]['n']} requests each, one at a time): legacy "
        f"p95 {down_legacy:.2f} ms, nlac p95 {down_nlac:.2f} ms.",
        "",
        f"**6. Footprint**: `serve` start to first healthy `/health` {startup:.2f} s; "
        f"peak RSS {max(results.idle_rss_mb):,.0f} MB after the thin writes (no LLM, "
        f"dspy not loaded), {results.rss_mb:,.0f} MB after {config.footprint_rows:,} rows.",
        "",
        "**Targets** (ratios from this run)",
        "",
        "| target | measured | met |",
        "| --- | --- | --- |",
    ]

    def row(name: str, measured: str, ok: bool) -> None:
        lines.append(f"| {name} | {measured} | {'yes' if ok else '**no**'} |")

    row(
        f"thin write at {top} clients ≥ 0.8 × HTTP ceiling",
        f"{ours / ceiling:.2f} ×",
        ours >= 0.8 * ceiling,
    )
    row(
        f"thin write at {top} clients ≥ 10 × earlier design",
        f"{ours / earlier:.1f} ×",
        ours >= 10 * earlier,
    )
    row("(for reference) versus naive per-request commits", f"{ours / naive:.1f} ×", True)
    row(
        "(for reference) the same without the FTS index: versus ceiling, versus earlier",
        f"{nofts / ceiling:.2f} ×, {nofts / earlier:.1f} ×",
        True,
    )
    row(f"thin write p99 at {top} clients ≤ 25 ms", f"{p99:.1f} ms", p99 <= 25)
    if p99_one is not None:
        row("thin write p99 at 1 client ≤ 5 ms", f"{p99_one:.1f} ms", p99_one <= 5)
    row("rows lost (acknowledged, not in the file)", f"{lost}", lost == 0)
    row("improve with recording ≥ 0.9 × without", f"{on / off:.2f} ×", on >= 0.9 * off)
    row("bulk ≥ 0.5 × raw executemany", f"{bulk / raw:.2f} ×", bulk >= 0.5 * raw)
    row(
        "reads under writes: no 'database is locked', every response 200",
        f"{locked} locked, {bad} not 200",
        locked == 0 and bad == 0,
    )
    row(
        f"reads under writes: p95 of every query < 1 s at {config.read_rows:,} rows",
        f"worst p95 {worst_p95:,.0f} ms",
        worst_p95 < 1000,
    )
    row("offline improvement p99 < 20 ms", f"{offline_p99:.2f} ms", offline_p99 < 20)
    row(
        "LLM down: legacy answers at offline speed (p95 ≤ 2 × nlac's, or under 20 ms)",
        f"{down_legacy:.2f} ms vs {down_nlac:.2f} ms",
        down_legacy <= max(2 * down_nlac, 20),
    )
    row("start-up to healthy < 1.5 s", f"{startup:.2f} s", startup < 1.5)
    idle = max(results.idle_rss_mb)
    row(
        "RSS ≤ 120 MB until an LLM is needed (peak, after the thin writes, no LLM)",
        f"{idle:,.0f} MB; dspy {'loaded' if any(results.dspy_loaded) else 'not loaded'}",
        idle <= 120 and not any(results.dspy_loaded),
    )
    row(
        f"server RSS < 300 MB after {config.footprint_rows:,} rows",
        f"{results.rss_mb:,.0f} MB",
        (results.rss_mb or 0) < 300,
    )
    return "\n".join(lines)
