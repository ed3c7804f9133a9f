"""Which department a citizen's message belongs to: a text classifier for little labelled data.

A city starts with a few hundred labelled messages, a category taxonomy and thousands of
unlabelled messages. The model uses all three, on CPU:

- character 1-3-grams and jieba-dictionary words, TF-IDF weighted, with the vocabulary and
  IDF learnt from the labelled *and* unlabelled messages (so words never seen with a label
  still get weight);
- the taxonomy as prior knowledge: each level-2 group of a category, with its level-3 terms,
  becomes a pseudo-document for the category, and the terms (and their words) feed a small
  block of per-category keyword scores, so a message about 传销 leans to 商贸旅游 even when no
  labelled message said 传销;
- a linear SVM with balanced class weights, calibrated (Platt scaling, cross-validated) so the
  top-k confidences can be compared with a dispatch threshold.
"""

from __future__ import annotations

import io
import itertools
import math
import pickle
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import rjieba
from scipy.sparse import coo_matrix, csr_matrix, hstack, vstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from cityhub.errors import BadRequestData

GENERIC_TERMS = frozenset({"其他", "管理", "问题", "其它"})
Progress = Callable[[str], None]
Taxonomy = Sequence[tuple[str, str, str]]  # (level1 category, level2, level3)


def tokenize(text: str) -> list[str]:
    """Words by jieba's dictionary (the Rust implementation, ~20,000 messages/s), without
    blanks; module level so a trained model pickles by name."""
    return [w for w in rjieba.cut(text) if not w.isspace()]


def message_text(title: str, body: str) -> str:
    """The text a message is classified by: the title counts twice, it names the problem."""
    title = title.strip()
    return f"{title}。{title}。{body.strip()}" if title else body.strip()


def char_grams(text: str) -> list[str]:
    """Character 1-, 2- and 3-grams of the lower-cased text with blanks folded."""
    text = " ".join(text.lower().split())
    return [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]


def _given(tokens: list[str]) -> list[str]:
    """Analyzer for documents already cut into words."""
    return tokens


def _weigh(rows: np.ndarray, cols: np.ndarray, n_docs: int, vectorizer: TfidfVectorizer) -> Any:
    """Sublinear tf x idf with l2-normalised rows, as the fitted vectorizer would compute."""
    counts = coo_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)),
        shape=(n_docs, len(vectorizer.vocabulary_)),
    ).tocsr()
    counts.sum_duplicates()
    counts.data = (1.0 + np.log(counts.data)) * vectorizer.idf_[counts.indices]
    return normalize(counts.astype(np.float32), copy=False)


def tfidf(docs: Sequence[list[str]], vectorizer: TfidfVectorizer) -> csr_matrix:
    """What `vectorizer.transform` computes for analysed docs, counted by scipy instead of a
    Python loop per term (several times faster)."""
    vocabulary = vectorizer.vocabulary_
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    flat = itertools.chain.from_iterable(docs)
    ids = np.fromiter(map(vocabulary.get, flat, itertools.repeat(-1)), dtype=np.int64)
    rows = np.repeat(np.arange(len(docs)), lengths)
    keep = ids >= 0
    return _weigh(rows[keep], ids[keep], len(docs), vectorizer)


_BIGRAM = np.uint64(1 << 63)
_UNIGRAM = np.uint64((1 << 63) | (1 << 62))
_S21, _S42 = np.uint64(21), np.uint64(42)


def _gram_key(gram: str) -> int:
    """A character 1-3-gram as one 64-bit number (code points are below 2**21)."""
    codes = [ord(ch) for ch in gram]
    if len(codes) == 1:
        return int(_UNIGRAM) | codes[0]
    if len(codes) == 2:
        return int(_BIGRAM) | codes[0] << 21 | codes[1]
    return codes[0] << 42 | codes[1] << 21 | codes[2]


