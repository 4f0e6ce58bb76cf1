"""Run the timing-sensitive test files again and again beside CPU-bound processes.

    python -m tests.stress [--runs 20] [--burners 2] [FILE ...]

Two busy loops (by default) compete for the CPU while tests/test_reliability.py and
tests/test_llm_faults.py run, `--runs` times in a row; it stops at the first failing run and
exits non-zero. Not collected by pytest (no test_ prefix); `make stress` runs it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ["tests/test_reliability.py", "tests/test_llm_faults.py"]
BURN = "while True: pass"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--burners", type=int, default=2, help="CPU-bound processes beside")
    parser.add_argument("files", nargs="*", default=FILES)
    args = parser.parse_args(argv)
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(args.burners)]
    passed = 0
    try:
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.files],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"run {run}/{args.runs}: {summary} ({time.monotonic() - started:.0f} s)")
            sys.stdout.flush()
            if done.returncode != 0:
                print(done.stdout[-6000:], done.stderr[-2000:], sep="\n")
                break
            passed += 1
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    print(f"{passed} of {args.runs} runs passed in a row beside {args.burners} CPU-bound processes")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
