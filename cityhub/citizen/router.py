"""The department classifier in service: trained versions kept in the store, the newest loaded
once per process (and again when another process trains a newer one)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cityhub.store import Store

if TYPE_CHECKING:  # the classifier's libraries (scikit-learn) load when a model is first used
    from cityhub.citizen.textclf import Progress, Taxonomy, TextClassifier
from cityhub.timeutil import now_iso

RECHECK_SECONDS = 30.0


@dataclass(frozen=True)
class Routing:
    category: str | None
    confidence: float | None
    top: list[tuple[str, float]]
    model_version: int | None


def texts_digest(texts: Sequence[str]) -> str:
    """One digest of a set of texts (order does not matter): the training set's, kept with the
    model, so an evaluation on those same texts can be told apart."""
    import hashlib

    return hashlib.sha256("\n".join(sorted(texts)).encode()).hexdigest()


class ClassifierRegistry:
    """The versions of one kind of text model (department routing, sentiment)."""

    def __init__(self, store: Store, kind: str = "department") -> None:
        self.store = store
        self.kind = kind
        self._lock = threading.Lock()
        self._model: TextClassifier | None = None
        self._version: int | None = None
        self._checked = 0.0

    def train(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        unlabelled: Sequence[str] = (),
        taxonomy: Taxonomy = (),
        folds: int = 5,
        progress: Progress | None = None,
        held_out: tuple[Sequence[str], Sequence[str]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Cross-validate the procedure (and/or score a held-out set), train on everything, keep
        model and report as a new version."""
        from cityhub.citizen.textclf import TextClassifier, cross_validate, scores

        started = time.perf_counter()
        report: dict[str, Any] = {}
        if folds >= 2:
            report["cross_validation"] = cross_validate(
                texts, labels, unlabelled, taxonomy, folds=folds, progress=progress
            )
        if progress:
            progress("training on all labelled messages")
        fit_started = time.perf_counter()
        model = TextClassifier().fit(texts, labels, unlabelled, taxonomy)
        if held_out is not None:
            report["held_out"] = scores(list(held_out[1]), model.predict(held_out[0]), model.labels)
        report.update(
            texts_sha256=texts_digest(texts),  # evaluating on the same texts is no evaluation
            labelled=len(texts),
            unlabelled=len(unlabelled),
            taxonomy_rows=len(taxonomy),
            labels=model.labels,
            train_seconds=round(time.perf_counter() - fit_started, 2),
            total_seconds=round(time.perf_counter() - started, 2),
        )
        version = self.store.requests.put_model(self.kind, now_iso(), model.dumps(), report)
        with self._lock:
            self._model, self._version, self._checked = model, version, time.monotonic()
        return version, report

    def current(self) -> tuple[int, TextClassifier] | None:
        now = time.monotonic()
        with self._lock:
            if now - self._checked < RECHECK_SECONDS:
                if self._model is None or self._version is None:
                    return None  # none trained when last looked
                return self._version, self._model
        versions = self.store.requests.model_versions(self.kind)
        with self._lock:
            self._checked = now
            if not versions:
                return None
            if versions[-1][0] != self._version:
                latest = self.store.requests.latest_model(self.kind)
                if latest is None:
                    return None
                self._version = latest[0]
                from cityhub.citizen.textclf import TextClassifier

                self._model = TextClassifier.loads(latest[2])
            assert self._model is not None and self._version is not None
            return self._version, self._model

    def report(self) -> tuple[int, str, dict[str, Any]] | None:
        versions = self.store.requests.model_versions(self.kind)
        return versions[-1] if versions else None

    def classify(self, texts: Sequence[str], k: int = 3) -> list[Routing]:
        loaded = self.current()
        if loaded is None:
            return [Routing(None, None, [], None) for _ in texts]
        version, model = loaded
        out = []
        for top in model.top_k(texts, k):
            out.append(Routing(top[0][0], top[0][1], top, version))
        return out