class CharGramIndex:
    """The char-gram vocabulary as sorted 64-bit keys, so a whole batch of texts is cut into
    grams and looked up with numpy (no Python string per gram). Same grams as `char_grams`."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        keys = np.fromiter(map(_gram_key, vocabulary), dtype=np.uint64, count=len(vocabulary))
        cols = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
        order = np.argsort(keys)
        self.keys, self.cols = keys[order], cols[order]

    def lookup(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every known gram occurrence in the texts."""
        folded = ("\0".join(" ".join(t.replace("\0", " ").lower().split()) for t in texts)) + "\0"
        cp = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        is_sep = cp == 0
        doc = np.cumsum(is_sep) - is_sep
        keys, rows = [], []
        a, b, c = cp[:-2], cp[1:-1], cp[2:]
        windows = (
            (cp | _UNIGRAM, ~is_sep, doc),
            (_BIGRAM | (cp[:-1] << _S21) | cp[1:], ~(is_sep[:-1] | is_sep[1:]), doc[:-1]),
            ((a << _S42) | (b << _S21) | c, ~(is_sep[:-2] | is_sep[1:-1] | is_sep[2:]), doc[:-2]),
        )
        for key, valid, where in windows:
            keys.append(key[valid])
            rows.append(where[valid])
        flat = np.concatenate(keys)
        at = np.searchsorted(self.keys, flat).clip(max=len(self.keys) - 1)
        hit = self.keys[at] == flat
        return np.concatenate(rows)[hit], self.cols[at[hit]]


class KeywordScores:
    """Per category, how many of its taxonomy terms a message's words mention (log-scaled,
    weighted by how specific the term is to the category)."""

    def __init__(self, taxonomy: Taxonomy, labels: list[str], scale: float) -> None:
        owners: dict[str, set[str]] = defaultdict(set)
        for category, *terms in taxonomy:
            for term in terms:
                for word in {term, *tokenize(term)}:
                    if len(word) >= 2 and word not in GENERIC_TERMS:
                        owners[word].add(category)
        index = {label: i for i, label in enumerate(labels)}
        self.terms: dict[str, tuple[list[int], float]] = {
            word: ([index[c] for c in cats if c in index], 1.0 / len(cats))
            for word, cats in owners.items()
            if any(c in index for c in cats)
        }
        self.width = len(labels)
        self.scale = scale

    def transform(self, docs: Sequence[list[str]]) -> csr_matrix:
        """Scores from each message's words and adjacent word pairs (噪音+污染 = 噪音污染)."""
        scores = np.zeros((len(docs), self.width))
        terms = self.terms
        for row, words in enumerate(docs):
            found = {w for w in words if w in terms}
            found.update(a + b for a, b in itertools.pairwise(words) if a + b in terms)
            for word in found:
                columns, weight = terms[word]
                for col in columns:
                    scores[row, col] += weight
        return csr_matrix(self.scale * np.log1p(scores))


