"""A naive Bayes second opinion on task and subject, learned from labelled ideas.

Cue words (taxonomy.py) are precise but only know the words someone listed; this model knows
every word of the labelled ideas (writer/offline/ideas-train.json) and of the shipped examples,
in both languages. Its probabilities are added to the cue scores, so a request worded in a way
no cue lists still lands in the right place.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from writer.offline import pool
from writer.text import TfidfIndex, tokens

TRAIN_PATH = Path(__file__).with_name("ideas-train.json")
SMOOTHING = 0.2


class NaiveBayes:
    def __init__(self, docs: list[tuple[list[str], dict[str, float]]]):
        """`docs`: (tokens, {label: weight}) pairs; weights let second-choice labels count less."""
        self.prior: Counter = Counter()
        counts: dict[str, Counter] = defaultdict(Counter)
        vocabulary: set[str] = set()
        for words, labels in docs:
            for label, weight in labels.items():
                self.prior[label] += weight
                for word in words:
                    counts[label][word] += weight
            vocabulary.update(words)
        total = sum(self.prior.values())
        self.log_prior = {label: math.log(n / total) for label, n in self.prior.items()}
        size = len(vocabulary)
        self.log_unseen: dict[str, float] = {}
        # Per word, what seeing it adds to each label that has seen it, over an unseen word:
        # a query then touches only the labels its words occur with. The lifts are all a
        # query needs; every word seen is a key.
        self.lift: dict[str, dict[str, float]] = {}
        for label, counter in counts.items():
            denominator = sum(counter.values()) + SMOOTHING * size
            unseen = math.log(SMOOTHING / denominator)
            self.log_unseen[label] = unseen
            for word, count in counter.items():
                lift = math.log((count + SMOOTHING) / denominator) - unseen
                self.lift.setdefault(word, {})[label] = lift

    def probabilities(self, words: list[str]) -> dict[str, float]:
        """P(label | words) for every label; {} when no word is known."""
        known = [w for w in words if w in self.lift]
        if not known:
            return {}
        scores = {
            label: prior + len(known) * self.log_unseen[label]
            for label, prior in self.log_prior.items()
        }
        for word in known:
            for label, lift in self.lift[word].items():
                scores[label] += lift
        top = max(scores.values())
        exp = {label: math.exp(s - top) for label, s in scores.items()}
        total = sum(exp.values())
        return {label: v / total for label, v in exp.items()}


def _labelled(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _weights(labels: Sequence[str]) -> dict[str, float]:
    return {label: (1.0 if i == 0 else 0.5) for i, label in enumerate(labels)}


@dataclass(frozen=True)
class Learned:
    """What the labelled ideas leave behind once read: the two models, and for the nearest
    ideas their index and labels (not their text)."""

    task_model: NaiveBayes
    subject_model: NaiveBayes
    index: TfidfIndex
    labels: list[tuple[tuple[str, ...], tuple[str, ...]]]  # (tasks, subjects) per idea


@cache
def learned() -> Learned:
    """Read and tokenise the labelled ideas once, train on them, keep only what queries use."""
    records = _labelled(TRAIN_PATH)
    docs = [tokens(f"{r['idea']} {r.get('context', '')[:300]}") for r in records]
    labels = [(tuple(r["tasks"]), tuple(r["subjects"])) for r in records]
    del records  # the texts are not needed any more: the models are built in their place
    task_docs = [(words, _weights(tasks)) for words, (tasks, _) in zip(docs, labels, strict=True)]
    subject_docs = [
        (words, _weights(subjects)) for words, (_, subjects) in zip(docs, labels, strict=True)
    ]
    for example in pool.shipped().examples:
        for lang in ("en", "es"):
            words = tokens(example.idea[lang])
            task_docs.append((words, {example.task: 1.0}))
            subject_docs.append(
                (words + tokens(" ".join(example.keywords)), {example.subject: 1.0})
            )
    return Learned(NaiveBayes(task_docs), NaiveBayes(subject_docs), TfidfIndex(docs), labels)


def votes(request: str, context: str = "") -> dict[str, dict[str, float]]:
    """{"task": {label: probability}, "subject": {...}} for a cleaned request."""
    models = learned()
    words = tokens(request)
    return {
        "task": models.task_model.probabilities(words),
        "subject": models.subject_model.probabilities(words + tokens(context[:300])),
    }


def knn_votes(request: str, context: str = "", k: int = 7) -> dict[str, dict[str, float]]:
    """Votes of the k nearest labelled ideas, by similarity (second labels count half)."""
    models = learned()
    out: dict[str, dict[str, float]] = {"task": {}, "subject": {}}
    for score, i in models.index.nearest(f"{request} {context[:300]}", k):
        if score <= 0:
            continue
        for kind, labels in zip(("task", "subject"), models.labels[i], strict=True):
            for n, label in enumerate(labels):
                out[kind][label] = out[kind].get(label, 0.0) + score * (1.0 if n == 0 else 0.5)
    return out
