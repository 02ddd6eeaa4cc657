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


# ---- piped tables written without Rich (issue 14: Rich's import is ~50 ms of a command) -----

PLAIN_WORDS = [
    "bbh", "38.5%", "(23122/60000);", "ckpt-001", "bbh_cot_fewshot_date_understanding",
    "bbh_cot_fewshot_date", "wrong_answer", "", "-", "[bold]x[/bold]", ":smile:", "a…b", "·",
    "↳", "≥ 10", "x" * 70, "17/24 samples = 70.8%", "[50.4, 76.6]", "  lead", "trail  ",
    "capslice samples --run ckpt-001 --failing", "日本語", "tab\there", "a\nb", "\x1b[31m",
]  # fmt: skip


def _plain_cases(seed: int, n: int) -> list[dict[str, object]]:
    """``n`` random tables with titles, notes (some longer than the width, some holding a
    command) and long first-column names that go on their own line."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        nc = rng.randint(1, 6)
        words = PLAIN_WORDS if rng.random() < 0.3 else PLAIN_WORDS[:20]
        headers = [rng.choice(["run", "task", "note", "score", "response"]) + str(i)
                   for i in range(nc)]  # fmt: skip
        rows: list[list[object]] = [
            [" ".join(rng.choice(words) for _ in range(rng.choice([0, 1, 1, 2, 4])))
             if rng.random() < 0.9 else rng.randint(0, 10**6) for _ in range(nc)]
            for _ in range(rng.randint(1, 8))
        ]  # fmt: skip
        if rng.random() < 0.3:  # names of 32+ characters stacked above their rows
            for r in rows:
                r[0] = rng.choice(["short", "ckpt-" + "x" * rng.randint(30, 60)])
        notes = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30)))
                 for _ in range(rng.randint(0, 3))]  # fmt: skip
        out.append({
            "headers": headers, "rows": rows, "width": rng.choice([20, 40, 80, 120, 240]),
            "title": rng.choice([None, "t", "ckpt-001 by task · filter strict-match " * 3]),
            "notes": notes, "own_line": headers[0] if rng.random() < 0.5 else None,
        })  # fmt: skip
    return out


def test_piped_tables_written_without_rich_are_byte_for_byte_richs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    taken = {True: 0, False: 0}
    real = render._print_plain

    def counted(*args: object) -> bool:
        wrote = real(*args)  # type: ignore[arg-type]
        taken[wrote] += 1
        return wrote

    monkeypatch.setattr(render, "_print_plain", counted)
    for case in _plain_cases(seed=14, n=200):
        monkeypatch.setenv("COLUMNS", str(case["width"]))
        kwargs = {"title": case["title"], "notes": case["notes"], "own_line": case["own_line"]}
        monkeypatch.setattr(render, "_plain_output", lambda: True)
        render.emit_table(case["headers"], case["rows"], "table", **kwargs)  # type: ignore[arg-type]
        plain = capsys.readouterr().out
        monkeypatch.setattr(render, "_plain_output", lambda: False)
        render.emit_table(case["headers"], case["rows"], "table", **kwargs)  # type: ignore[arg-type]
        assert plain == capsys.readouterr().out, case
    assert taken[True] > 60 and taken[False] > 40, taken  # both ways were compared


def test_unusual_text_is_left_to_rich() -> None:
    layout = render._fit_layout(["a", "b"], [["x", "y"]], (), 240)
    for cell in ("日本語", "😀", "e\u0301", "tab\there", "a\nb", "\x1b[31m", "\u200b"):
        assert not render._plain_text(cell), cell
        layout.cells = [[cell, "y"]]
        assert render._print_plain(layout, ["a", "b"], None, [], [], 240) is False
    for text in ("[bold]x[/bold]", ":smile:", "a…b · c ↳", "≥ 10"):
        assert render._plain_text(text), text  # printed verbatim, never read as markup


def test_the_characters_written_without_rich_are_one_cell_wide_as_rich_counts() -> None:
    from rich.cells import cell_len

    assert {c: cell_len(c) for c in render._ONE_CELL} == dict.fromkeys(render._ONE_CELL, 1)


@pytest.mark.parametrize(
    ("env", "plain"),
    [
        ({}, True),
        ({"FORCE_COLOR": "1"}, False),  # Rich styles a pipe as a terminal
        ({"FORCE_COLOR": ""}, True),
        ({"TTY_COMPATIBLE": "1"}, False),
        ({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, True),
        ({"NO_COLOR": "1"}, True),
    ],
)
def test_rich_is_skipped_only_where_it_would_print_plain_text(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], plain: bool
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert render._plain_output() is plain  # stdout is captured: not a terminal
    monkeypatch.setattr(render, "output_width", lambda: None)  # a terminal: Rich
    assert render._plain_output() is False


def test_prose_that_fits_is_what_textwrap_returns() -> None:
    # wrap_prose returns a line that fits as it is (no textwrap import); each of these lines
    # is compared with textwrap's wrapping (_wrap_line)
    rng = random.Random(14)
    pieces = ["a", "word", " ", "  ", "\t", "\r", "\x0b", "\x0c", "\0", "\u3000", "\xa0", "…",
              "capslice samples --run x", "日本", "-", "x" * 30]  # fmt: skip
    kept = 0
    for _ in range(3000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        width = rng.choice([1, 5, 20, 40, 80, 240])
        assert render.wrap_prose(line, width) == render._wrap_line(line, width), (line, width)
        kept += render._fits_as_is(line, width)
    assert kept > 300