class TextClassifier:
    """Message text -> category, with calibrated probabilities for the top k."""

    def __init__(self, c: float = 0.5, keyword_scale: float = 0.15) -> None:
        self.c = c
        self.keyword_scale = keyword_scale
        self.labels: list[str] = []
        self._chars: TfidfVectorizer | None = None
        self._words: TfidfVectorizer | None = None
        self._keywords: KeywordScores | None = None
        self._char_index: CharGramIndex | None = None
        self._model: Any = None

    def _features(self, texts: Sequence[str]) -> csr_matrix:
        assert self._chars is not None and self._words is not None and self._keywords is not None
        words = [tokenize(t) for t in texts]
        assert self._char_index is not None
        rows, cols = self._char_index.lookup(texts)
        return hstack(
            [
                _weigh(rows, cols, len(texts), self._chars),
                tfidf(words, self._words),
                self._keywords.transform(words),
            ]
        ).tocsr()

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        unlabelled: Sequence[str] = (),
        taxonomy: Taxonomy = (),
    ) -> TextClassifier:
        if len(texts) != len(labels) or not texts:
            raise BadRequestData("training needs labelled messages (text and label)")
        self.labels = sorted(set(labels))
        if len(self.labels) < 2:
            raise BadRequestData("training needs at least two categories")
        counts = {label: list(labels).count(label) for label in self.labels}
        if min(counts.values()) < 3:
            rare = [k for k, v in counts.items() if v < 3]
            raise BadRequestData(f"each category needs 3 labelled messages; too few: {rare}")
        taxonomy = [row for row in taxonomy if row[0] in self.labels]
        corpus = [*texts, *unlabelled]
        self._chars = TfidfVectorizer(
            analyzer=char_grams, sublinear_tf=True, min_df=2, dtype=np.float32
        ).fit(corpus)
        self._words = TfidfVectorizer(
            analyzer=_given, sublinear_tf=True, min_df=2, dtype=np.float32
        ).fit([tokenize(t) for t in corpus])
        for vectorizer in (self._chars, self._words):
            vectorizer.stop_words_ = None  # the pruned terms: large and never needed again
        self._char_index = CharGramIndex(self._chars.vocabulary_)
        self._keywords = KeywordScores(taxonomy, self.labels, self.keyword_scale)
        x = self._features(texts)
        y = list(labels)
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for category, level2, level3 in taxonomy:
            groups[(category, level2)].append(level3)
        if groups:
            pseudo = [f"{level2} {' '.join(terms)}" for (_, level2), terms in groups.items()]
            x = vstack([x, self._features(pseudo)]).tocsr()
            y += [category for category, _ in groups]
        folds = max(2, min(5, min(counts.values())))
        self._model = CalibratedClassifierCV(
            LinearSVC(C=self.c, class_weight="balanced"),
            method="sigmoid",
            cv=folds,
            ensemble=False,
        ).fit(x, np.array(y))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            raise BadRequestData("the classifier has not been trained")
        probs = self._model.predict_proba(self._features(texts))
        # Columns in self.labels order (the calibrated model sorts its classes the same way).
        assert list(self._model.classes_) == self.labels
        return np.asarray(probs)

    def predict(self, texts: Sequence[str]) -> list[str]:
        probs = self.predict_proba(texts)
        return [self.labels[i] for i in probs.argmax(axis=1)]

    def top_k(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        probs = self.predict_proba(texts)
        out = []
        for row in probs:
            order = np.argsort(-row)[:k]
            out.append([(self.labels[i], round(float(row[i]), 4)) for i in order])
        return out

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @staticmethod
    def loads(blob: bytes) -> TextClassifier:
        model = pickle.loads(blob)  # only models this store's own trainer wrote
        assert isinstance(model, TextClassifier)
        return model


def scores(truth: Sequence[str], predicted: Sequence[str], labels: list[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1, macro-F1, accuracy and the confusion matrix."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        if t in index and p in index:
            matrix[index[t]][index[p]] += 1
    per_class = {}
    f1s = []
    for label, i in index.items():
        tp = matrix[i][i]
        predicted_i = sum(row[i] for row in matrix)
        actual_i = sum(matrix[i])
        precision = tp / predicted_i if predicted_i else 0.0
        recall = tp / actual_i if actual_i else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": actual_i,
        }
        if actual_i:
            f1s.append(f1)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    total = sum(map(sum, matrix))
    return {
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "accuracy": round(correct / total, 4) if total else 0.0,
        "n": total,
        "labels": labels,
        "per_class": per_class,
        "confusion": matrix,
    }


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    unlabelled: Sequence[str] = (),
    taxonomy: Taxonomy = (),
    folds: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Stratified k-fold: each fold trains the whole procedure without its held-out messages."""
    from sklearn.model_selection import StratifiedKFold

    y = np.array(labels)
    predicted = np.empty(len(y), dtype=object)
    fold_f1 = []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    all_labels = sorted(set(labels))
    for number, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
        model = TextClassifier().fit(
            [texts[i] for i in train], list(y[train]), unlabelled, taxonomy
        )
        guess = model.predict([texts[i] for i in test])
        predicted[test] = guess
        fold_f1.append(scores(list(y[test]), guess, all_labels)["macro_f1"])
        if progress:
            progress(f"fold {number}/{folds}: macro-F1 {fold_f1[-1]:.3f}")
    report = scores(list(y), list(predicted), all_labels)
    report["folds"] = fold_f1
    report["fold_mean_macro_f1"] = round(sum(fold_f1) / len(fold_f1), 4)
    report["fold_sd_macro_f1"] = round(
        math.sqrt(sum((f - report["fold_mean_macro_f1"]) ** 2 for f in fold_f1) / len(fold_f1)), 4
    )
    return report
