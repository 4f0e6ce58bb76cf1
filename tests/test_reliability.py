"""Nothing acknowledged is lost: spool and replay, breaker, crash, retention, WAL, backups."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from tests.conftest import ROOT, ServeProcess, running
from writer import rollups
from writer.app import create_app
from writer.backup import checksum
from writer.settings import Settings
from writer.spool import Spool
from writer.storage import replay_spool

pytestmark = pytest.mark.anyio
IDEA = {"idea": "Plan a sprint for the billing team", "mode": "nlac"}


def settings_for(db_path: Path, **overrides) -> Settings:
    values = dict(
        _env_file=None, sqlite_db_path=db_path, sqlite_busy_timeout_ms=50, sqlite_retention_days=0
    )
    values.update(overrides)
    return Settings(**values)


@contextmanager
def locked(db_path: Path):
    """Another process-like connection holding the write lock."""
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


async def settled_health(client, done, timeout: float = 5.0) -> dict:
    """/health's database block once `done(block)` holds (replays run after the commit)."""
    deadline = time.monotonic() + timeout
    while True:
        block = (await client.get("/health")).json()["database"]
        if done(block) or time.monotonic() > deadline:
            return block
        time.sleep(0.02)


def rows(db_path: Path) -> list[dict]:
    return list(sqlite_utils.Database(db_path)["prompt_history"].rows_where(order_by="id"))


def rollups_consistent(db_path: Path) -> bool:
    db = sqlite_utils.Database(db_path)
    kept = db.execute(
        "SELECT day, mode, backend, model, status, framework, requests "
        "FROM daily_stats ORDER BY 1, 2, 3, 4, 5, 6"
    ).fetchall()
    hist = db.execute("SELECT * FROM daily_histograms ORDER BY 1, 2, 3, 4").fetchall()
    rollups.backfill(db, "prompt_history")
    db.conn.commit()
    return (
        kept
        == db.execute(
            "SELECT day, mode, backend, model, status, framework, requests "
            "FROM daily_stats ORDER BY 1, 2, 3, 4, 5, 6"
        ).fetchall()
        and hist == db.execute("SELECT * FROM daily_histograms ORDER BY 1, 2, 3, 4").fetchall()
    )


async def test_locked_database_spools_then_replays_exactly_once(db_path):
    async with running(create_app(settings_for(db_path), with_datasette=False)) as client:
        await client.post("/api/v1/improve-prompt", json=IDEA)  # creates the file
        with locked(db_path):
            r = await client.post(
                "/api/v1/improve-prompt", json=IDEA, headers={"X-Request-ID": "spooled-1"}
            )
            assert r.status_code == 200
            assert r.json()["id"] is None
            assert r.json()["degradation_flags"]["persistence_failed"] is True
            batch = await client.post(
                "/api/v1/history",
                json=[{"original_idea": f"offline {i}", "improved_prompt": "p"} for i in range(3)],
            )
            assert batch.status_code == 202 and batch.json()["spooled"] is True
            health = (await client.get("/health")).json()["database"]
            assert health["spool"]["rows"] == 4 and health["spool"]["oldest_age_s"] >= 0
        # The next write finds the database healthy and replays the spool after it.
        after = await client.post("/api/v1/improve-prompt", json=IDEA)
        assert isinstance(after.json()["id"], int)
        health = await settled_health(client, lambda h: h["spool"]["rows"] == 0)
        assert health["spool"]["rows"] == 0 and health["rows_replayed"] == 4
    stored = rows(db_path)
    assert len(stored) == 6
    assert [r["request_id"] for r in stored].count("spooled-1") == 1
    assert len({r["row_key"] for r in stored}) == 6
    assert rollups_consistent(db_path)


