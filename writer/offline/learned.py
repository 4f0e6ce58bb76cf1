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
        self.counts: dict[str, Counter] = defaultdict(Counter)
        vocabulary: set[str] = set()
        for words, labels in docs:
            for label, weight in labels.items():
                self.prior[label] += weight
                for word in words:
                    self.counts[label][word] += weight
            vocabulary.update(words)
        self.vocabulary = vocabulary
        total = sum(self.prior.values())
        self.log_prior = {label: math.log(n / total) for label, n in self.prior.items()}
        size = len(vocabulary)
        self.log_unseen: dict[str, float] = {}
        # Per word, what seeing it adds to each label that has seen it, over an unseen word:
        # a query then touches only the labels its words occur with.
        self.lift: dict[str, dict[str, float]] = defaultdict(dict)
        for label, counter in self.counts.items():
            denominator = sum(counter.values()) + SMOOTHING * size
            unseen = math.log(SMOOTHING / denominator)
            self.log_unseen[label] = unseen
            for word, count in counter.items():
                self.lift[word][label] = math.log((count + SMOOTHING) / denominator) - unseen
        del self.counts  # the lifts are all a query needs

    def probabilities(self, words: list[str]) -> dict[str, float]:
        """P(label | words) for every label; {} when no word is known."""
        known = [w for w in words if w in self.vocabulary]
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


def _weights(labels: list[str]) -> dict[str, float]:
    return {label: (1.0 if i == 0 else 0.5) for i, label in enumerate(labels)}


@cache
def _training() -> tuple[list[dict], list[list[str]]]:
    """The labelled ideas and their words, read and tokenised once for both models."""
    records = _labelled(TRAIN_PATH)
    return records, [tokens(f"{r['idea']} {r.get('context', '')[:300]}") for r in records]


@cache
def models() -> tuple[NaiveBayes, NaiveBayes]:
    """(task model, subject model), trained once per process."""
    task_docs: list[tuple[list[str], dict[str, float]]] = []
    subject_docs: list[tuple[list[str], dict[str, float]]] = []
    for record, words in zip(*_training(), strict=True):
        task_docs.append((words, _weights(record["tasks"])))
        subject_docs.append((words, _weights(record["subjects"])))
    for example in pool.shipped().examples:
        for lang in ("en", "es"):
            words = tokens(example.idea[lang])
            task_docs.append((words, {example.task: 1.0}))
            subject_docs.append(
                (words + tokens(" ".join(example.keywords)), {example.subject: 1.0})
            )
    return NaiveBayes(task_docs), NaiveBayes(subject_docs)


def votes(request: str, context: str = "") -> dict[str, dict[str, float]]:
    """{"task": {label: probability}, "subject": {...}} for a cleaned request."""
    task_model, subject_model = models()
    words = tokens(request)
    return {
        "task": task_model.probabilities(words),
        "subject": subject_model.probabilities(words + tokens(context[:300])),
    }


@cache
def _knn() -> tuple[list[dict], TfidfIndex]:
    records, docs = _training()
    return records, TfidfIndex(docs)


def knn_votes(request: str, context: str = "", k: int = 7) -> dict[str, dict[str, float]]:
    """Votes of the k nearest labelled ideas, by similarity (second labels count half)."""
    records, index = _knn()
    out: dict[str, dict[str, float]] = {"task": {}, "subject": {}}
    for score, i in index.nearest(f"{request} {context[:300]}", k):
        if score <= 0:
            continue
        for kind, key in (("task", "tasks"), ("subject", "subjects")):
            for n, label in enumerate(records[i][key]):
                out[kind][label] = out[kind].get(label, 0.0) + score * (1.0 if n == 0 else 0.5)
    return out
