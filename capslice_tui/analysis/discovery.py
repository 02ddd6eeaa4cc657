"""Slice discovery: coherent groups of samples whose error rate differs, that no label names.

Pure numpy / scikit-learn (no SQL, no Textual; scikit-learn and SciPy are imported inside the
functions that use them, so importing this module stays cheap). Two layers:

:func:`find_slices` is error-aware slice discovery in the manner of Domino (Eyuboglu et al.
2022) and Spotlight (d'Eon et al. 2022): over all samples of a run it builds candidate groups
(clusters, unions of error-rich clusters, items sharing a question word, generation failure
modes), tests each against the rest and within its tasks, corrects for the number tested
(Benjamini-Hochberg), measures how much each restates an existing label, and describes the
groups kept (class-based TF-IDF words, over-represented label values, representatives).

:class:`SliceDiscoverer` is the clustering it uses:

1. documents with no content (empty, whitespace, ``[invalid]``) go to the fixed
   :data:`NO_CONTENT` bucket before anything is vectorised;
2. the rest are represented by TF-IDF over the question (words, first) and the response
   (words, second; character n-grams only when there are no questions; ``token_pattern``
   keeps one-character tokens so ``(B)`` counts), every number normalised to one token,
   optionally with user-supplied embedding columns;
3. TruncatedSVD reduces the sparse matrix; rows are L2-normalised (so Euclidean k-means is
   spherical/cosine k-means). Rows whose vector is zero go to :data:`TOO_LITTLE_TEXT` and never
   reach the normalisation;
4. with ``error_aware=True`` failure-mode (and, unless ``error_features="failure_mode"``,
   correctness) indicators are appended with a weight, so clusters are homogeneous in *how*
   the model fails (Domino's error-aware embedding);
5. MiniBatchKMeans with k chosen by the silhouette coefficient (Rousseeuw 1987) on a subsample,
   or a fixed k, or HDBSCAN (Campello et al. 2013) fitted on at most ``hdbscan_max_samples``.
   Identical documents are said so ("all 7 documents are identical"); empty k-means clusters
   are dropped so the k reported is the number of groups.

:func:`describe_clusters` turns a fitted :class:`SliceDiscoverer` into :class:`Suggestion`
records (one per cluster: size, error rate with a Wilson interval, top terms, failure modes,
labels, the samples nearest the centre).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..formatting import agree, plural
from ..vocabulary import FORMAT_MODES, MIN_SLICE_SIZE
from .metrics import N_BOOT, percentile_interval, wilson_interval

if TYPE_CHECKING:  # scikit-learn and SciPy are imported inside the functions that use them
    import scipy.sparse as sp
    from sklearn.cluster import MiniBatchKMeans

_HASH_FEATURES = 2**18
"""Columns of the hashed character n-grams of large runs without questions."""
NO_CONTENT = -1
"""Cluster label of samples whose response is empty or ``[invalid]`` (fixed bucket)."""
TOO_LITTLE_TEXT = -2
"""Cluster label of samples whose feature vector is zero (nothing left to compare)."""
NOISE = -3
"""Cluster label HDBSCAN gives to samples that fit no dense group."""

BUCKET_NAMES = {NO_CONTENT: "no content", TOO_LITTLE_TEXT: "too little text", NOISE: "noise"}

INVALID_MARKERS = frozenset({"", "[invalid]", "[invalid answer]", "none", "null"})
ONE_CHAR_TOKENS = r"(?u)\b\w+\b"
NUMBER_TOKEN = " num "
"""What every number becomes before vectorising: the values of numbers never define a group."""
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:(?:st|nd|rd|th)\b)?")
_EPS = 1e-12

ProgressFn = Callable[[str, float], None]
CancelFn = Callable[[], bool]


def clustered_error_interval(
    item_ids: Sequence[Any], errors: Any, n_boot: int = N_BOOT, random_state: int = 0
) -> tuple[float, float]:
    """95% percentile interval of a group's error rate over its member samples when items
    contribute several samples: a bootstrap that resamples items, not samples (the cluster
    bootstrap of Davison & Hinkley 1997, §3.8; Field & Welsh 2007), of the pooled ratio
    ``sum(errors) / number of samples`` (the rate discovery prints).

    Args:
        item_ids: shape (n,), the item of each member sample (any hashable ids).
        errors: shape (n,), each sample's error in [0, 1] (1 - score).
        n_boot: resamples (B); random_state: seed (the same interval on every call).

    Returns:
        (low, high) in [0, 1]; the Wilson interval over the items (each item's error rate as
        its outcome) when every item has the same error rate (resampling items cannot vary).

    Raises:
        ValueError: no samples, or lengths differ.
    """
    err = np.asarray(errors, dtype=float).ravel()
    if err.size == 0 or err.size != len(item_ids):
        raise ValueError(f"clustered_error_interval: {len(item_ids)} item ids, {err.size} errors")
    _, inverse = np.unique(np.asarray([str(i) for i in item_ids], dtype=object).astype(str),
                           return_inverse=True)  # fmt: skip
    n_i = np.bincount(inverse).astype(float)
    e_i = np.bincount(inverse, weights=err)
    m = n_i.size
    rates = e_i / n_i
    if rates.min() == rates.max():  # as metrics.slice_score: Wilson over the items
        return wilson_interval(float(rates.sum()), m)
    rng = np.random.default_rng(random_state)
    boot = np.empty(n_boot)
    rows = max(1, 2_000_000 // m)
    start = 0
    while start < n_boot:
        stop = min(n_boot, start + rows)
        idx = rng.integers(0, m, size=(stop - start, m))
        boot[start:stop] = e_i[idx].sum(axis=1) / n_i[idx].sum(axis=1)
        start = stop
    return percentile_interval(boot)


class DiscoveryCancelled(Exception):
    """Raised inside :meth:`SliceDiscoverer.fit` when the cancel callback returns True."""


def is_no_content(text: str | None) -> bool:
    """True for None, whitespace-only text and invalid markers such as ``[invalid]``."""
    if text is None:
        return True
    return text.strip().lower() in INVALID_MARKERS


def normalise_numbers(text: str) -> str:
    """Lower-cased ``text`` with every number (``42``, ``3.5``, ``1,200``, ``5th``) replaced by
    ``num``.

    Groups must follow what a question asks, not the numbers drawn into it (issue 10: clusters
    that followed the digits of the answers), so numbers are one token whatever their value.
    """
    return _NUMBER.sub(NUMBER_TOKEN, text.lower())


_LATEX_CONTROL_WORD = re.compile(r"\\[A-Za-z]+")
"""A LaTeX control word: a backslash and the letters after it (``\\le``, ``\\frac``, ``\\cdot``)."""


def normalise_words(text: str) -> str:
    """:func:`normalise_numbers` of ``text`` with every LaTeX control word (``\\le``,
    ``\\frac``, ``\\pmod``) replaced by a space: the word tokenisation's preprocessor.

    Markup is no question word (walk 11: ``$n \\le 2025$`` made ``le`` a term, ``q:le``, and a
    group named ``le-divisible``); the arguments of a command stay (``\\text{cm}`` keeps
    ``cm``). A text that holds a newline escaped twice (the two characters ``\\n`` before a
    word) loses that word with it: logs store newlines as newlines.
    """
    return normalise_numbers(_LATEX_CONTROL_WORD.sub(" ", text))


def _n_distinct(features: np.ndarray, chunk: int = 16384) -> int:
    """Number of distinct rows of ``features`` after rounding to 6 decimals.

    Rows are compared by their projection on a fixed random direction, computed in chunks
    (``np.unique(..., axis=0)`` sorted a rounded copy of the whole matrix: 80 MB transient at
    100k x 50). Distinct rounded rows share a projection with probability zero.
    """
    if features.shape[0] == 0:
        return 0
    direction = np.random.default_rng(12345).normal(size=features.shape[1])
    proj = np.concatenate(
        [
            np.round(features[lo : lo + chunk], 6) @ direction
            for lo in range(0, features.shape[0], chunk)
        ]
    )
    return int(np.unique(np.round(proj, 9)).size)  # equal rows, equal sums to 1e-9


def _clip_chars(text: str, max_chars: int) -> str:
    """Head and tail of a long text: where a generation starts and where its answer is."""
    if len(text) <= max_chars:
        return text
    half = max_chars // 2
    return text[:half] + " \u2026 " + text[-half:]


def _hashed_char_counts(
    docs: Sequence[str],
    ngram_range: tuple[int, int],
    n_features: int = 2**18,
    chunk: int = 8192,
    col_map: np.ndarray | None = None,
) -> sp.csr_matrix:
    """(len(docs), n_features) float32 counts of the hashed character n-grams of ``docs``.

    The n-grams (sizes ``ngram_range``, across spaces, of the lowercased text) are hashed with
    a polynomial hash of the code points in numpy, ``chunk`` documents at a time (no Python
    loop per n-gram: ~20x faster than ``CountVectorizer(analyzer="char_wb")`` on 100k texts);
    colliding n-grams share a column (the hashing trick, Weinberger et al. 2009; like
    ``HashingVectorizer(alternate_sign=False)``). Identical documents are hashed once.
    ``col_map`` ((n_features,) int: column of each hash, -1 to drop it) keeps only the
    columns of a fitted vocabulary; the matrix then has ``col_map.max() + 1`` columns.
    """
    import scipy.sparse as sp

    first: dict[str, int] = {}
    inverse = np.fromiter(
        (first.setdefault(d, len(first)) for d in docs), dtype=np.int64, count=len(docs)
    )
    distinct = [d.lower() for d in first]
    width_out = n_features if col_map is None else int(col_map.max(initial=-1)) + 1
    lo_n, hi_n = ngram_range
    parts = []
    for start in range(0, len(distinct), chunk):
        part = distinct[start : start + chunk]
        lens = np.fromiter((len(d) for d in part), dtype=np.int64, count=len(part))
        width = max(int(lens.max(initial=0)), hi_n)
        codes = (
            np.frombuffer(
                "".join(d.ljust(width, "\0") for d in part).encode("utf-32-le"), dtype=np.uint32
            )
            .reshape(len(part), width)
            .astype(np.uint64)
        )
        rows_all, cols_all = [], []
        for size in range(lo_n, hi_n + 1):
            span = width - size + 1
            h = np.full((len(part), span), size, dtype=np.uint64)
            for j in range(size):
                h = h * np.uint64(1000003) + codes[:, j : j + span]
            h *= np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the high bits are mixed
            valid = np.arange(span)[None, :] + size <= lens[:, None]
            rows_all.append(np.nonzero(valid)[0].astype(np.int32))
            cols_all.append(((h[valid] >> np.uint64(32)) % np.uint64(n_features)).astype(np.int32))
        rows = np.concatenate(rows_all)
        cols = np.concatenate(cols_all)
        if col_map is not None:
            cols = col_map[cols]
            rows, cols = rows[cols >= 0], cols[cols >= 0]
        parts.append(
            sp.csr_matrix(
                (np.ones(rows.size, dtype=np.float32), (rows, cols)),
                shape=(len(part), width_out),
            )
        )
    matrix = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, width_out))
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    if len(first) < len(docs):
        matrix = matrix[inverse]
    return matrix


class _HashedCharTfidf:
    """Sublinear TF-IDF (l2 rows, times ``scale``) of hashed character n-grams, computed on
    demand for any rows: the vocabulary (hashes seen) and IDF are fitted on a subsample
    (:meth:`fit`), every row is then produced chunk by chunk and projected, so the whole
    (n, v) matrix of a large run never exists at once.
    """

    def __init__(self, docs: list[str], ngram_range: tuple[int, int], scale: float) -> None:
        self.docs = docs
        self.ngram_range = ngram_range
        self.scale = scale
        self.col_map: np.ndarray | None = None
        self.idf = np.zeros(0, dtype=np.float32)
        self.shape = (len(docs), 0)

    def fit(self, rows: np.ndarray) -> None:
        """Vocabulary and smoothed IDF (``ln((1 + m) / (1 + df)) + 1``) of ``rows`` (m)."""
        counts = _hashed_char_counts([self.docs[i] for i in rows], self.ngram_range, _HASH_FEATURES)
        df = np.bincount(counts.indices, minlength=_HASH_FEATURES)
        used = np.flatnonzero(df)
        self.col_map = np.full(_HASH_FEATURES, -1, dtype=np.int32)
        self.col_map[used] = np.arange(used.size, dtype=np.int32)
        self.idf = (np.log((1.0 + rows.size) / (1.0 + df[used])) + 1.0).astype(np.float32)
        self.shape = (len(self.docs), int(used.size))

    def rows(self, rows: np.ndarray) -> sp.csr_matrix:
        """(len(rows), v) float32 TF-IDF rows (:meth:`fit` first)."""
        from sklearn.preprocessing import normalize

        counts = _hashed_char_counts(
            [self.docs[i] for i in rows], self.ngram_range, _HASH_FEATURES, col_map=self.col_map
        )
        np.log(counts.data, out=counts.data)
        counts.data += 1.0
        counts.data *= self.idf[counts.indices]
        normalize(counts, copy=False)
        counts.data *= self.scale
        return counts


class SliceDiscoverer:
    """Cluster samples into groups (scikit-learn estimator conventions: ``fit`` returns self,
    fitted attributes end in ``_``).

    Representation: the question text comes first (word TF-IDF, weight 1), the response
    second (word TF-IDF, weight 0.5) whenever questions are given for at least half of the
    samples; otherwise the response alone (word TF-IDF and character n-grams). Every number is
    normalised to one token (:func:`normalise_numbers`) before vectorising.

    Args:
        method: ``"kmeans"`` (MiniBatchKMeans) or ``"hdbscan"``.
        n_clusters: ``"auto"`` (silhouette over ``k_range``) or a fixed k (clamped to the
            number of distinct non-empty documents; ``notes_`` says so).
        k_range: (smallest, largest) k tried by ``"auto"``.
        error_aware: append correctness and failure-mode indicators (needs ``correct`` and/or
            ``failure_modes`` in :meth:`fit`).
        error_features: ``"both"`` (correctness and failure mode) or ``"failure_mode"`` (only
            the failure mode: clusters then never merely split right from wrong).
        error_weight: weight of those indicators against the unit-norm text vector.
        embedding_weight: weight of the (L2-normalised) user embedding columns.
        n_components: TruncatedSVD dimensions (clamped to the feature count).
        max_features: vocabulary cap per vectoriser.
        char_ngram_range: character n-gram sizes for responses (``char_wb``).
        char_max_chars: responses longer than this feed only their head and tail (80
            characters each by default: where a generation starts and where its answer is)
            to the character n-grams; the word tokens see everything (counting n-grams is
            the slowest step of a run without questions).
        char_hash_above: from this many non-empty responses on (a run without questions),
            the character n-grams are hashed (:func:`_hashed_char_counts`, 2**18 columns) over
            ``char_hash_max_chars`` characters (head and tail) and word bigrams are left out:
            counting them in Python took 43 s of CPU and 986 MB on 100k samples. Above
            ``svd_sample`` rows their vocabulary and IDF come from the SVD subsample and the
            rows are produced and projected in chunks (:class:`_HashedCharTfidf`).
        char_hash_max_chars: the head-and-tail window of those hashed character n-grams.
        silhouette_sample: subsample size used to choose k (and to score silhouette).
        svd_sample: TruncatedSVD is fitted on at most this many rows; all rows are projected.
        hdbscan_max_samples: HDBSCAN fits at most this many points; the others join the
            nearest cluster centre.
        keep_tfidf: keep ``tfidf_`` after fitting (False frees it once the dimensions are
            reduced; :func:`describe_clusters` needs it, :func:`find_slices` does not).
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
        notes_: human-readable remarks (clamped k, too little text, subsampling...); raw
            library warnings never appear here (they are rephrased or dropped).
        k_reason_: one sentence saying how k was chosen.
        features_: (m, d) L2-normalised reduced features of the clustered rows.
        feature_index_: (m,) row index (into the fitted arrays) of each ``features_`` row.
        feature_names_: names of the TF-IDF word columns (``q:`` prefix for the question).
        tfidf_: (m, n_word_features) sparse TF-IDF word matrix used for top terms (None
            with ``keep_tfidf=False``).
        word_counts_: ``{"q": (counts, tokens) or None, "r": ...}``: (n, v) sparse token
            counts of the questions and responses of every row (see :meth:`_counts`).
    """

    def __init__(
        self,
        method: str = "kmeans",
        n_clusters: int | str = "auto",
        k_range: tuple[int, int] = (2, 20),
        error_aware: bool = False,
        error_weight: float = 1.0,
        error_features: str = "both",
        embedding_weight: float = 1.0,
        n_components: int = 50,
        max_features: int = 20000,
        char_ngram_range: tuple[int, int] = (2, 4),
        char_max_chars: int = 160,
        char_hash_above: int = 20000,
        char_hash_max_chars: int = 48,
        silhouette_sample: int = 3000,
        svd_sample: int = 20000,
        hdbscan_max_samples: int = 10000,
        keep_tfidf: bool = True,
        min_cluster_size: int | None = None,
        random_state: int | None = 0,
        n_threads: int = 1,
    ) -> None:
        self.method = method
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.error_aware = error_aware
        self.error_weight = error_weight
        self.error_features = error_features
        self.embedding_weight = embedding_weight
        self.n_components = n_components
        self.max_features = max_features
        self.char_ngram_range = char_ngram_range
        self.char_max_chars = char_max_chars
        self.char_hash_above = char_hash_above
        self.char_hash_max_chars = char_hash_max_chars
        self.silhouette_sample = silhouette_sample
        self.svd_sample = svd_sample
        self.hdbscan_max_samples = hdbscan_max_samples
        self.keep_tfidf = keep_tfidf
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
        # threadpoolctl limits only the libraries already loaded: scikit-learn's OpenMP
        # runtime and SciPy's BLAS are loaded first (imported later, k-means ran on every
        # core, spin-waiting: 9.9 s instead of 2.0 s to choose k on 100k samples)
        import scipy.linalg  # noqa: F401
        import sklearn.cluster  # noqa: F401
        import sklearn.decomposition  # noqa: F401
        import sklearn.metrics  # noqa: F401
        from threadpoolctl import threadpool_limits

        # Library warnings (convergence, degenerate variance, divide by zero on identical
        # documents) never reach the terminal or the app as raw text: degenerate input is
        # detected and explained by this class itself, convergence is rephrased once.
        with (
            threadpool_limits(limits=self.n_threads),
            warnings.catch_warnings(record=True) as caught,
            np.errstate(divide="ignore", invalid="ignore"),
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
        if any(w.category.__name__ == "ConvergenceWarning" for w in caught):
            self.notes_.append(
                "k-means stopped before it converged; the groups may shift with another seed"
            )
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
        texts, qs, embeddings = self._inputs(
            responses, questions, correct, failure_modes, embeddings
        )
        n = len(texts)
        self.notes_: list[str] = []
        labels = np.full(n, NO_CONTENT, dtype=np.int64)
        content = np.array([not is_no_content(t) for t in texts], dtype=bool)
        n_empty = int(n - content.sum())
        if n_empty:
            self.notes_.append(
                f"{plural(n_empty, 'sample')} with no content (empty or [invalid]) set aside"
            )
        idx = np.flatnonzero(content)
        checkpoint("vectorise", 0.05)
        has_questions = qs is not None and sum(bool(q.strip()) for q in qs) * 2 >= n
        blocks = self._vectorise(texts, qs, idx, has_questions, checkpoint)
        features, keep = self._features(blocks, idx, embeddings, correct, failure_modes, labels)
        checkpoint("cluster", 0.5)
        self._assign(features, keep, idx, labels, checkpoint)
        report("done", 1.0)
        return self

    def _inputs(
        self,
        responses: Sequence[str | None],
        questions: Sequence[str | None] | None,
        correct: Sequence[float] | np.ndarray | None,
        failure_modes: Sequence[str | None] | None,
        embeddings: np.ndarray | None,
    ) -> tuple[list[str], list[str] | None, np.ndarray | None]:
        """(texts, questions, embeddings) of :meth:`fit` checked against one another."""
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
        return texts, qs, embeddings

    def _vectorise(
        self,
        texts: list[str],
        qs: list[str] | None,
        idx: np.ndarray,
        has_questions: bool,
        checkpoint: Callable[[str, float], None],
    ) -> list[Any]:
        """The blocks of columns to reduce (word TF-IDF, character n-grams) of the content
        rows ``idx``; sets ``word_counts_``, ``feature_names_`` and ``tfidf_``."""
        import scipy.sparse as sp

        second = 0.5 if has_questions else 1.0  # the response is second to the question
        blocks: list[Any] = []
        large = idx.size >= self.char_hash_above
        if large and not has_questions:
            self.notes_.append(
                f"{idx.size} responses: character n-grams hashed over {self.char_hash_max_chars}"
                " characters of each, no word pairs"
            )
        word_blocks, names = self._word_blocks(
            texts, qs, idx, has_questions, large, second, checkpoint
        )
        chars: tuple[sp.csr_matrix, list[str]] | None = None
        lazy_chars: _HashedCharTfidf | None = None
        if idx.size:
            checkpoint("vectorise", 0.3)
            chars, lazy_chars = self._char_block(texts, idx, has_questions, large, second)
            checkpoint("vectorise", 0.35)
            if chars is not None:
                chars[0].data *= second
        self.feature_names_ = np.array(names, dtype=object)
        if len(word_blocks) > 1:
            self.tfidf_ = sp.hstack(word_blocks, format="csr")
        elif word_blocks:
            self.tfidf_ = word_blocks[0]
        else:
            self.tfidf_ = sp.csr_matrix((idx.size, 0), dtype=np.float32)
        del word_blocks  # one copy of the word matrices: tfidf_
        if self.tfidf_.shape[1]:
            blocks.append(self.tfidf_)
        if chars is not None:
            blocks.append(chars[0])
        checkpoint("reduce", 0.4)
        if lazy_chars is not None:  # only when idx.size > svd_sample: never stacked below
            blocks.append(lazy_chars)

        if len(blocks) > 1 and idx.size <= self.svd_sample:
            # one matrix for the SVD; the blocks are let go before it runs (a larger run is
            # projected block by block: no copy of the whole matrix)
            blocks = [sp.hstack(blocks, format="csr")]
        chars = None
        if not self.keep_tfidf:
            self.tfidf_ = None
        return blocks

    def _word_blocks(
        self,
        texts: list[str],
        qs: list[str] | None,
        idx: np.ndarray,
        has_questions: bool,
        large: bool,
        second: float,
        checkpoint: Callable[[str, float], None],
    ) -> tuple[list[sp.csr_matrix], list[str]]:
        """Word TF-IDF blocks of the content rows ``idx`` (response, then question) and
        their column names; sets ``word_counts_`` (token counts of every row)."""
        word_blocks: list[sp.csr_matrix] = []
        names: list[str] = []
        # Each field is tokenised once (identical texts once): its counts over all n rows
        # serve the clustering (TF-IDF of the content rows), and find_slices' term candidates
        # and descriptions (word_counts_).
        self.word_counts_: dict[str, tuple[sp.csr_matrix, np.ndarray] | None] = {
            "q": None,
            "r": None,
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # word bigrams only when the response is all there is (they double the vocabulary)
            self.word_counts_["r"] = r_counts = self._counts(
                texts, (1, 1) if has_questions or large else (1, 2)
            )
            checkpoint("vectorise", 0.2)
            if has_questions and qs is not None:
                self.word_counts_["q"] = self._counts(qs, (1, 1))
        if idx.size:
            resp_words = self._tfidf(r_counts, idx, "")
            if resp_words is not None:
                resp_words[0].data *= second  # our own matrix: scaled in place
                word_blocks.append(resp_words[0])
                names += resp_words[1]
            q_words = self._tfidf(self.word_counts_["q"], idx, "q:")
            if q_words is not None:
                word_blocks.append(q_words[0])
                names += q_words[1]
        return word_blocks, names

    def _char_block(
        self,
        texts: list[str],
        idx: np.ndarray,
        has_questions: bool,
        large: bool,
        second: float,
    ) -> tuple[tuple[sp.csr_matrix, list[str]] | None, _HashedCharTfidf | None]:
        """Character n-gram TF-IDF of the content rows ``idx`` when there are no questions:
        (matrix, names), or hashed rows produced later in chunks (``_HashedCharTfidf``)."""
        chars: tuple[sp.csr_matrix, list[str]] | None = None
        lazy_chars: _HashedCharTfidf | None = None
        # character n-grams tell short answers apart ("(B)", "42"); with questions
        # the question defines the group and they are left out (the slowest step)
        if not has_questions and large:
            lazy = _HashedCharTfidf(
                [normalise_numbers(_clip_chars(texts[i], self.char_hash_max_chars)) for i in idx],
                self.char_ngram_range,
                second,
            )
            if idx.size > self.svd_sample:  # produced and projected in chunks (_reduce)
                lazy_chars = lazy
            else:
                lazy.fit(np.arange(idx.size))
                chars = (lazy.rows(np.arange(idx.size)), [])
                chars[0].data /= second  # scaled below with the other blocks
        elif not has_questions:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # short answers repeat ("(B)", "42"): each distinct one is cut once
                char_counts = self._counts(
                    [normalise_numbers(_clip_chars(texts[i], self.char_max_chars)) for i in idx],
                    self.char_ngram_range,
                    analyzer="char_wb",
                )
                chars = self._tfidf(char_counts, np.arange(idx.size), "c:", keep_counts=False)
                del char_counts  # only their TF-IDF is used
        return chars, lazy_chars

    def _features(
        self,
        blocks: list[Any],
        idx: np.ndarray,
        embeddings: np.ndarray | None,
        correct: Sequence[float] | np.ndarray | None,
        failure_modes: Sequence[str | None] | None,
        labels: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(features, rows): the reduced, L2-normalised features of the rows with usable
        text (plus embeddings and error columns); rows without are marked in ``labels``."""
        reduced = self._reduce(blocks, idx.size)
        blocks.clear()
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
                f"{plural(int((~nonzero).sum()), 'sample')} have too little text to compare"
                " (no usable tokens)"
            )
        labels[idx[~nonzero]] = TOO_LITTLE_TEXT
        keep = idx[nonzero]
        if not nonzero.all():
            features = features[nonzero]
        if features.size:  # our own array (a copy of the SVD output): normalised in place
            features /= np.linalg.norm(features, axis=1, keepdims=True)
        if self.error_aware and features.shape[0]:
            extra = self._error_columns(keep, correct, failure_modes)
            if extra is not None:
                features = np.hstack([features, extra])
        return features, keep

    def _assign(
        self,
        features: np.ndarray,
        keep: np.ndarray,
        idx: np.ndarray,
        labels: np.ndarray,
        checkpoint: Callable[[str, float], None],
    ) -> None:
        """Cluster the rows ``keep`` and set the fitted attributes (labels, centres,
        distances, features)."""
        n = labels.size
        d = features.shape[1] if features.ndim == 2 else 0
        self.silhouette_: dict[int, float] = {}
        self.k_reason_ = ""
        self.cluster_centers_ = np.zeros((0, d))
        distances = np.full(n, np.inf)
        if keep.size:
            sub_labels, centers = self._cluster(features, checkpoint)
            labels[keep] = sub_labels
            self.cluster_centers_ = centers
            assigned = sub_labels >= 0
            for lo in range(0, keep.size, 16384):  # in chunks: no second copy of features
                part = slice(lo, lo + 16384)
                ok = assigned[part]
                diff = features[part][ok] - centers[sub_labels[part][ok]]
                distances[keep[part][ok]] = np.linalg.norm(diff, axis=1)
        self.labels_ = labels
        self.features_ = features
        self.feature_index_ = keep
        self.distances_ = distances
        self.content_index_ = idx
        self.n_clusters_ = int(self.cluster_centers_.shape[0])

    # ------------------------------------------------------------------ helpers
    def _check_params(self) -> None:
        if self.error_features not in ("both", "failure_mode"):
            raise ValueError(
                f"error_features must be 'both' or 'failure_mode', got {self.error_features!r}"
            )
        if self.method not in ("kmeans", "hdbscan"):
            raise ValueError(f"method must be 'kmeans' or 'hdbscan', got {self.method!r}")
        k = self.n_clusters
        if not (k == "auto" or (isinstance(k, (int, np.integer)) and int(k) >= 1)):
            raise ValueError(f"n_clusters must be 'auto' or an integer >= 1, got {k!r}")
        lo, hi = self.k_range
        if not (2 <= lo <= hi):
            raise ValueError(f"k_range must satisfy 2 <= low <= high, got {self.k_range}")

    def _counts(
        self, docs: list[str], ngram_range: tuple[int, int], analyzer: str = "word"
    ) -> tuple[sp.csr_matrix, np.ndarray] | None:
        """(len(docs), v) float32 token counts of the number-normalised ``docs``, and the tokens.

        Identical documents are tokenised once (questions repeat across the samples of an
        item). With ``analyzer="char_wb"`` the tokens are character n-grams of ``docs`` as
        given. Otherwise they are :data:`ONE_CHAR_TOKENS` after :func:`normalise_words`; at 1,000
        distinct documents or more a token must occur in two of them (a token seen once
        groups nothing), and at most ``max_features`` tokens are kept (most frequent first).
        None when no document has a token.
        """
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import CountVectorizer

        first: dict[str, int] = {}
        inverse = np.fromiter(
            (first.setdefault(d, len(first)) for d in docs), dtype=np.int64, count=len(docs)
        )
        if analyzer == "word":
            vec = CountVectorizer(
                preprocessor=normalise_words,
                token_pattern=ONE_CHAR_TOKENS,
                ngram_range=ngram_range,
                min_df=2 if len(first) >= 1000 else 1,
                max_features=self.max_features,
                dtype=np.float32,
            )
        else:  # character n-grams of texts the caller normalised
            vec = CountVectorizer(
                analyzer=analyzer,
                ngram_range=ngram_range,
                max_features=self.max_features,
                dtype=np.float32,
            )
        try:
            matrix = vec.fit_transform(list(first))
        except ValueError:  # "empty vocabulary": nothing tokenisable
            return None
        matrix = sp.csr_matrix(matrix)
        if len(first) < len(docs):
            matrix = matrix[inverse]
        return matrix, np.asarray(vec.get_feature_names_out(), dtype=object)

    @staticmethod
    def _tfidf(
        counts: tuple[sp.csr_matrix, np.ndarray] | None,
        rows: np.ndarray,
        prefix: str,
        keep_counts: bool = True,
    ) -> tuple[sp.csr_matrix, list[str]] | None:
        """Sublinear TF-IDF (l2-normalised rows) of ``counts`` restricted to ``rows``.

        ``keep_counts=False`` lets the TF-IDF overwrite the counts (no copy) when every row
        and every column is kept.
        """
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfTransformer

        if counts is None:
            return None
        every_row = rows.size == counts[0].shape[0]  # rows are sorted and unique
        sub = counts[0] if every_row else counts[0][rows]
        used = np.flatnonzero(sub.getnnz(axis=0))  # tokens of the rows clustered
        if used.size == 0:
            return None
        if used.size < sub.shape[1]:
            sub = sub[:, used]
        elif every_row and keep_counts:
            sub = sub.copy()  # the counts stay counts (find_slices reads them)
        transformer = TfidfTransformer(sublinear_tf=True).fit(sub)
        matrix = sp.csr_matrix(transformer.transform(sub, copy=False), dtype=np.float32)
        return matrix, [f"{prefix}{t}" for t in counts[1][used]]

    def _reduce(self, blocks: list[Any], n_docs: int) -> np.ndarray:
        """(n_docs, d) SVD projection of the column blocks (sparse, or :class:`_HashedCharTfidf`
        produced on demand) side by side."""
        import scipy.sparse as sp
        from sklearn.decomposition import TruncatedSVD

        if not blocks or n_docs == 0:
            return np.zeros((n_docs, 1))
        rows = self._subsample(n_docs, self.svd_sample)
        lazy = [b for b in blocks if isinstance(b, _HashedCharTfidf)]
        for b in lazy:  # vocabulary and IDF of the rows the SVD is fitted on
            b.fit(rows)
        if lazy and n_docs <= self.svd_sample:
            blocks = [b.rows(rows) if isinstance(b, _HashedCharTfidf) else b for b in blocks]
        n_cols = sum(b.shape[1] for b in blocks)
        n_comp = min(self.n_components, n_cols - 1, n_docs - 1)
        if n_comp < 1 or n_docs <= self.svd_sample:
            matrix = blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")
        if n_comp < 1:
            return matrix.toarray().astype(float)
        svd = TruncatedSVD(
            n_components=n_comp, random_state=self.random_state, algorithm="randomized", n_iter=4
        )
        if n_docs <= self.svd_sample:
            return svd.fit_transform(matrix).astype(float)
        # the directions come from a subsample; every row is projected on them, block by
        # block (X @ components_.T, as TruncatedSVD.transform, without stacking the blocks)
        fit_rows = [b.rows(rows) if isinstance(b, _HashedCharTfidf) else b[rows] for b in blocks]
        svd.fit(fit_rows[0] if len(fit_rows) == 1 else sp.hstack(fit_rows, format="csr"))
        del fit_rows
        self.notes_.append(f"reduced dimensions fitted on a {self.svd_sample}-sample subsample")
        out = np.zeros((n_docs, n_comp))
        start = 0
        for block in blocks:
            stop = start + block.shape[1]
            comp = svd.components_[:, start:stop].T
            if isinstance(block, _HashedCharTfidf):  # produced and projected 8192 rows at a time
                for lo in range(0, n_docs, 8192):
                    part = np.arange(lo, min(lo + 8192, n_docs))
                    out[part] += block.rows(part) @ comp
            else:
                out += block @ comp
            start = stop
        return out

    def _error_columns(
        self,
        keep: np.ndarray,
        correct: Sequence[float] | np.ndarray | None,
        failure_modes: Sequence[str | None] | None,
    ) -> np.ndarray | None:
        cols = []
        if correct is not None and self.error_features == "both":
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
        n_distinct = _n_distinct(features)
        if n_distinct == 1 and n > 1:
            self.notes_.append(
                f"all {n} documents are identical (after numbers are normalised):"
                " one group, nothing to tell apart"
            )
            self.k_reason_ = "k=1: every document is the same"
            return np.zeros(n, dtype=np.int64), features.mean(axis=0, keepdims=True)
        if self.method == "hdbscan":
            return self._hdbscan(features, n_distinct, checkpoint)
        if self.n_clusters == "auto":
            lo, hi = self.k_range
            if n_distinct < lo:
                k = max(1, n_distinct)
                self.notes_.append(
                    f"only {n_distinct} distinct documents: k set to {k} (auto range {lo}-{hi})"
                )
                self.k_reason_ = f"k={k}: only {n_distinct} distinct documents"
            else:
                k = self._choose_k(features, lo, min(hi, n_distinct), checkpoint)
        else:
            k = int(self.n_clusters)
            if k > n_distinct:
                self.notes_.append(
                    f"k={k} clamped to {n_distinct}: only {n_distinct} distinct documents"
                )
                k = n_distinct
            self.k_reason_ = f"k={k} as asked" + (
                ""
                if k == int(self.n_clusters)
                else f" (clamped to {n_distinct} distinct documents)"
            )
        checkpoint("cluster", 0.85)
        if k <= 1:
            return np.zeros(n, dtype=np.int64), features.mean(axis=0, keepdims=True)
        model = self._kmeans(k).fit(features)
        labels = model.labels_.astype(np.int64)
        used = np.unique(labels)
        if used.size < k:  # k-means can leave a centre without members: k shown = groups shown
            self.notes_.append(
                f"k-means left {k - used.size} of {k} clusters empty; {used.size} groups remain"
            )
            self.k_reason_ += f"; {used.size} non-empty"
        remap = np.full(k, -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        return remap[labels], model.cluster_centers_[used]

    def _kmeans(self, k: int, n_init: int = 3) -> MiniBatchKMeans:
        from sklearn.cluster import MiniBatchKMeans

        return MiniBatchKMeans(
            n_clusters=k,
            random_state=self.random_state,
            n_init=n_init,
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
        from sklearn import config_context
        from sklearn.metrics import silhouette_score

        sub = features[self._subsample(features.shape[0], self.silhouette_sample)]
        n_sub_distinct = _n_distinct(sub)
        hi = min(hi, n_sub_distinct - 1) if n_sub_distinct > 2 else min(hi, n_sub_distinct)
        best_k, best = lo, -np.inf
        ks = list(range(lo, max(lo, hi) + 1))
        if len(ks) > 10:  # a geometric grid of 10 values: silhouette varies slowly in k
            ks = sorted({int(round(x)) for x in np.geomspace(lo, max(lo, hi), 10)})
        for j, k in enumerate(ks):
            checkpoint("choose k", 0.5 + 0.3 * j / max(1, len(ks)))
            if k >= n_sub_distinct:
                break
            labels = self._kmeans(k, n_init=1).fit_predict(sub)  # one init: only ranks k
            if len(set(labels.tolist())) < 2:
                continue
            with config_context(working_memory=16):  # distances in 16 MB chunks, not 72 MB
                score = float(silhouette_score(sub, labels, random_state=self.random_state))
            self.silhouette_[k] = score
            if score > best + 1e-9:
                best_k, best = k, score
        if self.silhouette_:
            self.k_reason_ = (
                f"k={best_k} chosen by silhouette ({best:.3f}) over k={ks[0]}..{ks[-1]}"
                + (f" ({len(ks)} values)" if len(ks) < ks[-1] - ks[0] + 1 else "")
                + (
                    f" on a {sub.shape[0]}-sample subsample"
                    if sub.shape[0] < features.shape[0]
                    else ""
                )
            )
            self.notes_.append(self.k_reason_)
        else:
            self.k_reason_ = f"k={best_k}: no k in {ks[0]}..{ks[-1]} could be scored"
        return best_k

    def _hdbscan(
        self, features: np.ndarray, n_distinct: int, checkpoint: Callable[[str, float], None]
    ) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.cluster import HDBSCAN

        n = features.shape[0]
        self.k_reason_ = "k found by HDBSCAN (density)"
        sub_idx = self._subsample(n, self.hdbscan_max_samples)
        if sub_idx.size < n:
            self.notes_.append(
                f"HDBSCAN fitted on {sub_idx.size} of {plural(n, 'sample')}; the rest joined the nearest centre"
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

    ``error_rate`` and its Wilson 95% interval are over member samples (1 - score; the
    workspace replaces the interval by :func:`clustered_error_interval` when the group's items
    have several samples each); ``diff`` is ``error_rate - run_error_rate``. ``members`` are indices into the fitted arrays
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
    kind: str = "cluster"
    """``"cluster"``, ``"term"`` (items sharing a word) or ``"failure mode"``."""
    definition: str = ""
    """How the group was formed, in words (``question mentions "percent"``)."""
    rest_error_rate: float | None = None
    diff_rest: float | None = None
    """``error_rate - rest_error_rate``: the contrast that was tested."""
    p_value: float | None = None
    """Two-sided Fisher exact test of group vs rest error counts (z-test above 5,000 samples);
    when items have several samples each, the item-level score test (:class:`ItemLevelTest`)."""
    q_value: float | None = None
    """Benjamini-Hochberg adjusted p-value over every candidate group tested."""
    diff_within: float | None = None
    """Mean over members of (error - error rate of the same task's non-members): the
    difference the task labels do not explain."""
    q_within: float | None = None
    """Benjamini-Hochberg adjusted Mantel-Haenszel p-value of group vs rest within tasks (with
    several samples per item, its item-level form: :class:`ItemLevelTest` with tasks as
    strata)."""
    significant: bool | None = None
    novelty: dict[str, Any] = field(default_factory=dict)
    over_represented: list[dict[str, Any]] = field(default_factory=list)

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


# ---------------------------------------------------------------------- error-aware search
RESTATE_JACCARD = 0.7
"""A group whose Jaccard overlap with an existing label's items reaches this restates it."""
CONTAINED = 0.8
"""A candidate sharing this share of its (or a kept group's) members with a kept group is a
duplicate of it and is skipped."""
WEAK_SILHOUETTE = 0.1
"""Below this best silhouette the clusters are not well separated (Rousseeuw 1987 calls
< 0.25 'no substantial structure'; k-means on text rarely exceeds 0.2)."""
NON_DATA_MODES = FORMAT_MODES
"""Failure modes that describe the generation rather than the answer: candidate groups."""
WORD_TOKENS = r"(?u)\b[^\W\d_]{2,}\b"
"""Words of two or more letters: digits never become terms or descriptions."""
_WORD = re.compile(r"[^\W\d_]{2,}")
BOILERPLATE_DF = 0.8
"""Words in more than this share of documents ("let me work it out", "the answer is") are
boilerplate: they neither define nor describe a group."""


@dataclass
class Candidate:
    """A group of rows considered by :func:`find_slices` before testing."""

    kind: str
    name: str
    definition: str
    members: np.ndarray


@dataclass
class SliceSearch:
    """The outcome of :func:`find_slices`.

    ``suggestions`` are shown (error-rich groups first, then groups with fewer errors); no
    suggestion restates an existing label: every group that does is in ``folded`` (with
    ``show_all`` they are suggestions instead, after every other group, and ``folded`` is
    empty). ``structure`` is ``"clear"``, ``"no clear structure"``
    (no group's error rate differs significantly from the rest) or ``"no error contrast"``
    (every sample failed, or none did: groups are ranked by size only). ``tests`` names the
    two tests each candidate took (:data:`SAMPLE_TESTS_FISHER`, :data:`SAMPLE_TESTS_Z` or
    :data:`ITEM_TESTS`; empty without an error contrast); ``n_candidates`` counts the groups
    tested, ``n_untested`` those left untested for spanning too few items.
    """

    suggestions: list[Suggestion]
    folded: list[Suggestion]
    notes: list[str]
    k: int
    k_reason: str
    silhouette: dict[int, float]
    n_candidates: int
    n_significant: int
    structure: str
    n_clustered: int
    tests: str = ""
    n_untested: int = 0


SAMPLE_TESTS_FISHER = "Fisher exact and Mantel-Haenszel tests"
SAMPLE_TESTS_Z = "two-proportion z and Mantel-Haenszel tests"
ITEM_TESTS = "cluster-robust score tests over items"
"""What :attr:`SliceSearch.tests` says: samples counted as independent (one sample per item;
Fisher's exact test up to :data:`FISHER_MAX_N` samples), or items as the unit
(:class:`ItemLevelTest`)."""


def _word_counts(
    counts: tuple[sp.csr_matrix, np.ndarray] | None,
) -> tuple[sp.csc_matrix, np.ndarray] | None:
    """The word columns of the discoverer's token counts: (n, v) csc counts and the words.

    Words are tokens of two or more letters (no digits, no ``num`` that numbers became, no
    word bigrams) outside the English stop words, in at least two rows and, from 10 rows on,
    in at most :data:`BOILERPLATE_DF` of them. None when no word is left.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    if counts is None:
        return None
    matrix, names = counts
    n = matrix.shape[0]
    df = matrix.getnnz(axis=0)
    max_df = BOILERPLATE_DF * n if n >= 10 else n
    is_word = np.array(
        [_WORD.fullmatch(t) is not None and t not in ENGLISH_STOP_WORDS for t in names],
        dtype=bool,
    )
    keep = np.flatnonzero(
        is_word & (names != NUMBER_TOKEN.strip()) & (df >= min(2, n)) & (df <= max_df)
    )
    if keep.size == 0:
        return None
    return matrix[:, keep].tocsc(), names[keep]


def class_tfidf_terms(
    counts: Any, names: np.ndarray, mask: np.ndarray, n_terms: int = 8
) -> list[str]:
    """Words that distinguish the rows in ``mask`` from the rest (class-based TF-IDF).

    c-TF-IDF (Grootendorst 2022, BERTopic) with two classes, group and rest:
    ``w(t, c) = tf(t, c) / |c| * log(1 + A / f(t))`` with ``A`` the mean word count per class
    and ``f(t)`` the word's count over both; the score is ``w(t, group) - w(t, rest)``.

    Args:
        counts: sparse (n, v) word counts. names: (v,) words. mask: (n,) bool group rows.

    Returns:
        Up to ``n_terms`` words with a positive score, best first.
    """
    if counts is None or counts.shape[1] == 0 or not mask.any():
        return []
    tf_g = np.asarray(counts[mask].sum(axis=0)).ravel().astype(float)
    tf_all = np.asarray(counts.sum(axis=0)).ravel().astype(float)
    tf_r = tf_all - tf_g
    total = tf_all.sum()
    if total <= 0 or tf_g.sum() <= 0:
        return []
    idf = np.log1p((total / 2.0) / np.maximum(tf_all, 1.0))
    w_g = tf_g / tf_g.sum() * idf
    w_r = tf_r / tf_r.sum() * idf if tf_r.sum() > 0 else np.zeros_like(w_g)
    score = w_g - w_r
    order = np.argsort(-score, kind="stable")[:n_terms]
    return [str(names[i]) for i in order if score[i] > 0]


FISHER_MAX_N = 5000
"""Up to this many samples the group-vs-rest test is Fisher's exact test; above it, the
two-proportion z-test (its normal approximation is accurate there, and Fisher's exact test
takes ~60 ms per group at 100k samples)."""


def _fisher_p(e_g: float, n_g: int, e_r: float, n_r: int) -> float:
    """Two-sided p-value of group vs rest error counts (rounded to integers).

    Fisher's exact test when ``n_g + n_r <= FISHER_MAX_N``; otherwise the pooled
    two-proportion z-test, ``z = (p_g - p_r) / sqrt(p (1 - p) (1/n_g + 1/n_r))``.
    """
    from scipy.stats import fisher_exact, norm

    a, c = int(round(e_g)), int(round(e_r))
    if n_g + n_r <= FISHER_MAX_N:
        table = [[a, n_g - a], [c, n_r - c]]
        return float(fisher_exact(table, alternative="two-sided")[1])
    pooled = (a + c) / (n_g + n_r)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_g + 1 / n_r))
    if se <= 0:
        return 1.0
    return float(2 * norm.sf(abs(a / n_g - c / n_r) / se))


def rank_score(diff: float, size: int) -> float:
    """Ranking key of a group: its error-rate difference times the square root of its size.

    ``diff * size`` counts the group's excess errors and does not change when items at the
    rest's error rate are added, so an impure superset would tie with the pure group;
    ``diff * sqrt(size)`` grows with both the difference and the size (like the z statistic
    of a two-proportion test) and prefers the purer of two groups holding the same excess.
    """
    return float(diff) * float(np.sqrt(size))


def within_strata(err: np.ndarray, strata: np.ndarray, members: np.ndarray) -> tuple[float, float]:
    """Group vs rest contrast within strata (tasks): the part the stratum labels do not explain.

    For each stratum t holding both members and non-members, compare the members' errors with
    what the non-members' rate in t predicts. Returns ``(diff, p)``:

    - ``diff = sum_t (e_gt - n_gt * r_t) / n_g`` over those strata, with ``r_t`` the error rate
      of t's non-members (members of strata without non-members count as explained: 0);
    - ``p``: two-sided Mantel-Haenszel (1959) test with continuity correction,
      ``chi2 = (|sum(a - E[a])| - 0.5)^2 / sum Var[a]``, ``E[a] = n1 m1 / N``,
      ``Var[a] = n1 n0 m1 (N - m1) / (N^2 (N - 1))`` per stratum; 1.0 when no stratum has
      variance.

    Args:
        err: (n,) errors in [0, 1]. strata: (n,) int codes (-1 = none, treated as one
            stratum). members: row indices of the group.
    """
    from scipy.stats import chi2

    codes = np.where(strata < 0, strata.max(initial=0) + 1, strata)
    k = int(codes.max(initial=0)) + 1
    n_t = np.bincount(codes, minlength=k).astype(float)
    e_t = np.bincount(codes, weights=err, minlength=k)
    n_g = np.bincount(codes[members], minlength=k).astype(float)
    e_g = np.bincount(codes[members], weights=err[members], minlength=k)
    n_r = n_t - n_g
    both = (n_g > 0) & (n_r > 0)
    if not both.any():
        return 0.0, 1.0
    r_t = (e_t[both] - e_g[both]) / n_r[both]
    diff = float((e_g[both] - n_g[both] * r_t).sum() / max(1, members.size))
    big_n, m1 = n_t[both], e_t[both]
    expected = n_g[both] * m1 / big_n
    var = n_g[both] * n_r[both] * m1 * (big_n - m1) / (big_n**2 * np.maximum(big_n - 1, 1))
    if var.sum() <= 0:
        return diff, 1.0
    stat = max(0.0, abs(float((e_g[both] - expected).sum())) - 0.5) ** 2 / float(var.sum())
    return diff, float(chi2.sf(stat, 1))


class ItemLevelTest:
    """Group-vs-rest test of error rates when items contribute several samples each: a score
    test whose variance is summed over items (the unit that is sampled), not over samples.

    The statistic is the (stratified) score of the group indicator g against the error y,
    ``U = sum_t sum_{s in t} (g_s - gbar_t) (y_s - ybar_t)`` (t: stratum; one stratum for the
    plain group-vs-rest test, where ``U = e_g - n_g * pooled rate``; with tasks as strata it is
    the Mantel-Haenszel numerator ``sum_t (a_t - E[a_t])``). Its variance is the empirical
    (sandwich) variance over items, ``V = sum_i u_i^2`` with
    ``u_i = sum_{s in item i} (g_s - gbar_t) (y_s - ybar_t)``: the robust score test for
    clustered data (Rotnitzky & Jewell 1990, Biometrika 77:485-497), and for strata the
    Mantel-Haenszel statistic for correlated binary data with an empirical variance (Zhang &
    Boos 1997, Biometrics 53:1185-1198; Donald & Donner 1987, Stat. Med. 6:491-499, adjust it
    the same way). ``p = 2 * (1 - Phi(|U| / sqrt(V)))``. An item whose samples all fail adds
    one ``u_i``, not one term per sample, so 64 identical samples of one item weigh like one
    item. A group may hold only some of an item's samples (a failure mode); the item's
    samples on both sides enter the same ``u_i``.

    Calibration (simulated here: 200 items x 16 samples with item error rates Beta(0.5, 0.5),
    groups of 10-100 random items, or random halves of their samples): the share of p < 0.05
    under no difference was 0.045-0.054, of p < 0.01 0.003-0.008 -- the normal reference is
    right from 10 items on and slightly conservative in the tail, because ``V`` is estimated
    under no difference. Groups (or rests) of fewer than :data:`MIN_SLICE_SIZE` items are not
    to be tested (:meth:`enough_items`).

    Args:
        errors: (n,) errors in [0, 1]. clusters: (n,) int item codes 0..m-1, each item within
            one stratum. strata: (n,) int codes 0..T-1, or None (one stratum).
    """

    def __init__(self, errors: np.ndarray, clusters: np.ndarray, strata: np.ndarray | None) -> None:
        n = errors.size
        self.clusters = clusters
        self.m = int(clusters.max(initial=-1)) + 1
        self.strata = np.zeros(n, dtype=np.int64) if strata is None else strata
        k = int(self.strata.max(initial=0)) + 1
        self.n_t = np.bincount(self.strata, minlength=k).astype(float)
        y_bar = np.bincount(self.strata, weights=errors, minlength=k) / np.maximum(self.n_t, 1)
        self.resid = errors - y_bar[self.strata]  # y_s - ybar_t
        self.item_resid = np.bincount(clusters, weights=self.resid, minlength=self.m)
        self.item_stratum = np.zeros(self.m, dtype=np.int64)
        self.item_stratum[clusters] = self.strata
        self.item_n = np.bincount(clusters, minlength=self.m)

    def enough_items(self, members: np.ndarray, least: int = MIN_SLICE_SIZE) -> bool:
        """Whether the group's samples span at least ``least`` items, and so do the rest's."""
        in_group = np.bincount(self.clusters[members], minlength=self.m)
        return int((in_group > 0).sum()) >= least and int((self.item_n > in_group).sum()) >= least

    def statistic(self, members: np.ndarray) -> tuple[float, float]:
        """``(U, V)`` of the group whose row indices are ``members`` (see the class)."""
        g_res = np.bincount(self.clusters[members], weights=self.resid[members], minlength=self.m)
        g_bar = np.bincount(self.strata[members], minlength=self.n_t.size) / np.maximum(self.n_t, 1)
        u = g_res - g_bar[self.item_stratum] * self.item_resid
        return float(u.sum()), float((u * u).sum())

    def p(self, members: np.ndarray) -> float:
        """Two-sided p-value of the group (row indices ``members``) against the rest; 1.0 when
        no item's samples vary (``V = 0``)."""
        stat, var = self.statistic(members)
        if var <= _EPS:
            return 1.0
        from scipy.stats import norm

        return float(2 * norm.sf(abs(stat) / np.sqrt(var)))


def _codes(values: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Integer code per value (None -> -1) and the value names."""
    names: dict[str, int] = {}
    out = np.full(len(values), -1, dtype=np.int64)
    for i, v in enumerate(values):
        if v is not None:
            out[i] = names.setdefault(str(v), len(names))
    return out, list(names)


def find_slices(
    questions: Sequence[str | None] | None,
    responses: Sequence[str | None],
    correct: Sequence[float] | np.ndarray,
    *,
    failure_modes: Sequence[str | None] | None = None,
    groups: Sequence[str] | None = None,
    items: Sequence[Any] | None = None,
    labels: dict[str, Sequence[str | None]] | None = None,
    named: dict[str, np.ndarray] | None = None,
    run_error_rate: float | None = None,
    k: int | str = "auto",
    method: str = "kmeans",
    error_aware: bool = False,
    random_state: int | None = 0,
    alpha: float = 0.05,
    max_suggestions: int = 10,
    min_size: int | None = None,
    show_all: bool = False,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> SliceSearch:
    """Error-aware slice discovery: coherent groups whose error rate differs from the rest.

    The idea of Domino (Eyuboglu et al. 2022, "Domino: Discovering Systematic Errors with
    Cross-Modal Embeddings") and Spotlight (d'Eon et al. 2022, "The Spotlight: A General Method
    for Discovering Systematic Errors in Deep Learning Models"): represent every sample -- right
    and wrong -- in a space where nearby items exercise the same capability, then look for
    regions of that space where the model errs much more (or less) than elsewhere. Here:

    1. representation: question words first, response second, numbers normalised away
       (:class:`SliceDiscoverer`, TF-IDF -> TruncatedSVD -> k-means, k by silhouette);
    2. candidate groups: every cluster; the unions of the most error-rich clusters (a theme
       without a shared word spans several text clusters of similar error rate); every word of
       the question (the response when the run logs no questions) shared by between
       ``min_size`` and half of the samples -- a Spotlight-like region defined by one
       distinctive term, which finds a theme spread over several tasks; every failure mode
       of the generation (truncated, runaway, ...); a group that is exactly the wrong samples
       (or exactly the right ones) only restates right vs wrong and is never a candidate;
    3. error-aware test: each candidate's error rate against the rest's (Wilson 95% interval,
       two-sided Fisher exact test; above 5,000 samples the two-proportion z-test), and within
       tasks (Mantel-Haenszel, :func:`within_strata`), Benjamini-Hochberg over all candidates.
       When ``items`` shows several samples per item (pass@k runs), both tests are item-level
       instead (:class:`ItemLevelTest`: score tests whose variance sums over items, as one
       item's samples are not independent), and a group spanning fewer than
       :data:`MIN_SLICE_SIZE` items (or leaving fewer outside) is not tested, which a note says;
    4. ranking: significant error-rich groups by their within-task difference times the
       square root of their size (:func:`rank_score`), then significant groups with fewer
       errors; a candidate sharing >= 80% of its members with a
       kept group (or holding >= 80% of a kept group) is a duplicate and skipped;
    5. novelty: Jaccard overlap with every existing label (task, each axis value, named
       slices); a group with Jaccard >= 0.7 "restates" that label and is folded (shown
       last with ``show_all``); others say whether they lie within one task or across tasks;
    6. descriptions: class-based TF-IDF words of the group against the rest (digits, stop words
       and boilerplate removed), and label values over-represented in the group.

    Args:
        questions: (n,) question/prompt text per sample, or None.
        responses: (n,) generated text per sample.
        correct: (n,) scores in [0, 1] (error = 1 - score; NaN counts as wrong).
        failure_modes: (n,) failure mode per sample.
        groups: (n,) task per sample. labels: axis -> (n,) label per sample.
        items: (n,) the item of each sample (any ids; an item is taken within its task). With
            several samples per item the group tests are item-level (step 3); None, or one
            sample per item, keeps the sample-level tests.
        named: slice name -> row indices of its members among the n samples.
        run_error_rate: the whole run's error rate (for ``diff``); the rows' rate if None.
        k, method, error_aware, random_state: passed to :class:`SliceDiscoverer`
            (``error_aware`` adds columns of the generation's failure mode -- truncated,
            runaway, empty, extraction failure or answered -- never correctness, to the
            clustering).
        alpha: false discovery rate of the Benjamini-Hochberg step.
        max_suggestions: most groups shown when the structure is clear.
        min_size: smallest group (default max(5, 1% of n)).
        show_all: show restating groups (after every other group) instead of folding them.

    Returns:
        A :class:`SliceSearch`.

    Raises:
        ValueError: arrays whose lengths differ from ``responses``.
        DiscoveryCancelled: ``should_cancel`` returned True.
    """
    n = len(responses)
    if len(correct) != n:
        raise ValueError(f"correct has {len(correct)} entries but responses has {n}")
    if items is not None and len(items) != n:
        raise ValueError(f"items has {len(items)} entries but responses has {n}")
    finder = _SliceFinder(
        questions,
        responses,
        correct,
        failure_modes=failure_modes,
        groups=groups,
        items=items,
        labels=labels,
        named=named,
        run_error_rate=run_error_rate,
        alpha=alpha,
        max_suggestions=max_suggestions,
        show_all=show_all,
        progress=progress,
    )
    finder.cluster(k, method, error_aware, random_state, min_size, should_cancel)
    finder.test(finder.drop_score_splits(finder.candidates()))
    finder.report("rank groups", 0.85)
    finder.rank()
    return finder.search()


# (candidate, its error rate, the rest's, difference, Fisher p, within-task difference,
# Mantel-Haenszel p)
_Tested = tuple[Candidate, float, float, float, float, float, float]
# axis, (n,) value code per sample (-1: none), value names, samples per value
_LabelCodes = tuple[str, np.ndarray, list[str], np.ndarray]


def _repeats_note(ids: list[int], where: str, tested: Any, duplicates: dict[int, int]) -> str:
    """``2 hold (nearly) the same samples as a group shown (a repeats b, c repeats d)``: the
    hidden groups ``ids`` (indices into ``tested``, whose first element has the ``name``)
    that repeat (``duplicates``: hidden -> repeated) a group ``where`` (``a group shown``,
    ``a folded group``), both named, the hidden one first (the first three, then ``...``)."""
    same = sorted(f"{tested[i][0].name} repeats {tested[duplicates[i]][0].name}" for i in ids)
    return (
        f"{len(ids)} {agree(len(ids), 'holds', 'hold')} (nearly) the same samples as {where} ("
        + ", ".join(same[:3])
        + (", ..." if len(same) > 3 else "")
        + ")"
    )


class _SliceFinder:
    """The steps of :func:`find_slices` (cluster, candidates, test, rank, novelty, describe)
    over one set of samples; the state they share lives on the instance."""

    def __init__(
        self,
        questions: Sequence[str | None] | None,
        responses: Sequence[str | None],
        correct: Sequence[float] | np.ndarray,
        *,
        failure_modes: Sequence[str | None] | None,
        groups: Sequence[str] | None,
        items: Sequence[Any] | None,
        labels: dict[str, Sequence[str | None]] | None,
        named: dict[str, np.ndarray] | None,
        run_error_rate: float | None,
        alpha: float,
        max_suggestions: int,
        show_all: bool,
        progress: ProgressFn | None,
    ) -> None:
        n = len(responses)
        self.n = n
        self.responses = responses
        self.failure_modes = failure_modes
        self.groups = groups
        self.labels = labels
        self.named = named
        self.run_error_rate = run_error_rate
        self.alpha = alpha
        self.max_suggestions = max_suggestions
        self.show_all = show_all
        self.report: ProgressFn = progress or (lambda stage, frac: None)
        scores = np.clip(np.nan_to_num(np.asarray(correct, dtype=float), nan=0.0), 0.0, 1.0)
        self.err = 1.0 - scores
        self.qs = ["" if q is None else str(q) for q in (questions or [None] * n)]
        self.has_q = sum(bool(q.strip()) for q in self.qs) * 2 >= n and n > 0
        self.strata = _codes(groups)[0] if groups is not None else np.zeros(n, dtype=np.int64)
        # several samples per item: item-level tests (None: one sample per item, or unknown)
        self.item_test: ItemLevelTest | None = None
        self.item_test_within: ItemLevelTest | None = None
        self.n_items = n
        self.n_untested = 0
        if items is not None:
            keys = (
                [str(i) for i in items]
                if groups is None
                else [f"{g}\x1f{i}" for g, i in zip(groups, items, strict=True)]
            )
            item_codes, names = _codes(keys)
            self.n_items = len(names)
            if self.n_items < n:
                within = np.where(self.strata < 0, self.strata.max(initial=0) + 1, self.strata)
                self.item_test = ItemLevelTest(self.err, item_codes, None)
                self.item_test_within = ItemLevelTest(self.err, item_codes, within)

    def cluster(
        self,
        k: int | str,
        method: str,
        error_aware: bool,
        random_state: int | None,
        min_size: int | None,
        should_cancel: CancelFn | None,
    ) -> None:
        """Fit the :class:`SliceDiscoverer` and set the sizes and word counts used later."""
        n, failure_modes, report = self.n, self.failure_modes, self.report
        model = SliceDiscoverer(
            method=method,
            n_clusters=k,
            error_aware=error_aware,
            error_features="failure_mode",
            random_state=random_state,
            keep_tfidf=False,
        ).fit(
            self.responses,
            questions=self.qs if self.has_q else None,
            # only the modes of the generation: "correct" / "wrong_answer" would restate the
            # score and split right from wrong (issue 10)
            failure_modes=None
            if failure_modes is None
            else [m if m in NON_DATA_MODES else "answered" for m in failure_modes],
            progress=lambda stage, frac: report(stage, 0.7 * frac),
            should_cancel=should_cancel,
        )
        if should_cancel and should_cancel():
            raise DiscoveryCancelled("discovery cancelled while testing groups")
        report("test groups", 0.75)
        self.model = model
        self.notes = list(model.notes_)
        self.min_size = max(5, int(np.ceil(0.01 * n))) if min_size is None else int(min_size)
        self.max_size = n // 2
        self.best_sil = max(model.silhouette_.values()) if model.silhouette_ else None
        self.weak_clusters = self.best_sil is not None and self.best_sil < WEAK_SILHOUETTE
        self.q_counts = _word_counts(model.word_counts_["q"]) if self.has_q else None
        self.r_counts = _word_counts(model.word_counts_["r"])
        self.total_err = float(self.err.sum())

    # ---- candidates
    def candidates(self) -> list[Candidate]:
        """Every candidate group: clusters, error-rich unions, terms, failure modes."""
        return (
            self._cluster_candidates()
            + self._union_candidates()
            + self._term_candidates()
            + self._mode_candidates()
        )

    def _cluster_candidates(self) -> list[Candidate]:
        """Every cluster of at least ``min_size`` samples (and not all of them)."""
        n, model, min_size = self.n, self.model, self.min_size
        cands: list[Candidate] = []
        for c in range(model.n_clusters_):
            members = np.flatnonzero(model.labels_ == c)
            if min_size <= members.size < n:
                cands.append(
                    Candidate(
                        "cluster", f"cluster {c}", f"cluster {c} of k={model.n_clusters_}", members
                    )
                )
        return cands

    def _union_candidates(self) -> list[Candidate]:
        """Unions of the most error-rich clusters (each significantly above the rest)."""
        # Error-aware unions (the Domino idea with a bag-of-words space): a theme with no word
        # in common ("one third", "a quarter", "half") falls into several text clusters of
        # similar, high error rate. The clusters whose own error rate is significantly above
        # the rest's (Fisher, Benjamini-Hochberg over the clusters) are ordered by error rate
        # and every prefix of two or more, up to half the samples, is a candidate. Requiring
        # each cluster's own evidence keeps unions from collecting clusters only because they
        # look error-rich.
        n, model, err, total_err = self.n, self.model, self.err, self.total_err
        cands: list[Candidate] = []
        rich = []
        for c in range(model.n_clusters_):
            members = np.flatnonzero(model.labels_ == c)
            if 0 < members.size < n:
                e_g = float(err[members].sum())
                rate_r = (total_err - e_g) / (n - members.size)
                if e_g / members.size > rate_r:
                    # several samples per item: the item-level test where the cluster spans
                    # enough items; a smaller cluster (a theme split over several clusters of
                    # a few items each) is screened by the sample-level test, as every cluster
                    # was before: screening only picks the clusters a union may join, and
                    # each union is then tested item by item like every other candidate
                    if self.item_test is not None and self.item_test.enough_items(members):
                        p = self.item_test.p(members)
                    else:
                        p = _fisher_p(
                            e_g, int(members.size), total_err - e_g, n - int(members.size)
                        )
                    rich.append((e_g / members.size, c, members, p))
        if len(rich) >= 2:
            from .compare import benjamini_hochberg

            q_rich = benjamini_hochberg([t[3] for t in rich])
            rich = [t for t, q in zip(rich, q_rich, strict=True) if q < self.alpha]
        rich.sort(key=lambda t: (-t[0], t[1]))
        for m in range(2, len(rich) + 1):
            members = np.sort(np.concatenate([t[2] for t in rich[:m]]))
            if members.size > self.max_size:
                break
            ids = sorted(t[1] for t in rich[:m])
            cands.append(
                Candidate(
                    "clusters",
                    "clusters " + "+".join(map(str, ids)),
                    f"the {m} most error-rich clusters of k={model.n_clusters_}"
                    f" ({', '.join(map(str, ids))})",
                    members,
                )
            )
        return cands

    def _term_candidates(self) -> list[Candidate]:
        """Every question word (response word without questions) in a mid-sized share."""
        has_q, min_size, max_size = self.has_q, self.min_size, self.max_size
        cands: list[Candidate] = []
        term_source = self.q_counts if has_q else self.r_counts
        if term_source is not None:
            matrix, names = term_source
            df = np.diff(matrix.indptr)  # csc: documents per word
            ok = np.flatnonzero((df >= min_size) & (df <= max_size))
            ok = ok[np.argsort(-df[ok], kind="stable")][:1000]
            where = "question" if has_q else "response"
            prefix = "q:" if has_q else ""
            for j in sorted(ok.tolist()):
                members = np.unique(matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]])
                cands.append(
                    Candidate(
                        "term", f"{prefix}{names[j]}", f'{where} mentions "{names[j]}"', members
                    )
                )
        return cands

    def _mode_candidates(self) -> list[Candidate]:
        """Every failure mode of the generation (truncated, runaway, ...)."""
        cands: list[Candidate] = []
        if self.failure_modes is not None:
            modes = np.array([str(m or "") for m in self.failure_modes], dtype=object)
            for m in NON_DATA_MODES:
                members = np.flatnonzero(modes == m)
                if self.min_size <= members.size < self.n:
                    cands.append(
                        Candidate("failure mode", f"mode:{m}", f"failure mode {m}", members)
                    )
        return cands

    # ---- error-aware test
    def drop_score_splits(self, cands: list[Candidate]) -> list[Candidate]:
        """``cands`` without the groups that are exactly the wrong (or right) samples."""
        n, err, total_err = self.n, self.err, self.total_err
        self.rows_rate = total_err / n if n else 0.0
        self.contrast = n > 0 and 0.0 < total_err < n
        # A group that is exactly the wrong samples (or exactly the right ones) only restates
        # the score -- right vs wrong -- and carries no information about the items: never a
        # candidate.
        if self.contrast:
            wrong = err > 0.5
            n_wrong = int(wrong.sum())
            split = []
            for cand in cands:
                size = int(cand.members.size)
                inside = int(wrong[cand.members].sum())
                if (size == n_wrong and inside == size) or (size == n - n_wrong and inside == 0):
                    split.append(cand)
            if split:
                cands = [c for c in cands if all(c is not s for s in split)]
                names = sorted({c.name for c in split})
                self.notes.append(
                    f"{len(split)} candidate groups are exactly the wrong (or exactly the right)"
                    f" samples ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''}): they"
                    " only restate right vs wrong and are left out"
                )
        return cands

    def test(self, cands: list[Candidate]) -> None:
        """Fisher and Mantel-Haenszel tests of every candidate, Benjamini-Hochberg over them."""
        n, err, total_err, contrast, alpha = (
            self.n,
            self.err,
            self.total_err,
            self.contrast,
            self.alpha,
        )
        strata = self.strata
        item_test, item_test_within = self.item_test, self.item_test_within
        tested: list[_Tested] = []
        untested: list[Candidate] = []
        for cand in cands:
            n_g = int(cand.members.size)
            e_g = float(err[cand.members].sum())
            rate_g = e_g / n_g
            rate_r = (total_err - e_g) / (n - n_g)
            if contrast and item_test is not None and item_test_within is not None:
                if not item_test.enough_items(cand.members):
                    untested.append(cand)
                    continue
                p = item_test.p(cand.members)
                within = within_strata(err, strata, cand.members)[0]
                p_within = item_test_within.p(cand.members)
            elif contrast:
                p = _fisher_p(e_g, n_g, total_err - e_g, n - n_g)
                within, p_within = within_strata(err, strata, cand.members)
            else:
                p = within = p_within = float("nan")
            tested.append((cand, rate_g, rate_r, rate_g - rate_r, p, within, p_within))
        self.n_untested = len(untested)
        if contrast and item_test is not None:
            self._note_item_tests(untested)
        if contrast and tested:
            from .compare import benjamini_hochberg

            qvals = benjamini_hochberg([t[4] for t in tested])
            q_within = benjamini_hochberg([t[6] for t in tested])
        else:
            qvals = q_within = np.full(len(tested), np.nan)
        # significant: differs from the rest (Fisher) AND from the rest of its own tasks
        # (Mantel-Haenszel): a group whose error rate only reflects its mix of tasks restates
        # the task labels and is no new slice.
        self.sig = np.array(
            [bool(q < alpha and qw < alpha) for q, qw in zip(qvals, q_within, strict=True)],
            dtype=bool,
        )
        self.n_task_mix = int(
            sum(1 for q, qw in zip(qvals, q_within, strict=True) if q < alpha and not qw < alpha)
        )
        self.n_sig = int(self.sig.sum())
        self.tested, self.qvals, self.q_within = tested, qvals, q_within

    def _note_item_tests(self, untested: list[Candidate]) -> None:
        """Say that the groups were tested over items, and which were too small to test."""
        note = (
            f"{plural(self.n, 'sample', ',')} over {plural(self.n_items, 'item', ',')}: each"
            " group is tested over items, not samples (one item's samples are not independent:"
            " score tests whose variance sums over items, Zhang & Boos 1997)"
        )
        if untested:
            # the largest error-rate contrasts first: those a sample-level test would flag
            err, total_err, n = self.err, self.total_err, self.n
            contrast = {
                c.name: abs(
                    float(err[c.members].sum()) / c.members.size
                    - (total_err - float(err[c.members].sum())) / (n - c.members.size)
                )
                for c in untested
            }
            names = sorted(contrast, key=lambda name: (-round(contrast[name], 9), name))
            note += (
                f"; {plural(len(untested), 'more candidate group')} (not among those tested)"
                f" spanning fewer than"
                f" {MIN_SLICE_SIZE} items (or leaving fewer outside) got no test, no p and no q ("
                + ", ".join(names[:4])
                + (", ..." if len(names) > 4 else "")
                + ")"
            )
        self.notes.append(note)

    def _item_p_beside(self, members: np.ndarray, rest: np.ndarray) -> float:
        """Item-level p of ``members`` against the samples of the mask ``rest`` alone (the
        others set aside); NaN when either side spans fewer than :data:`MIN_SLICE_SIZE` items."""
        assert self.item_test is not None
        keep = rest.copy()
        keep[members] = True
        idx = np.flatnonzero(keep)
        _, codes = np.unique(self.item_test.clusters[idx], return_inverse=True)
        sub = ItemLevelTest(self.err[idx], codes.astype(np.int64), None)
        pos = np.searchsorted(idx, members)
        return sub.p(pos) if sub.enough_items(pos) else float("nan")

    # ---- ranking
    def _dedup(self, order: list[int], kept: list[tuple[int, np.ndarray]]) -> None:
        """Append to ``kept`` the candidates of ``order`` that duplicate no kept group."""
        in_group = self.in_group
        for i in order:
            if len(kept) >= 4 * self.max_suggestions:
                return
            members = self.tested[i][0].members
            in_group[:] = False
            in_group[members] = True
            same = next(
                (
                    j
                    for j, other in kept
                    if (inter := int(in_group[other].sum())) >= CONTAINED * members.size
                    or inter >= CONTAINED * other.size
                ),
                None,
            )
            if same is None:
                kept.append((i, members))
            else:
                self.duplicates.setdefault(i, same)

    def rank(self) -> None:
        """Keep the groups to show (deduplicated, ranked) and say how the structure looks."""
        n, notes, tested, total_err = self.n, self.notes, self.tested, self.total_err
        self.in_group = np.zeros(n, dtype=bool)
        self.duplicates: dict[int, int] = {}  # candidate -> the kept candidate it duplicates
        # fewer errors, but not with the error-rich groups set aside
        self.poorer_out: set[int] = set()
        kept: list[tuple[int, np.ndarray]] = []
        if not self.contrast:
            structure = "no error contrast"
            notes.append("every sample failed" if total_err >= n else "no sample failed")
            notes.append("no error-rate contrast to test: groups are ranked by size only")
            self._dedup(sorted(range(len(tested)), key=lambda i: -tested[i][0].members.size), kept)
            limit = self.max_suggestions
        elif not tested:
            structure = "no clear structure"
            notes.append(
                f"no candidate group to test (groups of at least {plural(self.min_size, 'sample')}, other"
                " than right vs wrong)"
            )
            limit = 0
        elif self.n_sig == 0:
            structure = "no clear structure"
            notes.append(
                "no clear structure: no group's error rate differs from the rest's and within"
                f" its tasks after Benjamini-Hochberg (q < {self.alpha}) over {len(tested)}"
                " candidate groups; the closest ones are shown, marked not significant"
            )
            self._dedup(sorted(range(len(tested)), key=lambda i: tested[i][4]), kept)
            limit = 3
        else:
            structure = "clear"
            self._rank_clear(kept)
            limit = self.max_suggestions
        if self.weak_clusters:
            notes.append(
                f"no clear cluster structure: best silhouette {self.best_sil:.3f} (below"
                f" {WEAK_SILHOUETTE}); clusters overlap, so a cluster is shown only when its"
                " error rate differs significantly"
            )
            if structure == "clear":
                limit = min(limit, 5)
        self.kept, self.structure, self.limit = kept, structure, limit

    def _rank_clear(self, kept: list[tuple[int, np.ndarray]]) -> None:
        """Rank the significant groups: error-rich ones first, then those with fewer errors
        that still differ with the error-rich groups set aside."""
        n, err, tested, sig, alpha = self.n, self.err, self.tested, self.sig, self.alpha
        richer = [i for i in range(len(tested)) if sig[i] and tested[i][3] > 0 and tested[i][5] > 0]
        # equal scores (the same members found twice): the simpler definition first
        simple = {"term": 0, "failure mode": 1, "cluster": 2, "clusters": 3}
        richer.sort(
            key=lambda i: (
                -round(rank_score(tested[i][5], tested[i][0].members.size), 9),
                simple[tested[i][0].kind],
            )
        )
        self._dedup(richer, kept)
        # A group with fewer errors than the rest may only be the complement of an
        # error-rich one (the rest holds the planted slice): re-test it against the rest
        # with the kept error-rich groups set aside, Benjamini-Hochberg over those tests.
        aside = np.zeros(n, dtype=bool)
        for _, members in kept:
            aside[members] = True
        poorer = [i for i in range(len(tested)) if sig[i] and tested[i][3] < 0 and tested[i][5] < 0]
        self.poorer_out.update(poorer)
        retest = []
        for i in poorer:
            members = tested[i][0].members
            rest = ~aside
            rest[members] = False
            n_g, n_r = int(members.size), int(rest.sum())
            e_g, e_r = float(err[members].sum()), float(err[rest].sum())
            if n_r and e_g / n_g < e_r / n_r:
                if self.item_test is None:
                    retest.append((i, _fisher_p(e_g, n_g, e_r, n_r)))
                elif not np.isnan(p_aside := self._item_p_beside(members, rest)):
                    retest.append((i, p_aside))
        if retest:
            from .compare import benjamini_hochberg

            q2 = benjamini_hochberg([p for _, p in retest])
            still = [i for (i, _), q in zip(retest, q2, strict=True) if q < alpha]
            self.poorer_out.difference_update(still)
            still.sort(key=lambda i: rank_score(tested[i][5], tested[i][0].members.size))
            self._dedup(still, kept)
        if self.n_task_mix and self.groups is not None:
            self.notes.append(
                f"{self.n_task_mix} groups differ from the rest only through their mix of tasks"
                " (not within the tasks they span: "
                + ("Mantel-Haenszel test" if self.item_test is None else "item-level test")
                + ") and are left out"
            )
        if len(poorer) > sum(1 for i, _ in kept if tested[i][3] < 0):
            self.notes.append(
                "groups with fewer errors than the rest are shown only when they still differ"
                " with the error-rich groups set aside"
            )

    # ---- novelty, folding
    def _novelty_labels(self) -> None:
        """Value codes of every label axis (task first) and masks of the named slices."""
        n, groups = self.n, self.groups
        self.label_codes: list[_LabelCodes] = []
        for axis, values in ([("task", groups)] if groups is not None else []) + list(
            (self.labels or {}).items()
        ):
            codes, vnames = _codes(values)
            if vnames:
                self.label_codes.append((axis, codes, vnames, np.bincount(codes[codes >= 0])))
        self.named_masks = []
        for name, idx in (self.named or {}).items():
            mask = np.zeros(n, dtype=bool)
            mask[np.asarray(idx, dtype=np.int64)] = True
            if mask.any():
                self.named_masks.append((f"slice={name}", mask))

    def _novelty(self, members: np.ndarray) -> dict[str, Any]:
        """The existing label closest to ``members`` (Jaccard) and how the group relates."""
        groups = self.groups
        size = members.size
        best, best_j = None, 0.0
        for axis, codes, vnames, sizes in self.label_codes:
            sub = codes[members]
            inter = np.bincount(sub[sub >= 0], minlength=len(vnames))
            jac = inter / (size + sizes - inter)
            j = int(np.argmax(jac))
            if jac[j] > best_j:
                best, best_j = f"{axis}={vnames[j]}", float(jac[j])
        for name, mask in self.named_masks:
            inter = int(mask[members].sum())
            jac = inter / (size + int(mask.sum()) - inter)
            if jac > best_j:
                best, best_j = name, float(jac)
        out: dict[str, Any] = {
            "best_label": best,
            "jaccard": round(best_j, 4),
            "restates": best if best_j >= RESTATE_JACCARD else None,
        }
        if groups is not None:
            tasks = Counter(str(groups[i]) for i in members.tolist())
            top, top_n = tasks.most_common(1)[0]
            out["n_tasks"] = len(tasks)
            if out["restates"]:
                out["relation"] = f"restates {out['restates']}"
            elif top_n >= 0.9 * size:
                out["relation"] = f"within task={top}"
            else:
                out["relation"] = f"across {out['n_tasks']} tasks"
        else:
            out["relation"] = f"restates {out['restates']}" if out["restates"] else "new"
        return out

    def _fold(self) -> tuple[list[Any], list[Any], list[Any]]:
        """(novel, shown restating, folded restating) kept groups, each as (index, novelty)."""
        notes, limit = self.notes, self.limit
        self._novelty_labels()
        novel: list[Any] = []
        restating: list[Any] = []
        for i, members in self.kept:
            nov = self._novelty(members)
            (restating if nov["restates"] else novel).append((i, nov))
        novel = novel[:limit]
        # one rule: every group that restates a label is folded (--all / the app's o shows
        # them, last), so no table shows a restating group beside a fold of others
        if self.show_all:
            shown_restating, folded_restating = restating, []
        else:
            shown_restating, folded_restating = [], restating
        if folded_restating:
            # each label once, with how many folded groups restate it
            labels: dict[str, int] = {}
            for _, nov in folded_restating:
                labels[str(nov["restates"])] = labels.get(str(nov["restates"]), 0) + 1
            named = [f"{lab} ({n} groups)" if n > 1 else lab for lab, n in labels.items()]
            notes.append(
                f"{plural(len(folded_restating), 'group')} "
                + agree(
                    len(folded_restating),
                    "restates an existing label and is",
                    "restate existing labels and are",
                )
                + " folded ("
                + ", ".join(named[:6])
                + (", ..." if len(named) > 6 else "")
                + "); --all shows them"
            )
        if restating and not novel:
            notes.append("every group found restates an existing label")
        return novel, shown_restating, folded_restating

    # ---- descriptions
    def search(self) -> SliceSearch:
        """Novelty, folding, the accounting note and the described groups."""
        model, tested = self.model, self.tested
        novel, shown_restating, folded_restating = self._fold()
        self.report("describe", 0.9)
        self.pos = np.full(self.n, -1, dtype=np.int64)
        self.pos[model.feature_index_] = np.arange(model.feature_index_.size)
        self.run_rate = self.rows_rate if self.run_error_rate is None else self.run_error_rate
        # error-rich groups first, then those with fewer errors; restating ones (--all) last
        order = [
            t
            for part in (novel, shown_restating)
            for t in [t for t in part if tested[t[0]][3] > 0]
            + [t for t in part if not tested[t[0]][3] > 0]
        ]
        if self.structure == "clear":
            self._account(order, folded_restating)
        shown = [self._describe(i, nov) for i, nov in order]
        folded = [self._describe(i, nov) for i, nov in folded_restating]
        self.report("done", 1.0)
        return SliceSearch(
            suggestions=shown,
            folded=folded,
            notes=self.notes,
            k=model.n_clusters_,
            k_reason=model.k_reason_,
            silhouette=dict(model.silhouette_),
            n_candidates=len(tested),
            n_significant=self.n_sig,
            structure=self.structure,
            n_clustered=int((model.labels_ >= 0).sum()),
            tests=self._tests_used(),
            n_untested=self.n_untested,
        )

    def _tests_used(self) -> str:
        """The :attr:`SliceSearch.tests` of this search."""
        if not self.contrast:
            return ""
        if self.item_test is not None:
            return ITEM_TESTS
        return SAMPLE_TESTS_FISHER if self.n <= FISHER_MAX_N else SAMPLE_TESTS_Z

    def _account(self, order: list[Any], folded_restating: list[Any]) -> None:
        """Note how every significant group is shown or accounted for."""
        sig, duplicates, poorer_out = self.sig, self.duplicates, self.poorer_out
        shown_i = {i for i, _ in order}
        folded_i = {i for i, _ in folded_restating}
        missing = [int(i) for i in np.flatnonzero(sig) if int(i) not in shown_i]
        dup = [i for i in missing if i in duplicates]
        fold = [i for i in missing if i not in duplicates and i in folded_i]
        aside = [i for i in missing if i not in duplicates and i in poorer_out]
        kept_i = {i for i, _ in self.kept}
        beyond = [i for i in missing if i in kept_i and i not in folded_i]
        other = [
            i for i in missing if i not in duplicates and i not in folded_i and i not in kept_i
        ]
        other = [i for i in other if i not in poorer_out]
        parts = [f"{sum(1 for i in shown_i if sig[i])} shown"]
        if dup:
            # named only when the group they repeat is in the table, as it is named there
            seen = [i for i in dup if duplicates[i] in shown_i]
            # a repeat of a folded group is named too: the fold lists the group it repeats
            of_fold = [i for i in dup if duplicates[i] in folded_i]
            parts += [
                _repeats_note(ids, where, self.tested, duplicates)
                for ids, where in ((seen, "a group shown"), (of_fold, "a folded group"))
                if ids
            ]
            hidden = len(dup) - len(seen) - len(of_fold)
            if hidden:
                parts.append(
                    f"{hidden} {agree(hidden, 'holds', 'hold')}"
                    " (nearly) the same samples as a group not "
                    "shown either"
                )
        if fold:
            restate = agree(len(fold), "restates an existing label", "restate existing labels")
            parts.append(f"{len(fold)} {restate} (folded)")
        if aside:
            parts.append(
                f"{len(aside)} {agree(len(aside), 'has', 'have')} fewer errors than the rest"
                " only beside the error-rich"
                " groups (not shown)"
            )
        if beyond:
            rank = agree(len(beyond), "ranks", "rank")
            parts.append(f"{len(beyond)} {rank} below the first {self.limit} (not shown)")
        if other:
            parts.append(f"{len(other)} not examined (beyond {4 * self.max_suggestions} groups)")
        groups = plural(self.n_sig, "significant group")
        self.notes.append(f"of the {groups}: " + "; ".join(parts))

    def _over_represented(self, members: np.ndarray) -> list[dict[str, Any]]:
        """Label values at least 20% of the group and 1.5 times their share of the run."""
        n, size = self.n, int(members.size)
        over: list[dict[str, Any]] = []
        for axis, codes, vnames, sizes in self.label_codes:
            sub = codes[members]
            cnt = np.bincount(sub[sub >= 0], minlength=len(vnames))
            for j in np.argsort(-cnt, kind="stable")[:3]:
                share, run_share = cnt[j] / size, sizes[j] / n
                if share >= 0.2 and share >= 1.5 * run_share:
                    over.append(
                        {
                            "label": f"{axis}={vnames[j]}",
                            "share": round(float(share), 4),
                            "run_share": round(float(run_share), 4),
                        }
                    )
        over.sort(key=lambda d: -d["share"] / max(d["run_share"], 1e-9))
        return over

    def _representatives(self, members: np.ndarray, diff_r: float) -> list[int]:
        """Up to 3 rows nearest the group's centre in the clustering space (wrong first in an
        error-rich group: those are the samples to read)."""
        err, pos = self.err, self.pos
        cand_rows = members
        if diff_r > 0 and (err[members] > 0.5).any():
            cand_rows = members[err[members] > 0.5]
        p_rows = pos[cand_rows]
        if (p_rows >= 0).any():
            feats = self.model.features_[p_rows[p_rows >= 0]]
            centre = feats.mean(axis=0)
            dist = np.linalg.norm(feats - centre, axis=1)
            return [int(x) for x in cand_rows[p_rows >= 0][np.argsort(dist, kind="stable")[:3]]]
        return [int(x) for x in cand_rows[:3]]

    def _describe(self, i: int, nov: dict[str, Any]) -> Suggestion:
        """The :class:`Suggestion` of tested candidate ``i`` with its novelty ``nov``."""
        n, err, groups, failure_modes = self.n, self.err, self.groups, self.failure_modes
        q_counts, r_counts, has_q = self.q_counts, self.r_counts, self.has_q
        cand, rate_g, rate_r, diff_r, p, within, p_within = self.tested[i]
        members = cand.members
        size = int(members.size)
        mask = np.zeros(n, dtype=bool)
        mask[members] = True
        n_err = float(err[members].sum())
        lo, hi = wilson_interval(n_err, size)
        terms: list[str] = []
        if has_q and q_counts is not None:
            terms += ["q:" + t for t in class_tfidf_terms(q_counts[0], q_counts[1], mask, 6)]
        if r_counts is not None:
            terms += class_tfidf_terms(r_counts[0], r_counts[1], mask, 4 if has_q else 8)
        over = self._over_represented(members)
        mode_cnt: Counter[str] = Counter()
        if failure_modes is not None:
            mode_cnt = Counter(str(failure_modes[j] or "unknown") for j in members.tolist())
        dom, share = mode_cnt.most_common(1)[0] if mode_cnt else (None, None)
        label_dist = {
            axis: dict(
                Counter(
                    str(values[j]) if values[j] is not None else "(unlabelled)"
                    for j in members.tolist()
                ).most_common()
            )
            for axis, values in (self.labels or {}).items()
        }
        group_dist = (
            dict(Counter(str(groups[j]) for j in members.tolist()).most_common())
            if groups is not None
            else {}
        )
        reps = self._representatives(members, diff_r)
        q, q_within, contrast = self.qvals[i], self.q_within, self.contrast
        return Suggestion(
            cluster=int(cand.name.split()[1]) if cand.kind == "cluster" else -10 - i,
            name=cand.name,
            size=size,
            n_errors=n_err,
            error_rate=rate_g,
            ci_low=lo,
            ci_high=hi,
            diff=rate_g - self.run_rate,
            top_terms=terms,
            dominant_failure_mode=dom,
            failure_mode_share=None if share is None else share / size,
            failure_modes=dict(mode_cnt.most_common()),
            labels=label_dist,
            groups=group_dist,
            representatives=reps,
            members=[int(x) for x in members],
            kind=cand.kind,
            definition=cand.definition,
            rest_error_rate=rate_r,
            diff_rest=diff_r if contrast else None,
            p_value=None if np.isnan(p) else p,
            q_value=None if np.isnan(q) else float(q),
            diff_within=None if np.isnan(within) else float(within),
            q_within=None if np.isnan(q_within[i]) else float(q_within[i]),
            significant=None if not contrast else bool(self.sig[i]),
            novelty=nov,
            over_represented=over[:4],
        )
