"""Slice discovery: degenerate input, determinism, and coherence on the real BBH CoT log."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from capslice_tui.discover import (
    NO_CONTENT,
    TOO_LITTLE_TEXT,
    DiscoveryCancelled,
    SliceDiscoverer,
    describe_clusters,
    is_no_content,
)

BBH_COT = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "bbh"
    / "outputs"
    / "code-davinci-002_cot.jsonl"
)


def _fit(texts, **kw):
    fit_kw = {
        k: kw.pop(k) for k in ("questions", "correct", "failure_modes", "embeddings") if k in kw
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test: no floods
        return SliceDiscoverer(**kw).fit(texts, **fit_kw)


def test_no_content_bucket_before_vectorising():
    texts = ["", "   ", "[invalid]", None, "the answer is 5", "the answer is 7", "so it is (B)"]
    model = _fit(texts, n_clusters=2)
    assert model.labels_[:4].tolist() == [NO_CONTENT] * 4
    assert (model.labels_[4:] >= 0).all()
    assert any("4 samples with no content" in n for n in model.notes_)
    assert np.isinf(model.distances_[:4]).all()


def test_all_empty_input_gives_only_the_bucket():
    model = _fit(["", "[invalid]", None])
    assert model.labels_.tolist() == [NO_CONTENT] * 3
    assert model.n_clusters_ == 0
    sugg = describe_clusters(model, correct=[0, 0, 0])
    assert [(s.name, s.size, s.error_rate) for s in sugg] == [("no content", 3, 1.0)]


def test_very_short_answers_are_clustered_by_one_char_tokens():
    texts = ["(B)", "(B)", "(B)", "(A)", "(A)", "(A)", "42", "42", "41"]
    model = _fit(texts, n_clusters=3, random_state=0)
    lab = model.labels_
    assert (lab >= 0).all()
    assert len({lab[0], lab[1], lab[2]}) == 1 and len({lab[3], lab[4], lab[5]}) == 1
    assert lab[0] != lab[3]
    # numbers are one token ("num"): groups never follow the digits of answers (issue 10)
    assert {"b", "a", "num"} <= set(model.feature_names_.tolist())
    assert "42" not in set(model.feature_names_.tolist())


def test_rows_without_features_are_too_little_text_and_never_normalised():
    # char_wb turns any non-space text into at least one n-gram, so "..." is comparable by
    # default; a vocabulary cap that drops its only n-grams leaves a zero row.
    default = _fit(["...", "!!", "answer 5", "answer 6"], n_clusters=2)
    assert (default.labels_ >= 0).all()
    model = _fit(
        ["...", "!!", "answer 5", "answer 6"], n_clusters=2, max_features=1, char_ngram_range=(9, 9)
    )
    assert model.labels_[:2].tolist() == [TOO_LITTLE_TEXT] * 2
    assert any("2 samples have too little text" in n for n in model.notes_)
    assert np.isfinite(model.cluster_centers_).all()
    assert np.isfinite(model.distances_[2:]).all()
    sugg = describe_clusters(model, correct=[0, 0, 1, 1])
    assert [s.name for s in sugg if s.cluster < 0] == ["too little text"]


def test_k_is_clamped_to_distinct_documents_and_says_so():
    texts = ["alpha beta"] * 5 + ["gamma delta"] * 5
    model = _fit(texts, n_clusters=8)
    assert model.n_clusters_ == 2
    assert any("k=8 clamped to 2" in n for n in model.notes_)
    assert len(set(model.labels_.tolist())) == 2


def test_auto_k_with_a_single_distinct_document():
    model = _fit(["same text"] * 6)
    assert model.n_clusters_ == 1
    assert model.labels_.tolist() == [0] * 6
    assert any("all 6 documents are identical" in n for n in model.notes_)


def test_error_aware_separates_failure_modes_of_identical_text():
    texts = ["let me think step by step about it"] * 10 + ["compute the sum of these"] * 10
    correct = [1, 0] * 10
    modes = ["correct", "runaway"] * 10
    plain = _fit(texts, n_clusters=2, correct=correct, failure_modes=modes)
    assert len(set(plain.labels_[:10].tolist())) == 1
    aware = _fit(
        texts,
        n_clusters=4,
        error_aware=True,
        error_weight=1.0,
        correct=correct,
        failure_modes=modes,
    )
    sugg = describe_clusters(aware, correct=correct, failure_modes=modes)
    assert sorted(s.error_rate for s in sugg) == [0.0, 0.0, 1.0, 1.0]
    assert all(s.failure_mode_share == 1.0 for s in sugg)


def test_user_embeddings_drive_clusters():
    texts = ["same words here"] * 8
    emb = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]] * 4)
    emb[0] = np.nan  # a missing embedding row counts as zero, never crashes
    model = _fit(texts, n_clusters=2, embeddings=emb, embedding_weight=2.0)
    assert len(set(model.labels_[4:].tolist())) == 1
    assert model.labels_[1] != model.labels_[4]


def test_describe_reports_rates_terms_labels_and_representatives():
    texts = ["the stack is empty"] * 6 + ["sort the letters alphabetically"] * 4
    correct = [0, 0, 0, 0, 0, 1, 1, 1, 0, 1]
    modes = ["wrong_answer"] * 5 + ["correct"] * 3 + ["truncated", "correct"]
    task_type = ["parsing"] * 6 + [None] * 4
    model = _fit(texts, n_clusters=2)
    sugg = describe_clusters(
        model,
        correct=correct,
        failure_modes=modes,
        labels={"task_type": task_type},
        groups=["dyck"] * 6 + ["sort"] * 4,
        run_error_rate=0.5,
    )
    by_size = {s.size: s for s in sugg}
    stack = by_size[6]
    assert stack.n_errors == 5 and stack.error_rate == pytest.approx(5 / 6)
    assert (stack.ci_low, stack.ci_high) == pytest.approx((0.4365, 0.9699), abs=1e-4)
    assert stack.diff == pytest.approx(5 / 6 - 0.5)
    assert stack.dominant_failure_mode == "wrong_answer"
    assert stack.labels == {"task_type": {"parsing": 6}}
    assert stack.groups == {"dyck": 6}
    assert "stack" in stack.top_terms and "letters" not in stack.top_terms
    assert len(stack.representatives) == 3 and set(stack.representatives) <= set(range(6))
    assert by_size[4].labels == {"task_type": {"(unlabelled)": 4}}


def test_same_seed_same_result_and_hdbscan_runs():
    rng = np.random.default_rng(1)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
    texts = [" ".join(rng.choice(words[(i % 3) * 2 : (i % 3) * 2 + 3], 6)) for i in range(300)]
    a = _fit(texts, random_state=3)
    b = _fit(texts, random_state=3)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.silhouette_ == b.silhouette_
    h = _fit(texts, method="hdbscan", hdbscan_max_samples=100, random_state=3)
    assert h.labels_.shape == (300,)
    assert any("HDBSCAN fitted on 100 of 300" in n for n in h.notes_)


def test_progress_and_cancel():
    stages = []
    model = SliceDiscoverer(n_clusters=2).fit(
        ["a b", "c d", "a b c"], progress=lambda s, f: stages.append((s, f))
    )
    assert stages[-1] == ("done", 1.0) and model.n_clusters_ == 2
    fracs = [f for _, f in stages]
    assert fracs == sorted(fracs)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(DiscoveryCancelled):
        SliceDiscoverer().fit(["a b", "c d", "e f"] * 10, should_cancel=cancel)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="correct has 1 entries but responses has 2"):
        SliceDiscoverer().fit(["a", "b"], correct=[1])
    with pytest.raises(ValueError, match="method must be"):
        SliceDiscoverer(method="dbscan").fit(["a"])
    with pytest.raises(ValueError, match="n_clusters must be"):
        SliceDiscoverer(n_clusters=0).fit(["a"])
    assert is_no_content(" [INVALID] ") and not is_no_content("0")


# ---------------------------------------------------------------- real data
_ANSWER = re.compile(r"the answer is (.*?)\.?\s*$", re.IGNORECASE | re.DOTALL)


def _bbh_failures():
    if not BBH_COT.exists():
        pytest.skip(f"real BBH log not found at {BBH_COT} (see ../shared/data/PROVENANCE.md)")
    rows = [json.loads(line) for line in BBH_COT.open()]
    fails = []
    for r in rows:
        m = _ANSWER.search(r["prediction"])
        answer = m.group(1).strip() if m else None
        if answer != r["target"]:
            fails.append(
                (r["task"], r["prediction"], "wrong_answer" if m else "extraction_failure")
            )
    return fails


def test_bbh_cot_failures_give_coherent_deterministic_suggestions():
    fails = _bbh_failures()
    texts = [f[1] for f in fails]
    tasks = [f[0] for f in fails]
    modes = [f[2] for f in fails]
    a = _fit(texts, random_state=0, failure_modes=modes)
    b = _fit(texts, random_state=0, failure_modes=modes)
    assert np.array_equal(a.labels_, b.labels_)
    sugg = describe_clusters(a, correct=np.zeros(len(texts)), failure_modes=modes, groups=tasks)
    assert a.n_clusters_ >= 5
    # coherent: most clusters are dominated by one task family, and recognisable terms show up
    purity = [max(s.groups.values()) / s.size for s in sugg if s.cluster >= 0]
    assert np.median(purity) >= 0.6
    top = {t for s in sugg for t in s.top_terms}
    assert {"stack", "letter"} & top
