"""The README's two commands on a Mac whose python3 is older than 3.11: make picks a newer
python3.X from PATH, or says exactly what to install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def fake_python(bin_dir: Path, name: str, version: str) -> None:
    """A stand-in that reports `version` and answers the Makefile's version check."""
    major, minor = (int(x) for x in version.split(".")[:2])
    ok = 0 if (major, minor) >= (3, 11) else 1
    script = bin_dir / name
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python {version}"; exit 0; fi\n'
        f"exit {ok}\n"
    )
    script.chmod(0o755)


def make(tmp_path: Path, bin_dir: Path, *args: str) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return subprocess.run(
        [shutil.which("make"), *args],
        cwd=tmp_path,
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_old_python3_gets_advice_on_what_to_install(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_python(bin_dir, "python3", "3.9.6")  # macOS's own
    done = make(tmp_path, bin_dir, "install")
    assert done.returncode != 0
    assert "Python 3.11 or newer is needed; found: Python 3.9.6." in done.stdout
    assert "brew install python@3.12" in done.stdout
    assert not (tmp_path / ".venv").exists()


def test_a_newer_python3_x_on_path_is_used(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_python(bin_dir, "python3", "3.9.6")
    fake_python(bin_dir, "python3.12", "3.12.4")  # e.g. from Homebrew
    done = make(tmp_path, bin_dir, "-n", "install")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "python3.12 -m venv .venv" in done.stdout
