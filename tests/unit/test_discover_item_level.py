"""Discovery's group tests over runs with several samples per item (pass@k runs) are item-level:
one item's samples are not independent, so 64 identical failing samples of one item weigh like
one item, not like 64 (ItemLevelTest: a score test whose variance sums over items). Groups of
fewer than 10 items are not tested and the notes say so. One sample per item keeps the
sample-level tests (Fisher / two-proportion z, Mantel-Haenszel) exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import norm

from capslice_tui.analysis.discovery import (
    ItemLevelTest,
    _fisher_p,
    find_slices,
    within_strata,
)

PLAIN = (
    "Tom has {a} apples and buys {b} more. How many apples does he have?",
    "A box holds {a} pens. How many pens are in {b} boxes?",
    "Sara read {a} pages on Monday and {b} on Tuesday. How many pages in total?",
    "There are {b} chairs in {a} equal rows. How many per row?",
)
RATES = (0.1, 0.3, 0.5, 0.2, 0.4)


def _search(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library warning escapes
        return find_slices(*args, **kw)


def _one_item_always_fails(k: int = 64, m: int = 30):
    """``m`` items x ``k`` samples over two tasks. Item 0 ("quaternion", also "matrix") fails
    all its samples; items 1-9 also say "matrix"; every other item fails a fixed share
    (10-50%) of its samples."""
    qs, rs, ok, ts, items = [], [], [], [], []
    for i in range(m):
        q = PLAIN[i % 4].format(a=i + 2, b=3 * i + 50)
        if i < 10:
            q = "A matrix question: " + q
        if i == 0:
            q = "Compute the quaternion norm. " + q
        wrong = k if i == 0 else round(k * RATES[i % 5])
        for j in range(k):
            qs.append(q)
            rs.append(f"Let me think. The answer is {(i * 7 + j) % 97}.")
            ok.append(0.0 if j < wrong else 1.0)
            ts.append("ta" if i % 2 else "tb")
            items.append(i)
    return qs, rs, np.array(ok), ts, np.array(items)


def test_score_test_by_hand() -> None:
    # 3 items x 2 samples, errors 1 1 | 0 1 | 0 0, group = item 0: ybar = 1/2, gbar = 1/3,
    # u = (1 - 1/3 * 1, 0 - 1/3 * 0, 0 - 1/3 * (-1)) = (2/3, 0, 1/3): U = 1, V = 5/9
    test = ItemLevelTest(np.array([1, 1, 0, 1, 0, 0.0]), np.array([0, 0, 1, 1, 2, 2]), None)
    assert test.statistic(np.array([0, 1])) == pytest.approx((1.0, 5 / 9))
    assert test.p(np.array([0, 1])) == pytest.approx(2 * norm.sf(1 / np.sqrt(5 / 9)))
    assert test.p(np.array([0, 1])) == pytest.approx(0.179712, abs=1e-6)
    # no item varies around the rate: nothing to test
    flat = ItemLevelTest(np.array([1, 0, 1, 0.0]), np.array([0, 0, 1, 1]), None)
    assert flat.p(np.array([0, 1])) == 1.0


def test_with_tasks_as_strata_U_is_the_mantel_haenszel_numerator() -> None:
    rng = np.random.default_rng(3)
    err = (rng.random(400) < 0.3).astype(float)
    strata = rng.integers(0, 4, 400)
    members = np.flatnonzero(rng.random(400) < 0.2)
    stat, _ = ItemLevelTest(err, np.arange(400), strata).statistic(members)
    # sum_t (a_t - n_gt m_t / N_t), the numerator of within_strata's Mantel-Haenszel chi-square
    expected = 0.0
    for t in range(4):
        in_t = strata == t
        n_gt = int(in_t[members].sum())
        expected += err[members][in_t[members]].sum() - n_gt * err[in_t].sum() / in_t.sum()
    assert stat == pytest.approx(expected)
    assert within_strata(err, strata, members)[1] < 1.0  # the same contrast is tested there


def test_ten_items_one_always_failing_differ_over_samples_not_over_items() -> None:
    _, _, ok, _, items = _one_item_always_fails()
    err = 1.0 - ok
    group = np.flatnonzero(items < 10)  # the "matrix" items, item 0 among them
    e_g, n_g = float(err[group].sum()), int(group.size)
    sample_p = _fisher_p(e_g, n_g, float(err.sum()) - e_g, err.size - n_g)
    item_test = ItemLevelTest(err, items, None)
    assert item_test.enough_items(group)
    assert sample_p < 1e-3  # 640 samples counted as independent: "significant"
    assert item_test.p(group) > 0.2  # 10 items, one of which always fails: not
    # the one item alone cannot be tested; nor can a group leaving fewer than 10 items outside
    assert not item_test.enough_items(np.flatnonzero(items == 0))
    assert not item_test.enough_items(np.flatnonzero(items >= 21))
    assert item_test.enough_items(np.flatnonzero(items >= 20))


def test_one_item_of_64_failing_samples_is_no_discovery() -> None:
    qs, rs, ok, ts, items = _one_item_always_fails()
    one_item = set(np.flatnonzero(items == 0).tolist())
    # the old, sample-level test: one item's 64 samples are a highly significant "slice"
    old = _search(qs, rs, ok, groups=ts, random_state=0)
    assert any(s.significant and set(s.members) <= one_item for s in old.suggestions)
    assert min(s.q_value for s in old.suggestions if set(s.members) <= one_item) < 1e-20
    # item-level: nothing significant, the untested groups are said and have no p or q
    new = _search(qs, rs, ok, groups=ts, items=items.tolist(), random_state=0)
    assert new.n_significant == 0 and new.structure == "no clear structure"
    assert not any(set(s.members) <= one_item for s in new.suggestions)
    assert all(s.p_value is not None and s.p_value > 0.05 for s in new.suggestions)
    note = next(n for n in new.notes if n.startswith("1,920 samples over 30 items"))
    assert "tested over items, not samples" in note and "Zhang & Boos 1997" in note
    assert "spanning fewer than 10 items" in note and "got no test, no p and no q" in note
    # named, the largest contrasts first: the one item's groups (error 100% against ~30%)
    first = note.split("got no test, no p and no q (")[1].split(", ...")[0].split(", ")
    assert len(first) == 4 and {"q:compute", "q:quaternion"} <= set(first)
    assert new.n_candidates < old.n_candidates  # the untested are not counted as tested


def test_multi_sample_planted_slice_is_still_found() -> None:
    # 60 items x 8 samples over three tasks; 15 percentage items fail 85% of their samples,
    # the others 30% (item rates vary around those): a real slice of 15 items
    rng = np.random.default_rng(5)
    qs, rs, ok, ts, items, planted = [], [], [], [], [], set()
    for i in range(60):
        themed = i % 4 == 0
        q = (
            f"What is {i + 3} percent of {40 * i + 120}?"
            if themed
            else PLAIN[i % 4].format(a=i + 2, b=3 * i + 50)
        )
        rate = float(np.clip(rng.normal(0.85 if themed else 0.3, 0.1), 0, 1))
        for _ in range(8):
            if themed:
                planted.add(len(qs))
            qs.append(q)
            rs.append(f"Let me work it out. The answer is {int(rng.integers(1, 999))}.")
            ok.append(float(rng.random() >= rate))
            ts.append(f"task_{i % 3}")
            items.append(i)
    res = _search(qs, rs, np.array(ok), groups=ts, items=items, random_state=0)
    assert res.structure == "clear"
    top = res.suggestions[0]
    assert top.significant and top.q_value < 0.01
    assert len(set(top.members) & planted) / len(set(top.members) | planted) >= 0.9


def test_an_error_free_theme_is_retested_item_by_item_beside_the_error_rich_one() -> None:
    # 72 items x 8 samples: 18 colour items never fail, 18 fraction items fail 90%, the rest
    # 40%; the colour group is shown only if it still differs, item by item, from the rest
    # with the fraction group set aside
    rng = np.random.default_rng(7)
    qs, rs, ok, ts, items, colour, fraction = [], [], [], [], [], set(), set()
    for i in range(72):
        kind = i % 4
        q = (
            f"Name the colour of the sky in picture {i}."
            if kind == 0
            else f"What is one third of the fraction {3 * i + 9}?"
            if kind == 1
            else PLAIN[i % 4].format(a=i + 2, b=3 * i + 50)
        )
        rate = (0.0, 0.9, 0.4, 0.4)[kind]
        for _ in range(8):
            {0: colour, 1: fraction}.get(kind, set()).add(len(qs))
            qs.append(q)
            rs.append(f"The answer is {int(rng.integers(1, 999))}.")
            ok.append(float(rng.random() >= rate))
            ts.append(f"t{i % 3}")
            items.append(i)
    res = _search(qs, rs, np.array(ok), groups=ts, items=items, random_state=0)
    shown = {frozenset(s.members): s for s in res.suggestions}
    assert shown[frozenset(fraction)].significant and shown[frozenset(fraction)].diff_rest > 0
    poor = shown[frozenset(colour)]
    assert poor.significant and poor.diff_rest < 0 and poor.q_value < 1e-3
    assert [s.diff_rest > 0 for s in res.suggestions] == [True, False]


def test_one_sample_per_item_keeps_the_sample_level_results() -> None:
    rng = np.random.default_rng(1)
    qs, rs, ok, ts = [], [], [], []
    for i in range(300):
        themed = i % 5 == 0
        q = f"What is {i} percent of {3 * i + 7}?" if themed else PLAIN[i % 4].format(a=i, b=i + 9)
        qs.append(q)
        rs.append(f"The answer is {int(rng.integers(1, 999))}.")
        ok.append(float(rng.random() > (0.85 if themed else 0.3)))
        ts.append(f"task_{i % 3}")
    ok_arr = np.array(ok)
    before = _search(qs, rs, ok_arr, groups=ts, random_state=0)
    after = _search(qs, rs, ok_arr, groups=ts, items=[f"doc{i}" for i in range(300)])
    assert before.structure == "clear" and before.suggestions
    assert [s.to_dict(members=True) for s in after.suggestions] == [
        s.to_dict(members=True) for s in before.suggestions
    ]
    assert after.notes == before.notes and after.n_candidates == before.n_candidates
    assert not any("tested over items" in n for n in after.notes)


def test_items_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="items has 2 entries but responses has 3"):
        find_slices(None, ["a", "b", "c"], np.ones(3), items=[1, 2])
