"""Cross-validation of the offline improver over its own training ideas (developer tooling).

    python -m writer.bench.offline_cv [--folds 5] [--limit N] [FILE ...]

Each fold trains the learned models on the other folds' ideas and scores the `fit` metric on
its own; the cue words and the shipped examples stay as they are. The held-out sets in data/
are never part of this: tune with this, report with `prompt-improver eval` on those.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from writer import metrics, nlac
from writer.offline import learned


def cross_validate(ideas: list[dict], folds: int, echo=print) -> dict:
    """The fit metric over `folds` folds of `ideas` (shuffled with a fixed seed)."""
    ideas = list(ideas)
    random.Random(7).shuffle(ideas)
    passed, failed_checks = 0, {}
    original = learned.TRAIN_PATH
    with tempfile.TemporaryDirectory() as work:
        try:
            for k in range(folds):
                train = [r for i, r in enumerate(ideas) if i % folds != k]
                path = Path(work) / f"fold-{k}.json"
                path.write_text(json.dumps(train), encoding="utf-8")
                learned.TRAIN_PATH = path
                learned.learned.cache_clear()
                fold_passed = 0
                test = ideas[k::folds]
                for example in metrics.labelled_examples(test):
                    result = nlac.improve(example.original_idea, example.context)
                    checks = metrics.fit_checks(example, result)
                    if metrics.fit_passed(checks):
                        fold_passed += 1
                    for name, ok in checks.items():
                        if ok is False:
                            failed_checks[name] = failed_checks.get(name, 0) + 1
                passed += fold_passed
                echo(f"fold {k + 1}/{folds}: {fold_passed}/{len(test)}")
        finally:
            learned.TRAIN_PATH = original
            learned.learned.cache_clear()
    return {"ideas": len(ideas), "passed": passed, "failed_checks": failed_checks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[learned.TRAIN_PATH])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, help="only the first N ideas (a quick look)")
    args = parser.parse_args()
    ideas = [r for f in args.files for r in metrics.load_labelled(f)]
    ideas = ideas[: args.limit] if args.limit else ideas
    result = cross_validate(ideas, args.folds)
    share = result["passed"] / result["ideas"]
    print(
        f"{args.folds}-fold cross-validation: {result['passed']}/{result['ideas']} fit "
        f"({share:.1%}); failed checks: {result['failed_checks']}"
    )


if __name__ == "__main__":
    main()
