"""Large runs without questions: hashed character n-grams, fitted on a subsample, in chunks."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from capslice_tui.analysis.discovery import SliceDiscoverer, _hashed_char_counts


def test_hashed_counts_count_every_ngram_once_per_occurrence():
    docs = ["The answer is (B)", "the answer is (b)", "abab", "a", ""]
    m = _hashed_char_counts(docs, (2, 3), n_features=2**18, chunk=2)
    assert m.shape == (5, 2**18) and m.dtype == np.float32
    for i, d in enumerate(docs):
        d = d.lower()
        grams = Counter(d[p : p + n] for n in (2, 3) for p in range(len(d) - n + 1))
        assert m[i].sum() == sum(grams.values())  # every n-gram counted once per occurrence
        assert m[i].nnz <= len(grams)  # distinct n-grams (fewer only on a hash collision)
    assert (m[0] != m[1]).nnz == 0  # lowercased: the same n-grams
    assert m[2].max() == 2  # "ab" twice


def test_hashed_path_separates_short_answers_with_and_without_chunked_projection():
    rng = np.random.default_rng(0)
    texts = [
        f"Let me think. So the answer is ({'A' if i % 2 else 'B'})."
        + " step" * int(rng.integers(1, 4))
        for i in range(600)
    ]
    kw = dict(n_clusters=2, char_hash_above=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library warning leaks
        chunked = SliceDiscoverer(svd_sample=200, **kw).fit(texts)
        whole = SliceDiscoverer(svd_sample=600, **kw).fit(texts)
    for model in (chunked, whole):
        assert any("character n-grams hashed over 48" in n for n in model.notes_)
        labels = model.labels_
        odd = labels[1::2]
        # answers (A) and (B) fall in two different groups, each answer in one group
        assert np.unique(odd).size == 1 and np.unique(labels[::2]).size == 1
        assert odd[0] != labels[0]
    assert any("fitted on a 200-sample subsample" in n for n in chunked.notes_)
    assert chunked.features_.shape == (600, chunked.features_.shape[1])
    assert np.allclose(np.linalg.norm(chunked.features_, axis=1), 1.0)
