"""Compiled few-shot programs: build with a DSPy optimizer, save, load, and reload on change.

A program is two files: DSPy's own save format (`improver.json`, the module's state with
its demos) and `improver.meta.json` beside it (optimizer, k, trainset hash and size, the
program file's sha256, created_at). `serve` records the first 12 hex digits of that sha256
on every row the program answers.

`knn` keeps the whole trainset as the pool and picks the k nearest examples (TF-IDF over the
idea and context) per request, so it needs no LLM or embedding service. (DSPy's KNNFewShot
bootstraps with the LM on every call, its retriever needs numpy and an embedder, and its
compiled forward does not survive save/load.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from writer.dspy_module import build_program
from writer.settings import Settings
from writer.storage import iso_utc
from writer.text import TfidfIndex, tokens

log = logging.getLogger("prompt_improver")
OPTIMIZERS = ("labeled", "bootstrap", "knn")
HASH_CHARS = 12


class ProgramError(Exception):
    """A program file that cannot be used, with what to do about it."""


def meta_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.meta.json")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compile_program(
    trainset: list[Any], optimizer: str, k: int, *, lm: Any = None, metric: Any = None
) -> Any:
    """The improver with demos chosen by `optimizer` from `trainset` (dspy.Examples)."""
    import dspy
    from dspy.teleprompt import BootstrapFewShot, LabeledFewShot

    student = build_program()
    if optimizer == "labeled":
        return LabeledFewShot(k=k).compile(student, trainset=trainset)
    if optimizer == "knn":
        # The whole pool is saved as demos; the k nearest are chosen per request on load.
        for predictor in student.predictors():
            predictor.demos = list(trainset)
        return student
    if optimizer == "bootstrap":
        if lm is None:
            raise ProgramError("bootstrap needs an LM: configure LLM_* (see `serve`'s /health)")
        bootstrap = BootstrapFewShot(
            metric=metric, max_bootstrapped_demos=k, max_labeled_demos=k, max_rounds=1
        )
        with dspy.context(lm=lm):
            return bootstrap.compile(student, trainset=trainset)
    raise ProgramError(f"unknown optimizer {optimizer!r}; use one of {', '.join(OPTIMIZERS)}")


def save(program: Any, path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Save with DSPy's own format plus the metadata file; both replace the old ones whole.

    The metadata goes first: a server that sees the new program file also sees its metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial.json")
    program.save(str(partial))
    meta = {
        **meta,
        "program_file": path.name,
        "program_sha256": file_sha256(partial),
        "demos": sum(len(p.demos) for p in program.predictors()),
        "created_at": iso_utc(datetime.now(UTC)),
    }
    meta_partial = meta_path(path).with_name(f".{meta_path(path).name}.partial")
    meta_partial.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(meta_partial, meta_path(path))
    os.replace(partial, path)
    return meta


@dataclass
class CompiledProgram:
    module: Any
    path: Path
    sha256: str
    meta: dict[str, Any]
    pool: list[Any] | None = None  # knn: every trainset example
    index: Any = None
    loaded_at: str = field(default_factory=lambda: iso_utc(datetime.now(UTC)))

    @property
    def hash(self) -> str:
        return self.sha256[:HASH_CHARS]

    def demos_for(self, idea: str, context: str) -> list[Any] | None:
        """For knn programs, the k nearest trainset examples; None uses the saved demos."""
        if not self.pool:
            return None
        k = min(int(self.meta.get("k", 3)), len(self.pool))
        return [self.pool[i] for _, i in self.index.nearest(f"{idea} {context}", k)]


def load(path: Path) -> CompiledProgram:
    """Load a compiled program and its metadata; ProgramError says what is wrong."""
    try:
        sha256 = file_sha256(path)
    except OSError as exc:
        raise ProgramError(
            f"{path}: cannot read it ({exc.strerror}); run `prompt-improver compile -o {path}`"
        ) from None
    meta: dict[str, Any] = {}
    try:
        meta = json.loads(meta_path(path).read_text("utf-8"))
    except FileNotFoundError:
        log.warning("%s has no metadata file; using its demos as they are", path)
    except ValueError as exc:
        raise ProgramError(f"{meta_path(path)}: not valid JSON ({exc})") from None
    module = build_program()
    try:
        module.load(str(path))
    except Exception as exc:
        raise ProgramError(
            f"{path}: not a saved improver program ({type(exc).__name__}: {exc}); "
            "compile it again with `prompt-improver compile`"
        ) from None
    if meta and meta.get("program_sha256") not in (None, sha256):
        raise ProgramError(
            f"{meta_path(path)} describes another version of {path.name} (being replaced?)"
        )
    program = CompiledProgram(module, path, sha256, meta)
    if meta.get("optimizer") == "knn":
        (predictor,) = module.predictors()
        program.pool, predictor.demos = list(predictor.demos), []
        program.index = TfidfIndex(
            [tokens(f"{d['original_idea']} {d.get('context', '')}") for d in program.pool]
        )
    return program


def from_settings(settings: Settings) -> ProgramFile | None:
    """The program file `serve` and `improve` use: DSPY_COMPILED_PATH, unless it is empty."""
    path = settings.dspy_compiled_path
    return None if path is None else ProgramFile(path)


class ProgramFile:
    """The program at DSPY_COMPILED_PATH, reloaded when the file changes or on `reload()`.

    A file that fails to load leaves the previous program in place (or none: zero-shot), and
    the error shows in /health."""

    def __init__(self, path: Path):
        self.path = path
        self.current: CompiledProgram | None = None
        self.error: str | None = None
        self._stamp: tuple | None = None
        self._lock = threading.Lock()

    def _file_stamp(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def stale(self) -> bool:
        """True when the file changed since it was last (tried to be) loaded: a stat, cheap."""
        return self._file_stamp() != self._stamp

    def reload(self) -> CompiledProgram | None:
        with self._lock:
            stamp = self._file_stamp()
            if stamp is None:
                if self.current is not None or self._stamp is not None:
                    log.warning("%s is gone; keeping the program loaded before", self.path)
                self._stamp = None
                return self.current
            started = time.perf_counter()
            try:
                program = load(self.path)
            except ProgramError as exc:
                self.error, self._stamp = str(exc), stamp  # tried again when the file changes
                log.error("few-shot program not loaded: %s", exc)
                return self.current
            self.current, self.error, self._stamp = program, None, stamp
            log.warning(
                "loaded few-shot program %s (%s, %s demos, %.0f ms)",
                program.hash,
                program.meta.get("optimizer", "unknown optimizer"),
                program.meta.get("demos", "?"),
                (time.perf_counter() - started) * 1000,
            )
            return program

    def status(self) -> dict[str, Any]:
        current = self.current
        return {
            "path": str(self.path),
            "hash": current.hash if current else None,
            "optimizer": current.meta.get("optimizer") if current else None,
            "demos": current.meta.get("demos") if current else None,
            "loaded_at": current.loaded_at if current else None,
            "error": self.error,
        }
