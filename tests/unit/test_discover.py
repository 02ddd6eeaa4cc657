"""Slice discovery: degenerate input, determinism, and coherence on the real BBH CoT log."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from capslice_tui.analysis.discovery import (
    NO_CONTENT,
    TOO_LITTLE_TEXT,
    DiscoveryCancelled,
    SliceDiscoverer,
    describe_clusters,
    is_no_content,
)
from capslice_tui.formatting import plural

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


# ---------------------------------------------------------------- error-aware search
from capslice_tui.analysis.discovery import (  # noqa: E402
    class_tfidf_terms,
    find_slices,
    within_strata,
)

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
THEMED = [
    "What is {a} percent of {b}?",
    "A shop gives {a} percent off a {b} dollar coat. What is the price?",
]
PLAIN = [
    "Tom has {a} apples and buys {b} more. How many apples?",
    "A box holds {a} pens. How many pens are in {b} boxes?",
    "Sara read {a} pages and then {b} more. How many pages?",
    "There are {b} chairs in {a} rows. How many per row?",
]


def _planted(seed=0, n_per_task=100, tasks=("t1", "t2", "t3"), p_in=0.9, p_out=0.3):
    """Questions, responses, scores, tasks and planted row indices (every 5th row per task)."""
    rng = np.random.default_rng(seed)
    qs, rs, ok, ts, planted = [], [], [], [], []
    for task in tasks:
        for i in range(n_per_task):
            themed = i % 5 == 0
            tmpl = THEMED[i % 2] if themed else PLAIN[int(rng.integers(0, len(PLAIN)))]
            a, b = (int(x) for x in rng.integers(2, 900, 2))
            if themed:
                planted.append(len(qs))
            qs.append(tmpl.format(a=a, b=b))
            rs.append(f"Let me work it out. The answer is {int(rng.integers(1, 999))}.")
            ok.append(float(rng.random() > (p_in if themed else p_out)))
            ts.append(task)
    return qs, rs, np.array(ok), ts, set(planted)


def _search(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library warning escapes
        return find_slices(*args, **kw)


def test_planted_theme_across_tasks_is_the_first_suggestion():
    qs, rs, ok, ts, planted = _planted()
    res = _search(qs, rs, ok, groups=ts)
    assert res.structure == "clear" and res.k_reason.startswith(f"k={res.k} ")
    top = res.suggestions[0]
    got = set(top.members)
    assert len(got & planted) / len(got | planted) >= 0.9
    assert top.error_rate >= 0.8 and top.significant and top.q_value < 1e-6
    assert top.diff_within == pytest.approx(top.diff_rest, abs=0.1)  # not the task mix
    assert top.novelty["restates"] is None and top.novelty["relation"] == "across 3 tasks"
    assert "q:percent" in top.top_terms[:2]
    assert all(not any(c.isdigit() for c in t) for s in res.suggestions for t in s.top_terms)
    # boilerplate shared by every response never describes a group
    assert not {"answer", "work", "let"} & {t for s in res.suggestions for t in s.top_terms}
    # representatives are wrong members nearest the group's centre
    assert all(ok[i] == 0 and i in got for i in top.representatives)
    assert len(top.representatives) == 3


def test_group_that_is_one_task_restates_it_and_is_folded_or_shown_last_with_all():
    # a task that fails far more than the others: the slice exists, but the task label names it
    rng = np.random.default_rng(2)
    qs, rs, ok, ts = [], [], [], []
    for task, words, p in (
        ("word_sorting", "sort these words alphabetically", 0.8),
        ("arith", "add the two numbers together", 0.2),
        ("logic", "is the statement true or false", 0.2),
    ):
        for _ in range(80):
            qs.append(f"{words} {int(rng.integers(0, 99))}")
            rs.append("ok")
            ok.append(float(rng.random() > p))
            ts.append(task)
    res = _search(qs, rs, np.array(ok), groups=ts)
    marked = [s for s in res.suggestions + res.folded if s.novelty["restates"]]
    assert marked, "the word_sorting group is found and marked"
    assert any(s.novelty["restates"] == "task=word_sorting" for s in marked)
    assert all(s.novelty["relation"].startswith("restates task=") for s in marked)
    # one rule (walk 9 #23): every group that restates a label is folded, none is shown
    assert marked == res.folded and not any(s.novelty["restates"] for s in res.suggestions)
    assert any(n.startswith(f"{plural(len(res.folded), 'group')} restate") for n in res.notes)
    every = _search(qs, rs, np.array(ok), groups=ts, show_all=True)
    assert not every.folded
    flags = [bool(s.novelty["restates"]) for s in every.suggestions]
    assert sum(flags) == len(marked) and flags == sorted(flags)  # restating ones last


def test_named_slice_and_axis_overlap_is_named():
    qs, rs, ok, ts, planted = _planted(seed=3)
    rows = np.array(sorted(planted))
    res = _search(qs, rs, ok, groups=ts, named={"percentages": rows}, show_all=True)
    top = [s for s in res.suggestions if set(s.members) & planted][0]
    assert top.novelty["restates"] == "slice=percentages" and top.novelty["jaccard"] >= 0.9
    axis = ["money" if i in planted else None for i in range(len(qs))]
    res = _search(qs, rs, ok, groups=ts, labels={"background_condition": axis}, show_all=True)
    top = [s for s in res.suggestions if set(s.members) & planted][0]
    assert top.novelty["restates"] == "background_condition=money"
    assert {"label": "background_condition=money", "share": 1.0, "run_share": 0.2} in (
        top.over_represented
    )


def test_no_clear_structure_is_said_and_shows_few_groups():
    qs, rs, _, ts, _ = _planted(seed=4)
    rng = np.random.default_rng(5)
    ok = (rng.random(len(qs)) > 0.4).astype(float)  # errors unrelated to the text
    res = _search(qs, rs, ok, groups=ts)
    assert res.structure == "no clear structure"
    assert any(n.startswith("no clear structure") for n in res.notes)
    assert len(res.suggestions) <= 3
    assert all(s.significant is False for s in res.suggestions)


def test_failing_only_has_no_contrast_and_says_so():
    qs, rs, ok, ts, _ = _planted(seed=6)
    wrong = np.flatnonzero(ok == 0)
    res = _search([qs[i] for i in wrong], [rs[i] for i in wrong], ok[wrong], groups=ts)
    assert res.structure == "no error contrast"
    assert "every sample failed" in res.notes
    assert all(s.significant is None and s.q_value is None for s in res.suggestions)


def test_identical_documents_are_explained_without_warnings():
    rows = [
        json.loads(x) for x in (CASES / "clu-01-identical-texts" / "min_refusals_7.jsonl").open()
    ]
    res = _search(
        [r["prompt"] for r in rows],
        [r["response"] for r in rows],
        [float(r["correct"]) for r in rows],
        groups=[r["task"] for r in rows],
    )
    assert any("all 7 documents are identical" in n for n in res.notes)
    assert not any("Warning" in n or "divide by zero" in n for n in res.notes)
    assert res.k == 1 and res.suggestions == []


def test_k_shown_equals_non_empty_clusters_on_set1():
    rows = [json.loads(x) for x in (CASES / "clu-01-identical-texts" / "set1_short.jsonl").open()]
    for k in (3, 5, 8):
        model = _fit(
            [r["response"] for r in rows], n_clusters=k, questions=[r["prompt"] for r in rows]
        )
        used = {c for c in model.labels_.tolist() if c >= 0}
        assert model.n_clusters_ == len(used) == model.cluster_centers_.shape[0]
        assert used == set(range(model.n_clusters_))
        assert model.k_reason_.startswith(f"k={min(k, model.n_clusters_)}") or "clamped" in (
            model.k_reason_
        )


def test_within_strata_separates_a_theme_from_a_task_mix():
    err = np.array([1.0] * 10 + [0.0] * 10 + [1.0, 0.0] * 10)
    strata = np.array([0] * 20 + [1] * 20)
    # the group is all of stratum 0's errors: a contrast inside stratum 0
    diff, p = within_strata(err, strata, np.arange(10))
    assert diff == pytest.approx(1.0) and p < 0.01
    # a group that is exactly stratum 0: nothing within it to compare, explained by the task
    diff, p = within_strata(err, strata, np.arange(20))
    assert diff == 0.0 and p == 1.0


def test_class_tfidf_terms_are_distinguishing_words():
    from sklearn.feature_extraction.text import CountVectorizer

    docs = ["percent of the price", "percent off", "apples and pears", "pears and plums"]
    vec = CountVectorizer()
    counts = vec.fit_transform(docs)
    mask = np.array([True, True, False, False])
    terms = class_tfidf_terms(counts, vec.get_feature_names_out(), mask, 3)
    assert terms[0] == "percent" and "pears" not in terms


def test_error_aware_clustering_never_splits_right_from_wrong():
    # issue 10: "--error-aware gives two clusters, all-wrong and all-right"
    qs, rs, ok, ts, planted = _planted(seed=7)
    modes = ["correct" if x else "wrong_answer" for x in ok]
    res = _search(qs, rs, ok, groups=ts, failure_modes=modes, error_aware=True, k=4)
    top = res.suggestions[0]
    got = set(top.members)
    assert len(got & planted) / len(got | planted) >= 0.9
    assert all(s.error_rate < 1.0 for s in res.suggestions if s.size > 40)