async def test_breaker_opens_and_keeps_requests_fast(db_path):
    settings = settings_for(
        db_path,
        sqlite_busy_timeout_ms=400,
        sqlite_breaker_threshold=2,
        sqlite_breaker_cooldown_s=1.0,
    )
    async with running(create_app(settings, with_datasette=False)) as client:
        await client.post("/api/v1/improve-prompt", json=IDEA)
        timings = []
        with locked(db_path):
            for _ in range(4):
                started = time.monotonic()
                r = await client.post("/api/v1/improve-prompt", json=IDEA)
                timings.append(time.monotonic() - started)
                assert r.json()["degradation_flags"]["persistence_failed"] is True
            health = (await client.get("/health")).json()["database"]
            assert health["breaker"] == "open" and health["consecutive_failures"] == 2
        # Two requests paid the busy timeout; with the breaker open the rest did not.
        assert min(timings[:2]) >= 0.35 and max(timings[2:]) < 0.2
        time.sleep(1.1)  # cooldown over: the next write probes and closes the breaker
        ok = await client.post("/api/v1/improve-prompt", json=IDEA)
        assert isinstance(ok.json()["id"], int)
        health = await settled_health(client, lambda h: h["spool"]["rows"] == 0)
        assert health["breaker"] == "closed" and health["spool"]["rows"] == 0
    assert len(rows(db_path)) == 6


def test_torn_last_line_is_skipped_and_replay_is_idempotent(tmp_path, db_path):
    from writer.migrations import connect, migrate

    migrate(db_path)
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append(
        [
            {
                "row_key": f"k{i}",
                "created_at": "2026-01-01T00:00:00.000Z",
                "original_idea": f"idea {i}",
                "improved_prompt": "p",
                "status": "ok",
            }
            for i in range(3)
        ]
    )
    with open(spool.path, "ab") as f:
        f.write(b'{"row_key": "k3", "original_id')  # a crash mid-write
    saved = spool.path.read_bytes()
    conn = connect(db_path).conn
    conn.isolation_level = None
    assert replay_spool(conn, Spool(spool.path)) == (3, 1)
    # A crash after the replay's COMMIT but before the truncate: the same spool again.
    spool.path.write_bytes(saved)
    assert replay_spool(conn, Spool(spool.path)) == (0, 1)
    assert spool.path.read_bytes() == b""
    assert [r["row_key"] for r in rows(db_path)] == ["k0", "k1", "k2"]


