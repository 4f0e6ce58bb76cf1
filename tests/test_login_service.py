"""`prompt-improver service`: the generated launchd plist and systemd unit are valid and say
the right things; status tells the truth about a running server."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from writer import login_service
from writer.cli import cli


def test_launchd_plist_parses_and_runs_serve_at_login(tmp_path):
    home = tmp_path / "home with space"
    unit = login_service.unit_for("darwin", "127.0.0.1", 8123, tmp_path / "h.db", home=home)
    assert unit.path == home / "Library/LaunchAgents/dev.prompt-improver.serve.plist"
    plist = plistlib.loads(unit.text.encode())
    assert plist["Label"] == "dev.prompt-improver.serve"
    assert plist["ProgramArguments"] == [
        sys.executable,
        "-m",
        "writer.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "8123",
        "--db",
        str((tmp_path / "h.db").resolve()),
    ]
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["StandardErrorPath"] == str(home / "Library/Logs/prompt-improver/serve.log")
    # The project root, so a .env there is read as with `make serve`.
    assert Path(plist["WorkingDirectory"], "pyproject.toml").exists()


def test_systemd_unit_restarts_on_failure_and_quotes_paths(tmp_path):
    db = tmp_path / "my history" / "100% prompts.db"
    unit = login_service.unit_for("linux", "127.0.0.1", 8123, db, home=tmp_path)
    assert unit.path == tmp_path / ".config/systemd/user/prompt-improver.service"
    lines = dict(
        line.split("=", 1) for line in unit.text.splitlines() if "=" in line and line[0] != "#"
    )
    assert lines["Restart"] == "on-failure" and lines["WantedBy"] == "default.target"
    # Spaces quoted, % doubled (a systemd specifier otherwise).
    assert lines["ExecStart"].endswith(f'--db "{str(db.resolve()).replace("%", "%%")}"')
    assert unit.logs == "journalctl --user -u prompt-improver.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    unit = login_service.unit_for("linux", "127.0.0.1", 8123, tmp_path / "a b.db", home=tmp_path)
    path = tmp_path / "prompt-improver.service"
    path.write_text(unit.text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 on some parse errors: any line about our file is a failure.
    assert done.returncode == 0 and path.name not in done.stderr + done.stdout, done.stderr
    broken = tmp_path / "broken.service"
    broken.write_text(unit.text.replace("Type=exec", "Type=bogus"))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(broken)], capture_output=True, text=True
    )
    assert "broken.service" in done.stderr  # the check above can fail


def test_install_dry_run_prints_the_unit_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    result = CliRunner().invoke(
        cli, ["service", "install", "--dry-run", "--port", "8124", "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 0, result.output
    assert "--port 8124" in result.output or "<string>8124</string>" in result.output
    assert not (tmp_path / ".config").exists() and not (tmp_path / "Library").exists()


def test_install_refuses_a_public_address_without_a_token(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WRITE_API_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["service", "install", "--dry-run", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "WRITE_API_TOKEN" in result.output


def test_status_reports_a_running_server(serve, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    server = serve()
    result = CliRunner().invoke(cli, ["service", "status", "--port", str(server.port)])
    assert result.exit_code == 0, result.output
    assert "(not installed)" in result.output
    assert f"Serving:  http://127.0.0.1:{server.port} healthy, version" in result.output
    assert f"Database: {server.db}" in result.output
    server.stop()
    result = CliRunner().invoke(cli, ["service", "status", "--port", str(server.port)])
    assert f"nothing answers at http://127.0.0.1:{server.port}/health" in result.output
