"""Start `serve` at login: a launchd agent on macOS, a systemd user unit on Linux.

The unit runs this checkout's Python (`sys.executable`, the .venv) from the project root, so
a `.env` there is read as with `make serve`; it restarts on failure and logs where each
system keeps logs (~/Library/Logs/prompt-improver/ on macOS, the user journal on Linux).
"""

from __future__ import annotations

import json
import plistlib
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from writer.settings import PROJECT_ROOT

LABEL = "dev.prompt-improver.serve"  # launchd label (reverse-DNS, as launchd expects)
UNIT = "prompt-improver.service"  # systemd user unit


@dataclass
class Unit:
    """One generated unit: where it goes, what it says, how to drive it."""

    system: str  # "launchd" or "systemd"
    path: Path
    text: str
    logs: str  # where to read the log, in words a person can paste

    def commands(self, action: str) -> list[list[str]]:
        """The commands `install`/`uninstall` run after writing/before removing the file."""
        if self.system == "launchd":
            domain = f"gui/{_uid()}"
            return {
                "install": [["launchctl", "bootstrap", domain, str(self.path)]],
                "uninstall": [["launchctl", "bootout", f"{domain}/{LABEL}"]],
            }[action]
        return {
            "install": [
                ["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", UNIT],
            ],
            "uninstall": [["systemctl", "--user", "disable", "--now", UNIT]],
        }[action]


def _uid() -> int:
    import os

    return os.getuid()


def serve_command(python: str, host: str, port: int, db: Path) -> list[str]:
    return [
        python,
        "-m",
        "writer.cli",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--db",
        str(db),
    ]


def launchd_plist(
    python: str, host: str, port: int, db: Path, home: Path, root: Path = PROJECT_ROOT
) -> str:
    logs = home / "Library" / "Logs" / "prompt-improver"
    plist = {
        "Label": LABEL,
        "ProgramArguments": serve_command(python, host, port, db),
        "WorkingDirectory": str(root),
        "RunAtLoad": True,
        # Restart when it exits with an error (or is killed), not after a clean stop.
        "KeepAlive": {"SuccessfulExit": False},
        # Do not restart in a tight loop when it cannot start at all.
        "ThrottleInterval": 10,
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
        "StandardOutPath": str(logs / "serve.log"),
        "StandardErrorPath": str(logs / "serve.log"),
        "ProcessType": "Interactive",  # a hotkey backend: not throttled like a batch job
    }
    return plistlib.dumps(plist).decode()


def _systemd_quote(arg: str) -> str:
    """One ExecStart argument: % is a specifier, spaces and quotes need double quotes."""
    arg = arg.replace("%", "%%")
    if any(c in arg for c in " \t\"\\'") or not arg:
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def systemd_unit(python: str, host: str, port: int, db: Path, root: Path = PROJECT_ROOT) -> str:
    exec_start = " ".join(_systemd_quote(a) for a in serve_command(python, host, port, db))
    return f"""[Unit]
Description=prompt-improver: API and Datasette on http://{host}:{port}
Documentation=file://{quote(str(root / "docs" / "service.md"))}

[Service]
Type=exec
WorkingDirectory={_systemd_quote(str(root))}
ExecStart={exec_start}
Environment=PYTHONUNBUFFERED=1
Restart=on-failure
RestartSec=5
# Ctrl-C semantics: serve flushes the writer queue on SIGINT before it exits.
KillSignal=SIGINT
TimeoutStopSec=30

[Install]
WantedBy=default.target
"""


def unit_for(
    platform: str, host: str, port: int, db: Path, home: Path | None = None, python: str = ""
) -> Unit:
    """The unit for `platform` ("darwin" or "linux") serving `db` on host:port."""
    home = home or Path.home()
    python = python or sys.executable
    db = db.expanduser().resolve()
    if platform == "darwin":
        return Unit(
            "launchd",
            home / "Library" / "LaunchAgents" / f"{LABEL}.plist",
            launchd_plist(python, host, port, db, home),
            str(home / "Library" / "Logs" / "prompt-improver" / "serve.log"),
        )
    if platform.startswith("linux"):
        return Unit(
            "systemd",
            home / ".config" / "systemd" / "user" / UNIT,
            systemd_unit(python, host, port, db),
            f"journalctl --user -u {UNIT}",
        )
    raise ValueError(f"{platform}: only macOS (launchd) and Linux (systemd) are supported")


def run(commands: list[list[str]]) -> list[str]:
    """Run each command; returns the problems (a missing tool, a non-zero exit), if any."""
    problems = []
    for command in commands:
        if shutil.which(command[0]) is None:
            problems.append(f"{command[0]} is not available here")
            continue
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            problems.append(
                f"`{' '.join(command)}` failed: {said[-1] if said else done.returncode}"
            )
    return problems


def manager_state(unit: Unit) -> str:
    """What launchd/systemd says about the unit, in a few words."""
    if unit.system == "launchd":
        if shutil.which("launchctl") is None:
            return "launchctl not available"
        done = subprocess.run(
            ["launchctl", "print", f"gui/{_uid()}/{LABEL}"], capture_output=True, text=True
        )
        if done.returncode != 0:
            return "not loaded"
        fields: dict[str, str] = {}
        for line in done.stdout.splitlines():
            if " = " in line:  # the first `state`/`pid` is the service's; nested blocks follow
                key, value = line.strip().split(" = ", 1)
                fields.setdefault(key, value)
        state = fields.get("state", "unknown")
        return f"{state}, pid {fields['pid']}" if "pid" in fields else state
    if shutil.which("systemctl") is None:
        return "systemctl not available"
    words = []
    for verb in ("is-enabled", "is-active"):
        done = subprocess.run(
            ["systemctl", "--user", verb, UNIT], capture_output=True, text=True, timeout=10
        )
        said = (done.stdout or done.stderr).strip().splitlines()
        words.append(said[0] if said else "unknown")
    return f"{words[0]}, {words[1]}"


def health(url: str, timeout: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except (OSError, ValueError):
        return None
