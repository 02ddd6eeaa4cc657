"""A terminal table printed without Rich's cell padding (issue 14: a third of the rendering
time) reads exactly as the padded table: the fast path is taken only where it prints the
same text, and these tables check that it does."""

from __future__ import annotations

import random

import pytest

from capslice_tui.cli import render

WORDS = [
    "bbh", "38.5%", "(23122/60000);", "ckpt-001", "bbh_cot_fewshot_date_understanding",
    "wrong_answer", "日本語テキスト", "😀x", "a\nb", "tab\there", "[bold]x[/bold]", "", "-",
    "2026-11-30T16:01:02+00:00", "17/24 samples = 70.8%", "[50.4, 76.6]", "x" * 70,
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit",
]  # fmt: skip


def _tables(seed: int, n: int) -> list[tuple[list[str], list[list[object]], int]]:
    """``n`` random tables (headers, rows, terminal width) of 1-6 columns."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        nc = rng.randint(1, 6)
        headers = [
            f"{rng.choice(['run', 'task', 'note', 'response', 'score'])}{i}" for i in range(nc)
        ]
        rows: list[list[object]] = [
            [" ".join(rng.choice(WORDS) for _ in range(rng.choice([0, 1, 1, 2, 5])))
             if rng.random() < 0.9 else rng.randint(0, 10**6) for _ in range(nc)]
            for _ in range(rng.randint(1, 8))
        ]  # fmt: skip
        out.append((headers, rows, rng.choice([20, 40, 80, 120, 240])))
    return out


def _printed(headers: list[str], rows: list[list[object]], capsys: pytest.CaptureFixture) -> str:
    render.emit_table(headers, rows, "table", title="t", notes=["a note"])
    return capsys.readouterr().out


def test_unpadded_tables_print_what_the_padded_ones_print(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    taken = {True: 0, False: 0}
    real = render._fits_unpadded

    def counted(*args: object) -> tuple[bool, bool]:
        fits = real(*args)  # type: ignore[arg-type]
        taken[fits[0]] += 1
        return fits

    for headers, rows, width in _tables(seed=14, n=150):
        monkeypatch.setenv("COLUMNS", str(width))
        monkeypatch.setattr(render, "_fits_unpadded", counted)
        fast = _printed(headers, rows, capsys)
        monkeypatch.setattr(render, "_fits_unpadded", lambda *a: (False, False))
        padded = _printed(headers, rows, capsys)
        assert fast == padded, (width, headers, rows)
    assert taken[True] > 50 and taken[False] > 10  # both paths were checked


def test_a_cell_wider_than_its_column_keeps_the_padded_path() -> None:
    layout = render._fit_layout(["a", "b"], [["abcdef", "x"]], (), 240)
    assert render._fits_unpadded(layout, ["a", "b"]) == (True, True)
    layout.caps[0] = 4  # a cell wider than its column: Rich crops it in a padded column
    assert render._fits_unpadded(layout, ["a", "b"]) == (False, False)
    # column widths count characters; 日本語 is 3 characters but 6 terminal cells
    layout = render._fit_layout(["a", "b"], [["日本語", "x"]], (), 240)
    assert render._fits_unpadded(layout, ["a", "b"]) == (False, False)
    layout = render._fit_layout(["a", "b"], [["x", "two\nlines"]], (), 240)
    assert render._fits_unpadded(layout, ["a", "b"]) == (True, False)
