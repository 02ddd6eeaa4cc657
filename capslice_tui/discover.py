"""Slice discovery: group samples nobody labelled into coherent, reviewable suggestions.

Pure numpy / scikit-learn (no SQL, no Textual). The pipeline:

1. documents with no content (empty, whitespace, ``[invalid]``) go to the fixed
   :data:`NO_CONTENT` bucket before anything is vectorised;
2. the rest are represented by TF-IDF over the question (words) and the response (words and
   character n-grams; ``token_pattern`` keeps one-character tokens so ``(B)`` and ``42`` count),
   optionally with user-supplied embedding columns;
3. TruncatedSVD reduces the sparse matrix; rows are L2-normalised (so Euclidean k-means is
   spherical/cosine k-means). Rows whose vector is zero go to :data:`TOO_LITTLE_TEXT` and never
   reach the normalisation;
4. with ``error_aware=True`` correctness and failure-mode one-hot indicators are appended with
   a weight, so clusters are homogeneous in *how* the model fails (in the spirit of Domino,
   Eyuboglu et al. 2022, "Domino: Discovering Systematic Errors with Cross-Modal Embeddings");
5. MiniBatchKMeans with k chosen by the silhouette coefficient (Rousseeuw 1987) on a subsample,
   or a fixed k, or HDBSCAN (Campello et al. 2013) fitted on at most ``hdbscan_max_samples``.

:func:`describe_clusters` turns a fitted :class:`SliceDiscoverer` into :class:`Suggestion`
records: size, error rate with a Wilson interval and its difference from the run's rate, top
distinguishing terms (cluster-mean TF-IDF minus rest-mean TF-IDF), the dominant failure mode,
the taxonomy labels members already carry, and the samples nearest the centre.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import HDBSCAN, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from .analysis.metrics import wilson_interval

NO_CONTENT = -1
"""Cluster label of samples whose response is empty or ``[invalid]`` (fixed bucket)."""
TOO_LITTLE_TEXT = -2
"""Cluster label of samples whose feature vector is zero (nothing left to compare)."""
NOISE = -3
"""Cluster label HDBSCAN gives to samples that fit no dense group."""

BUCKET_NAMES = {NO_CONTENT: "no content", TOO_LITTLE_TEXT: "too little text", NOISE: "noise"}

INVALID_MARKERS = frozenset({"", "[invalid]", "[invalid answer]", "none", "null"})
ONE_CHAR_TOKENS = r"(?u)\b\w+\b"
_EPS = 1e-12

ProgressFn = Callable[[str, float], None]
CancelFn = Callable[[], bool]


class DiscoveryCancelled(Exception):
    """Raised inside :meth:`SliceDiscoverer.fit` when the cancel callback returns True."""


def is_no_content(text: str | None) -> bool:
    """True for None, whitespace-only text and invalid markers such as ``[invalid]``."""
    if text is None:
        return True
    return text.strip().lower() in INVALID_MARKERS


def _clip_chars(text: str, max_chars: int) -> str:
    """Head and tail of a long text: where a generation starts and where its answer is."""
    if len(text) <= max_chars:
        return text
    half = max_chars // 2
    return text[:half] + " \u2026 " + text[-half:]


class SliceDiscoverer(ClusterMixin, BaseEstimator):
    """Cluster samples into slice suggestions (scikit-learn estimator contract).

    Args:
        method: ``"kmeans"`` (MiniBatchKMeans) or ``"hdbscan"``.
        n_clusters: ``"auto"`` (silhouette over ``k_range``) or a fixed k (clamped to the
            number of distinct non-empty documents; ``notes_`` says so).
        k_range: (smallest, largest) k tried by ``"auto"``.
        error_aware: append correctness and failure-mode indicators (needs ``correct`` and/or
            ``failure_modes`` in :meth:`fit`).
        error_weight: weight of those indicators against the unit-norm text vector.
        embedding_weight: weight of the (L2-normalised) user embedding columns.
        n_components: TruncatedSVD dimensions (clamped to the feature count).
        max_features: vocabulary cap per vectoriser.
        char_ngram_range: character n-gram sizes for responses (``char_wb``).
        char_max_chars: responses longer than this feed only their head and tail to the
            character n-grams (the word n-grams see everything).
        silhouette_sample: subsample size used to choose k (and to score silhouette).
        hdbscan_max_samples: HDBSCAN fits at most this many points; the others join the
            nearest cluster centre.
        min_cluster_size: HDBSCAN's ``min_cluster_size`` (None: max(5, n / 100)).
        random_state: seed of SVD, subsampling and k-means; same seed, same result.
        n_threads: BLAS/OpenMP threads while fitting. 1 by default: on a small busy machine
            OpenMP spin-waiting made MiniBatchKMeans ~5x slower (measured 11.5 s vs 2.4 s on
            1,695 BBH failures), and a fixed thread count keeps results bit-identical.

    Attributes (after fit):
        labels_: (n,) int cluster per document; negative values are the fixed buckets
            :data:`NO_CONTENT`, :data:`TOO_LITTLE_TEXT`, :data:`NOISE`.
        n_clusters_: number of non-negative clusters.
        cluster_centers_: (n_clusters_, d) centres in the reduced feature space.
        distances_: (n,) Euclidean distance of each document to its cluster centre (inf for
            buckets).
        silhouette_: {k: silhouette} for each k tried (empty when k was fixed).
        notes_: human-readable remarks (clamped k, too little text, subsampling...).
        feature_names_: names of the TF-IDF word columns (``q:`` prefix for the question).
        tfidf_: (n, n_word_features) sparse TF-IDF word matrix used for top terms.
    """

    def __init__(
        self,
        method: str = "kmeans",
        n_clusters: int | str = "auto",
        k_range: tuple[int, int] = (2, 20),
        error_aware: bool = False,
        error_weight: float = 1.0,
        embedding_weight: float = 1.0,
        n_components: int = 50,
        max_features: int = 20000,
        char_ngram_range: tuple[int, int] = (2, 4),
        char_max_chars: int = 400,
        silhouette_sample: int = 3000,
        hdbscan_max_samples: int = 10000,
        min_cluster_size: int | None = None,
        random_state: int | None = 0,
        n_threads: int = 1,
    ) -> None:
        self.method = method
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.error_aware = error_aware
        self.error_weight = error_weight
        self.embedding_weight = embedding_weight
        self.n_components = n_components
        self.max_features = max_features
        self.char_ngram_range = char_ngram_range
        self.char_max_chars = char_max_chars
        self.silhouette_sample = silhouette_sample
        self.hdbscan_max_samples = hdbscan_max_samples
        self.min_cluster_size = min_cluster_size
        self.random_state = random_state
        self.n_threads = n_threads

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        responses: Sequence[str | None],
        y: Any = None,
        *,
        questions: Sequence[str | None] | None = None,
        correct: Sequence[float] | np.ndarray | None = None,
        failure_modes: Sequence[str | None] | None = None,
        embeddings: np.ndarray | None = None,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> SliceDiscoverer:
        """Cluster ``responses`` (one per sample).

        Args:
            responses: (n,) generated texts; None/empty/``[invalid]`` -> :data:`NO_CONTENT`.
            y: ignored (scikit-learn signature).
            questions: (n,) question text per sample, or None.
            correct: (n,) scores in [0, 1] (error-aware features and nothing else).
            failure_modes: (n,) failure mode names (error-aware features).
            embeddings: (n, d) float array of extra user columns; NaN rows count as zero.
            progress: called as ``progress(stage, fraction)`` with fraction in [0, 1].
            should_cancel: polled between stages; returning True raises
                :class:`DiscoveryCancelled`.

        Returns:
            self.

        Raises:
            ValueError: bad parameters or array lengths that do not match ``responses``.
            DiscoveryCancelled: the cancel callback asked to stop.
        """
        # Library warnings (convergence, degenerate variance) are collected once each into
        # ``notes_`` instead of flooding the terminal or the app.
        with (
            threadpool_limits(limits=self.n_threads),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            self._fit(
                responses,
                questions=questions,
                correct=correct,
                failure_modes=failure_modes,
                embeddings=embeddings,
                progress=progress,
                should_cancel=should_cancel,
            )
        seen: set[str] = set()
        for w in caught:
            text = f"{w.category.__name__}: {str(w.message).splitlines()[0][:120]}"
            if (
                text not in seen
                and "explained_variance" not in text
                and "invalid value" not in text
            ):
                seen.add(text)
                self.notes_.append(text)
        return self

    def _fit(
        self,
        responses: Sequence[str | None],
        *,
        questions: Sequence[str | None] | None,
        correct: Sequence[float] | np.ndarray | None,
        failure_modes: Sequence[str | None] | None,
        embeddings: np.ndarray | None,
        progress: ProgressFn | None,
        should_cancel: CancelFn | None,
    ) -> SliceDiscoverer:
        report = progress or (lambda stage, frac: None)
        cancelled = should_cancel or (lambda: False)

        def checkpoint(stage: str, frac: float) -> None:
            if cancelled():
                raise DiscoveryCancelled(f"discovery cancelled during {stage}")
            report(stage, frac)

        self._check_params()
        texts = ["" if r is None else str(r) for r in responses]
        n = len(texts)
        qs = None if questions is None else ["" if q is None else str(q) for q in questions]
        for name, arr in (
            ("questions", qs),
            ("correct", correct),
            ("failure_modes", failure_modes),
        ):
            if arr is not None and len(arr) != n:
                raise ValueError(f"{name} has {len(arr)} entries but responses has {n}")
        if embeddings is not None:
            embeddings = np.asarray(embeddings, dtype=float)
            if embeddings.ndim != 2 or embeddings.shape[0] != n:
                raise ValueError(f"embeddings must have shape ({n}, d); got {embeddings.shape}")
        self.notes_: list[str] = []
        labels = np.full(n, NO_CONTENT, dtype=np.int64)
        content = np.array([not is_no_content(t) for t in texts], dtype=bool)
        n_empty = int(n - content.sum())
        if n_empty:
            self.notes_.append(f"{n_empty} samples with no content (empty or [invalid]) set aside")
        idx = np.flatnonzero(content)
        checkpoint("vectorise", 0.05)

        word_blocks: list[sp.csr_matrix] = []
        names: list[str] = []
        blocks: list[sp.csr_matrix] = []
        if idx.size:
            docs = [texts[i] for i in idx]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                resp_words = self._vectorise(
                    docs,
                    TfidfVectorizer(
                        token_pattern=ONE_CHAR_TOKENS,
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        max_features=self.max_features,
                        min_df=1,
                        dtype=np.float32,
                    ),
                    "",
                )
                if resp_words is not None:
                    word_blocks.append(resp_words[0])
                    names += resp_words[1]
                checkpoint("vectorise", 0.2)
                chars = self._vectorise(
                    [_clip_chars(d, self.char_max_chars) for d in docs],
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=self.char_ngram_range,
                        sublinear_tf=True,
                        max_features=self.max_features,
                        dtype=np.float32,
                    ),
                    "c:",
                )
                checkpoint("vectorise", 0.35)
                if qs is not None:
                    q_words = self._vectorise(
                        [qs[i] for i in idx],
                        TfidfVectorizer(
                            token_pattern=ONE_CHAR_TOKENS,
                            sublinear_tf=True,
                            max_features=self.max_features,
                            dtype=np.float32,
                        ),
                        "q:",
                    )
                    if q_words is not None:
                        word_blocks.append(q_words[0] * 0.5)
                        names += q_words[1]
            blocks = list(word_blocks)
            if chars is not None:
                blocks.append(chars[0])
        self.feature_names_ = np.array(names, dtype=object)
        if word_blocks:
            self.tfidf_ = sp.hstack(word_blocks, format="csr")
        else:
            self.tfidf_ = sp.csr_matrix((idx.size, 0), dtype=np.float32)
        checkpoint("reduce", 0.4)

        reduced = self._reduce(blocks, idx.size)
        parts = [reduced]
        if embeddings is not None:
            emb = np.nan_to_num(embeddings[idx], nan=0.0)
            norms = np.linalg.norm(emb, axis=1, keepdims=True)
            emb = np.divide(emb, norms, out=np.zeros_like(emb), where=norms > _EPS)
            parts.append(emb * self.embedding_weight)
        features = np.hstack(parts) if len(parts) > 1 else reduced
        nonzero = np.linalg.norm(features, axis=1) > _EPS
        if (~nonzero).any():
            self.notes_.append(
                f"{int((~nonzero).sum())} samples have too little text to compare"
                " (no usable tokens)"
            )
        labels[idx[~nonzero]] = TOO_LITTLE_TEXT
        keep = idx[nonzero]
        features = features[nonzero]
        if features.size:
            norms = np.linalg.norm(features, axis=1, keepdims=True)
            features = features / norms
        if self.error_aware and features.shape[0]:
            extra = self._error_columns(keep, correct, failure_modes)
            if extra is not None:
                features = np.hstack([features, extra])
        checkpoint("cluster", 0.5)

        d = features.shape[1] if features.ndim == 2 else 0
        self.silhouette_: dict[int, float] = {}
        self.cluster_centers_ = np.zeros((0, d))
        distances = np.full(n, np.inf)
        if keep.size:
            sub_labels, centers = self._cluster(features, checkpoint)
            labels[keep] = sub_labels
            self.cluster_centers_ = centers
            assigned = sub_labels >= 0
            if assigned.any():
                diff = features[assigned] - centers[sub_labels[assigned]]
                distances[keep[assigned]] = np.linalg.norm(diff, axis=1)
        self.labels_ = labels
        self.distances_ = distances
        self.content_index_ = idx
        self.n_clusters_ = int(self.cluster_centers_.shape[0])
        report("done", 1.0)
        return self

    # ------------------------------------------------------------------ helpers
    def _check_params(self) -> None:
        if self.method not in ("kmeans", "hdbscan"):
            raise ValueError(f"method must be 'kmeans' or 'hdbscan', got {self.method!r}")
        k = self.n_clusters
        if not (k == "auto" or (isinstance(k, (int, np.integer)) and int(k) >= 1)):
            raise ValueError(f"n_clusters must be 'auto' or an integer >= 1, got {k!r}")
        lo, hi = self.k_range
        if not (2 <= lo <= hi):
            raise ValueError(f"k_range must satisfy 2 <= low <= high, got {self.k_range}")

    @staticmethod
    def _vectorise(
        docs: list[str], vectoriser: TfidfVectorizer, prefix: str
    ) -> tuple[sp.csr_matrix, list[str]] | None:
        """Fit one vectoriser; None when the documents have no tokens at all."""
        try:
            matrix = vectoriser.fit_transform(docs)
        except ValueError:  # "empty vocabulary": nothing tokenisable
            return None
        return sp.csr_matrix(matrix), [prefix + t for t in vectoriser.get_feature_names_out()]

    def _reduce(self, blocks: list[sp.csr_matrix], n_docs: int) -> np.ndarray:
        if not blocks or n_docs == 0:
            return np.zeros((n_docs, 1))
        matrix = sp.hstack(blocks, format="csr")
        n_comp = min(self.n_components, matrix.shape[1] - 1, n_docs - 1)
        if n_comp < 1:
            return matrix.toarray().astype(float)
        svd = TruncatedSVD(
            n_components=n_comp, random_state=self.random_state, algorithm="randomized", n_iter=4
        )
        return svd.fit_transform(matrix).astype(float)

    def _error_columns(
        self,
        keep: np.ndarray,
        correct: Sequence[float] | np.ndarray | None,
        failure_modes: Sequence[str | None] | None,
    ) -> np.ndarray | None:
        cols = []
        if correct is not None:
            c = np.asarray(correct, dtype=float)[keep]
            cols.append(np.nan_to_num(c, nan=0.0)[:, None])
        if failure_modes is not None:
            modes = np.array([m or "unknown" for m in failure_modes], dtype=object)[keep]
            self.failure_mode_names_ = sorted(set(modes.tolist()))
            onehot = np.array(
                [[m == name for name in self.failure_mode_names_] for m in modes], dtype=float
            )
            cols.append(onehot)
        if not cols:
            self.notes_.append("error_aware ignored: neither correctness nor failure modes given")
            return None
        return np.hstack(cols) * self.error_weight

    def _cluster(
        self, features: np.ndarray, checkpoint: Callable[[str, float], None]
    ) -> tuple[np.ndarray, np.ndarray]:
        n = features.shape[0]
        n_distinct = int(np.unique(np.round(features, 6), axis=0).shape[0])
        if self.method == "hdbscan":
            return self._hdbscan(features, n_distinct, checkpoint)
        if self.n_clusters == "auto":
            lo, hi = self.k_range
            if n_distinct < lo:
                k = max(1, n_distinct)
                self.notes_.append(
                    f"only {n_distinct} distinct documents: k set to {k} (auto range {lo}-{hi})"
                )
            else:
                k = self._choose_k(features, lo, min(hi, n_distinct), checkpoint)
        else:
            k = int(self.n_clusters)
            if k > n_distinct:
                self.notes_.append(
                    f"k={k} clamped to {n_distinct}: only {n_distinct} distinct documents"
                )
                k = n_distinct
        checkpoint("cluster", 0.85)
        if k <= 1:
            return np.zeros(n, dtype=np.int64), features.mean(axis=0, keepdims=True)
        model = self._kmeans(k).fit(features)
        return model.labels_.astype(np.int64), model.cluster_centers_

    def _kmeans(self, k: int) -> MiniBatchKMeans:
        return MiniBatchKMeans(
            n_clusters=k,
            random_state=self.random_state,
            n_init=3,
            batch_size=4096,
            max_no_improvement=10,
        )

    def _subsample(self, n: int, size: int) -> np.ndarray:
        if n <= size:
            return np.arange(n)
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(n, size=size, replace=False))

    def _choose_k(
        self, features: np.ndarray, lo: int, hi: int, checkpoint: Callable[[str, float], None]
    ) -> int:
        """k with the highest silhouette on a subsample (ties go to the smaller k)."""
        sub = features[self._subsample(features.shape[0], self.silhouette_sample)]
        n_sub_distinct = int(np.unique(np.round(sub, 6), axis=0).shape[0])
        hi = min(hi, n_sub_distinct - 1) if n_sub_distinct > 2 else min(hi, n_sub_distinct)
        best_k, best = lo, -np.inf
        ks = list(range(lo, max(lo, hi) + 1))
        for j, k in enumerate(ks):
            checkpoint("choose k", 0.5 + 0.3 * j / max(1, len(ks)))
            if k >= n_sub_distinct:
                break
            labels = self._kmeans(k).fit_predict(sub)
            if len(set(labels.tolist())) < 2:
                continue
            score = float(silhouette_score(sub, labels, random_state=self.random_state))
            self.silhouette_[k] = score
            if score > best + 1e-9:
                best_k, best = k, score
        if self.silhouette_:
            self.notes_.append(
                f"k={best_k} chosen by silhouette ({best:.3f}) over k={ks[0]}..{ks[-1]}"
                + (
                    f" on a {sub.shape[0]}-sample subsample"
                    if sub.shape[0] < features.shape[0]
                    else ""
                )
            )
        return best_k

    def _hdbscan(
        self, features: np.ndarray, n_distinct: int, checkpoint: Callable[[str, float], None]
    ) -> tuple[np.ndarray, np.ndarray]:
        n = features.shape[0]
        sub_idx = self._subsample(n, self.hdbscan_max_samples)
        if sub_idx.size < n:
            self.notes_.append(
                f"HDBSCAN fitted on {sub_idx.size} of {n} samples; the rest joined the nearest centre"
            )
        mcs = self.min_cluster_size or max(5, sub_idx.size // 100)
        mcs = max(2, min(mcs, sub_idx.size))
        if sub_idx.size < 2 or n_distinct < 2:
            return np.zeros(n, dtype=np.int64), features.mean(axis=0, keepdims=True)
        model = HDBSCAN(min_cluster_size=mcs, copy=True).fit(features[sub_idx])
        checkpoint("cluster", 0.85)
        sub_labels = model.labels_
        ids = sorted(set(sub_labels.tolist()) - {-1})
        if not ids:
            self.notes_.append("HDBSCAN found no dense group; everything is noise")
            return np.full(n, NOISE, dtype=np.int64), np.zeros((0, features.shape[1]))
        centers = np.vstack([features[sub_idx[sub_labels == c]].mean(axis=0) for c in ids])
        remap = {c: i for i, c in enumerate(ids)}
        labels = np.full(n, NOISE, dtype=np.int64)
        labels[sub_idx] = [remap.get(c, NOISE) for c in sub_labels.tolist()]
        rest = np.setdiff1d(np.arange(n), sub_idx)
        if rest.size:
            d2 = (
                (features[rest] ** 2).sum(1)[:, None]
                - 2 * features[rest] @ centers.T
                + (centers**2).sum(1)[None, :]
            )
            labels[rest] = d2.argmin(axis=1)
        return labels, centers


# ---------------------------------------------------------------------- description
@dataclass
class Suggestion:
    """One suggested slice (a cluster or a fixed bucket) and its evidence.

    ``error_rate`` and its Wilson 95% interval are over member samples (1 - score); ``diff``
    is ``error_rate - run_error_rate``. ``members`` are indices into the fitted arrays
    (the workspace maps them to sample/item ids); ``representatives`` are the indices of the
    samples nearest the centre.
    """

    cluster: int
    name: str
    size: int
    n_errors: float
    error_rate: float | None
    ci_low: float | None
    ci_high: float | None
    diff: float | None
    top_terms: list[str]
    dominant_failure_mode: str | None
    failure_mode_share: float | None
    failure_modes: dict[str, int]
    labels: dict[str, dict[str, int]]
    groups: dict[str, int]
    representatives: list[int]
    members: list[int] = field(repr=False, default_factory=list)

    def to_dict(self, members: bool = False) -> dict[str, Any]:
        """The suggestion as a dict; ``members`` (sample row indices) only when asked for."""
        d = asdict(self)
        if not members:
            d.pop("members")
        return d


def top_terms(
    tfidf: sp.csr_matrix, names: np.ndarray, member_mask: np.ndarray, n_terms: int = 8
) -> list[str]:
    """Terms whose mean TF-IDF in the cluster most exceeds their mean outside it.

    Args:
        tfidf: (m, f) TF-IDF rows of the clustered documents.
        names: (f,) feature names.
        member_mask: (m,) bool, True for cluster members.

    Returns:
        Up to ``n_terms`` names with a positive difference, largest first.
    """
    if tfidf.shape[1] == 0 or not member_mask.any():
        return []
    inside = np.asarray(tfidf[member_mask].mean(axis=0)).ravel()
    outside = (
        np.asarray(tfidf[~member_mask].mean(axis=0)).ravel()
        if (~member_mask).any()
        else np.zeros_like(inside)
    )
    score = inside - outside
    order = np.argsort(-score, kind="stable")[:n_terms]
    return [str(names[i]) for i in order if score[i] > 0]


def describe_clusters(
    model: SliceDiscoverer,
    *,
    correct: Sequence[float] | np.ndarray | None = None,
    failure_modes: Sequence[str | None] | None = None,
    labels: dict[str, Sequence[str | None]] | None = None,
    groups: Sequence[str] | None = None,
    run_error_rate: float | None = None,
    n_terms: int = 8,
    n_representatives: int = 3,
) -> list[Suggestion]:
    """Summarise every cluster and non-empty bucket of a fitted model, largest first.

    Args:
        model: a fitted :class:`SliceDiscoverer`.
        correct: (n,) scores in [0, 1]; error = 1 - score (Wilson interval from
            :func:`capslice_tui.analysis.metrics.wilson_interval`).
        failure_modes: (n,) failure mode per sample.
        labels: axis -> (n,) effective label per sample (None = unlabelled).
        groups: (n,) e.g. task per sample; reported as a count distribution.
        run_error_rate: the whole run's error rate, for ``diff``.

    Returns:
        Suggestions ordered by cluster id (clusters first, then buckets).
    """
    lab = model.labels_
    n = lab.shape[0]
    scores = None if correct is None else np.nan_to_num(np.asarray(correct, dtype=float), nan=0.0)
    pos = np.full(n, -1, dtype=np.int64)
    pos[model.content_index_] = np.arange(model.content_index_.size)
    out: list[Suggestion] = []
    clusters = sorted(c for c in set(lab.tolist()) if c >= 0)
    buckets = sorted((c for c in set(lab.tolist()) if c < 0), reverse=True)
    for c in clusters + buckets:
        members = np.flatnonzero(lab == c)
        size = int(members.size)
        n_err = err = lo = hi = diff = None
        if scores is not None:
            n_err = float(size - scores[members].sum())
            err = n_err / size
            lo, hi = wilson_interval(n_err, size)
            diff = None if run_error_rate is None else err - run_error_rate
        terms: list[str] = []
        if c >= 0 or c == TOO_LITTLE_TEXT:
            rows = pos[members]
            mask = np.zeros(model.content_index_.size, dtype=bool)
            mask[rows[rows >= 0]] = True
            terms = top_terms(model.tfidf_, model.feature_names_, mask, n_terms)
        modes: Counter[str] = Counter()
        if failure_modes is not None:
            modes = Counter(str(failure_modes[i] or "unknown") for i in members)
        dom, share = modes.most_common(1)[0] if modes else (None, None)
        label_dist: dict[str, dict[str, int]] = {}
        for axis, values in (labels or {}).items():
            cnt = Counter(
                str(values[i]) if values[i] is not None else "(unlabelled)" for i in members
            )
            label_dist[axis] = dict(cnt.most_common())
        group_dist = (
            dict(Counter(str(groups[i]) for i in members).most_common())
            if groups is not None
            else {}
        )
        if c >= 0:
            order = members[np.argsort(model.distances_[members], kind="stable")]
        else:
            order = members
        reps = [int(i) for i in order[:n_representatives]]
        out.append(
            Suggestion(
                cluster=int(c),
                name=BUCKET_NAMES.get(c, f"cluster {c}"),
                size=size,
                n_errors=0.0 if n_err is None else n_err,
                error_rate=err,
                ci_low=lo,
                ci_high=hi,
                diff=diff,
                top_terms=terms,
                dominant_failure_mode=dom,
                failure_mode_share=None if share is None else share / size,
                failure_modes=dict(modes.most_common()),
                labels=label_dist,
                groups=group_dist,
                representatives=reps,
                members=[int(i) for i in members],
            )
        )
    return out