def test_spool_replay_command(tmp_path, db_path):
    from click.testing import CliRunner

    from writer.cli import cli
    from writer.spool import spool_path

    Spool(spool_path(db_path)).append(
        [
            {
                "row_key": "offline-1",
                "created_at": "2026-01-01T00:00:00.000Z",
                "original_idea": "written while the database was offline",
                "improved_prompt": "p",
                "status": "ok",
            }
        ]
    )
    result = CliRunner().invoke(cli, ["spool", "replay", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "Replayed 1 rows" in result.output
    again = CliRunner().invoke(cli, ["spool", "replay", "--db", str(db_path)])
    assert "nothing to replay" in again.output
    assert [r["row_key"] for r in rows(db_path)] == ["offline-1"]


async def test_removed_database_file_is_recreated(db_path):
    async with running(create_app(settings_for(db_path), with_datasette=False)) as client:
        first = await client.post("/api/v1/improve-prompt", json=IDEA)
        assert first.json()["id"] == 1
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        r = await client.post("/api/v1/improve-prompt", json=IDEA)
        assert r.json()["id"] == 1 and not r.json()["degradation_flags"]["persistence_failed"]
    assert len(rows(db_path)) == 1  # written to the new file, not the deleted inode


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs: a real full disk and a real read-only file system (needs root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


async def test_full_disk_then_read_only_file_system(small_disk, tmp_path):
    db_path = small_disk / "history.db"
    settings = settings_for(
        db_path, sqlite_spool_path=tmp_path / "spool.jsonl", sqlite_breaker_threshold=1000
    )
    big = "x" * 90_000
    acknowledged = 0
    async with running(create_app(settings, with_datasette=False)) as client:
        # Fill the disk: every request still answers, every row is kept somewhere.
        for i in range(60):
            r = await client.post(
                "/api/v1/history",
                json={
                    "original_idea": f"big {i}",
                    "improved_prompt": big,
                    "request_id": f"big-{i}",
                },
            )
            assert r.status_code in (201, 202), r.text
            acknowledged += 1
        health = (await client.get("/health")).json()["database"]
        assert health["spool"]["rows"] > 0 and "full" in health["last_error"]
        # Room again: the next write commits and the spool is replayed into the database.
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        r = await client.post("/api/v1/improve-prompt", json=IDEA)
        assert isinstance(r.json()["id"], int)
        acknowledged += 1
        health = await settled_health(client, lambda h: h["spool"]["rows"] == 0)
        assert health["spool"]["rows"] == 0
    # The file system turns read-only while the server is down; it starts all the same.
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    async with running(create_app(settings, with_datasette=False)) as client:
        r = await client.post("/api/v1/improve-prompt", json=IDEA)
        assert r.status_code == 200
        assert r.json()["degradation_flags"]["persistence_failed"] is True
        acknowledged += 1
        health = (await client.get("/health")).json()
        assert health["status"] == "healthy" and health["database"]["spool"]["rows"] == 1
        # WAL needs its -shm file: on a read-only file system SQLite cannot even open it.
        assert "unable to open" in health["database"]["last_error"]
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
        r = await client.post("/api/v1/improve-prompt", json=IDEA)
        assert isinstance(r.json()["id"], int)
        acknowledged += 1
        health = await settled_health(client, lambda h: h["spool"]["rows"] == 0)
        assert health["spool"]["rows"] == 0
    stored = rows(db_path)
    assert len(stored) == acknowledged
    assert sorted(r["request_id"] for r in stored if r["request_id"].startswith("big-")) == sorted(
        f"big-{i}" for i in range(60)
    )
    assert sqlite_utils.Database(db_path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert rollups_consistent(db_path)


def test_sigkill_mid_stream_loses_no_acknowledged_row(db_path):
    """Several clients write; the server is killed with SIGKILL; every 201 is on disk once."""
    server = ServeProcess(db_path, {"SQLITE_RETENTION_DAYS": "0"}).start()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        seq = 0
        with httpx.Client(base_url=server.url, timeout=5) as http:
            while not stop.is_set():
                batch = [
                    {
                        "original_idea": f"client {n} row {seq + i}",
                        "improved_prompt": "p",
                        "request_id": f"c{n}-{seq + i}",
                    }
                    for i in range(1 + seq % 7)
                ]
                seq += len(batch)
                try:
                    r = http.post("/api/v1/history", json=batch)
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 201:
                    with lock:
                        acknowledged.extend(row["request_id"] for row in batch)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    time.sleep(3.0)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 200
    restarted = ServeProcess(db_path, {"SQLITE_RETENTION_DAYS": "0"}).start()
    try:
        assert httpx.get(f"{restarted.url}/health").json()["status"] == "healthy"
    finally:
        restarted.stop()
    db = sqlite_utils.Database(db_path)
    stored = [r[0] for r in db.execute("SELECT request_id FROM prompt_history")]
    counts = {key: 0 for key in acknowledged}
    for key in stored:
        if key in counts:
            counts[key] += 1
    assert [key for key, n in counts.items() if n != 1] == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"\nacknowledged {len(acknowledged)} rows, stored {len(stored)}, lost 0")


async def test_retention_deletes_old_rows_keeps_legacy_and_stays_consistent(db_path):
    old = [
        {
            "original_idea": f"old {i}",
            "improved_prompt": "p",
            "client": client,
            "created_at": f"2020-01-0{i % 9 + 1}T10:00:00Z",
            "latency_ms": 100 + i,
        }
        for i, client in enumerate(["api"] * 450 + ["legacy"] * 5)
    ]
    recent = [{"original_idea": f"new {i}", "improved_prompt": "p"} for i in range(10)]
    async with running(create_app(settings_for(db_path), with_datasette=False)) as client:
        assert (await client.post("/api/v1/history", json=old)).status_code == 201
        assert (await client.post("/api/v1/history", json=recent)).status_code == 201
    from click.testing import CliRunner

    from writer.cli import cli

    preview = CliRunner().invoke(
        cli, ["retention", "--days", "30", "--dry-run", "--db", str(db_path)]
    )
    assert "Would delete 450 rows" in preview.output
    async with running(
        create_app(settings_for(db_path, sqlite_retention_days=30), with_datasette=False)
    ) as client:
        for _ in range(100):  # retention runs between requests, 200 rows per batch
            health = (await client.get("/health")).json()["database"]
            if health["rows_expired"] == 450:
                break
            time.sleep(0.05)
        assert health["rows_expired"] == 450
    remaining = rows(db_path)
    assert len(remaining) == 15 and sum(r["client"] == "legacy" for r in remaining) == 5
    fts = (
        sqlite_utils.Database(db_path)
        .execute("SELECT count(*) FROM prompt_history_fts WHERE prompt_history_fts MATCH 'old'")
        .fetchone()[0]
    )
    assert fts == 5
    assert rollups_consistent(db_path)
    legacy = CliRunner().invoke(
        cli, ["retention", "--days", "30", "--include-legacy", "--db", str(db_path)]
    )
    assert "Deleted 5 rows" in legacy.output


def test_wal_stays_bounded_under_writes_with_readers(db_path):
    """A long write load while Datasette pages are read: the WAL keeps being restarted.

    The load is a fixed amount of data (not a fixed time, so a slow machine writes as much,
    only later), and the bound is relative to it: a WAL that is never restarted (no
    checkpoints, or readers pinning it) grows past the data written, so it fails."""
    server = ServeProcess(
        db_path, {"SQLITE_CHECKPOINT_INTERVAL_S": "0.5", "SQLITE_RETENTION_DAYS": "0"}
    ).start()
    wal = Path(f"{db_path}-wal")
    sizes: list[int] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                http.get("/prompt_history/prompt_history?_size=50")
                http.get("/prompt_history/search.json?q=load")

    def sample() -> None:
        while not stop.is_set():
            sizes.append(wal.stat().st_size if wal.exists() else 0)
            time.sleep(0.05)

    helpers = [threading.Thread(target=read) for _ in range(2)] + [threading.Thread(target=sample)]
    for t in helpers:
        t.start()
    text = "load " + "y" * 3000
    target_mb, written = 48, 0
    started = time.monotonic()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            while written * 6000 / 1e6 < target_mb:
                assert time.monotonic() - started < 300, f"only {written} rows in 300 s"
                r = http.post(
                    "/api/v1/history",
                    json=[{"original_idea": text, "improved_prompt": text} for _ in range(100)],
                )
                assert r.status_code == 201
                written += 100
    finally:
        stop.set()
        for t in helpers:
            t.join()
        server.stop()
    data_mb = written * 6000 / 1e6
    peak_mb = max(sizes) / 1e6
    # 60 % of the data written (and the 64 MB journal_size_limit); ~17 MB is typical.
    assert peak_mb < min(64, data_mb * 0.6), f"WAL reached {peak_mb:.0f} MB for {data_mb:.0f} MB"
    print(
        f"\nwrote {written} rows (~{data_mb:.0f} MB) in {time.monotonic() - started:.0f} s, "
        f"WAL peaked at {peak_mb:.1f} MB"
    )


def test_backup_while_serving_and_restore_round_trip(db_path, tmp_path):
    server = ServeProcess(db_path, {"SQLITE_RETENTION_DAYS": "0"}).start()
    stop = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                http.post(
                    "/api/v1/history",
                    json=[{"original_idea": "during backup", "improved_prompt": "p"}] * 20,
                )

    httpx.post(
        f"{server.url}/api/v1/history",
        json=[{"original_idea": f"before {i}", "improved_prompt": "p"} for i in range(500)],
    )
    writer = threading.Thread(target=write)
    writer.start()
    try:
        backup = tmp_path / "backup.db"
        done = subprocess.run(
            [sys.executable, "-m", "writer.cli", "backup", str(backup), "--db", str(db_path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        assert "integrity ok" in done.stdout
        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "writer.cli",
                "restore",
                str(backup),
                "--db",
                str(db_path),
                "--yes",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert refused.returncode == 1 and "stop it first" in refused.stderr
    finally:
        stop.set()
        writer.join()
        server.stop()
    backed_rows, backed_sum = checksum(backup)
    assert backed_rows >= 500
    # Every row in the backup is the source's row with the same id, unchanged.
    source = sqlite_utils.Database(db_path)
    max_id = (
        sqlite_utils.Database(backup).execute("SELECT max(id) FROM prompt_history").fetchone()[0]
    )
    assert (
        source.execute("SELECT count(*) FROM prompt_history WHERE id <= ?", [max_id]).fetchone()[0]
        == backed_rows
    )
    restored = tmp_path / "restored.db"
    done = subprocess.run(
        [sys.executable, "-m", "writer.cli", "restore", str(backup), "--db", str(restored)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert checksum(restored) == (backed_rows, backed_sum)
    assert backed_sum[:16] in done.stdout


async def test_write_token(db_path):
    settings = settings_for(db_path, write_api_token="s3cret-token")
    async with running(create_app(settings, with_datasette=False)) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
            r = await client.post("/api/v1/improve-prompt", json=IDEA, headers=headers)
            assert r.status_code == 401 and "Bearer" in r.json()["detail"]
            assert r.headers["www-authenticate"] == "Bearer"
        r = await client.post(
            "/api/v1/history", json={"original_idea": "a", "improved_prompt": "b"}
        )
        assert r.status_code == 401
        ok = await client.post(
            "/api/v1/improve-prompt", json=IDEA, headers={"Authorization": "Bearer s3cret-token"}
        )
        assert ok.status_code == 200
        assert (await client.get("/health")).status_code == 200
    assert len(rows(db_path)) == 1


def test_serve_refuses_a_public_address_without_a_token(db_path):
    done = subprocess.run(
        [sys.executable, "-m", "writer.cli", "serve", "--host", "0.0.0.0", "--db", str(db_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "WRITE_API_TOKEN": ""},
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to bind 0.0.0.0 without WRITE_API_TOKEN" in done.stderr


async def test_cors_is_off_unless_configured(db_path):
    preflight = {"Origin": "https://example.test", "Access-Control-Request-Method": "POST"}
    async with running(create_app(settings_for(db_path), with_datasette=False)) as client:
        r = await client.post(
            "/api/v1/improve-prompt", json=IDEA, headers={"Origin": "https://example.test"}
        )
        assert "access-control-allow-origin" not in r.headers
    allowed = settings_for(db_path, cors_allow_origins="https://example.test")
    async with running(create_app(allowed, with_datasette=False)) as client:
        r = await client.options("/api/v1/improve-prompt", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://example.test"
        other = await client.options(
            "/api/v1/improve-prompt", headers={**preflight, "Origin": "https://evil.test"}
        )
        assert "access-control-allow-origin" not in other.headers


def test_spool_file_is_jsonl_with_one_row_per_line(tmp_path):
    spool = Spool(tmp_path / "s.jsonl")
    spool.append([{"row_key": "a", "original_idea": "ñ"}, {"row_key": "b"}])
    lines = spool.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["row_key"] for line in lines] == ["a", "b"]
    assert Spool(spool.path).rows == 2
    # Appending keeps what is there: a second batch adds lines.
    spool.append([{"row_key": "c"}])
    assert [json.loads(line)["row_key"] for line in spool.path.read_text().splitlines()] == [
        "a",
        "b",
        "c",
    ]
    assert Spool(spool.path).rows == 3 and spool.rows == 3
    # Readable text (not \u escapes), private to the user, and its age survives a restart.
    assert '"original_idea": "ñ"' in spool.path.read_text(encoding="utf-8")
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    times = [json.loads(line)["spooled_at"] for line in spool.path.read_text().splitlines()]
    assert Spool(spool.path).oldest == min(times) and 0 <= time.time() - min(times) < 60
