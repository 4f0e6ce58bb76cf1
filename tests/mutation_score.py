"""The mutation score from mutmut's results in mutants/ (after `make mutation`).

    python -m tests.mutation_score [PATTERN ...]

Counts the mutants matching the patterns (mutmut names, fnmatch; all when none), by status,
per module, and lists the survivors. Score = killed (tests failed, timed out, or the type
check caught it) / checked. Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout"}
KILLED.update({255: "timeout", 37: "caught by type check"})
OTHER = {0: "survived", None: "not checked", 5: "no tests", 33: "no tests", 34: "skipped"}


def status(code: int | None) -> str:
    return KILLED.get(code) or OTHER.get(code) or "suspicious"


def main(patterns: list[str]) -> int:
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results in mutants/; run `make mutation` first")
        return 1
    by_module: dict[str, Counter] = {}
    survivors: list[str] = []
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            if patterns and not any(fnmatch.fnmatch(name, p) for p in patterns):
                continue
            module = name.split(".x")[0]
            by_module.setdefault(module, Counter())[status(code)] += 1
            if status(code) == "survived":
                survivors.append(name)
    total: Counter = Counter()
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        print(f"{module}: {dict(counts)}")
    checked = sum(n for s, n in total.items() if s not in ("not checked", "skipped"))
    killed = sum(n for s, n in total.items() if s in KILLED.values())
    print(f"all: {dict(total)}")
    if checked:
        print(f"score: {killed}/{checked} killed = {100 * killed / checked:.1f}%")
    for name in sorted(survivors):
        print(f"survived: {name}  (see: mutmut show {name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
