"""Horizontal bar charts drawn with characters, each bar with its number beside it, and one
legend line per chart that names what each bar glyph means in that chart."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ..format import short


@dataclass(frozen=True)
class Bar:
    """One bar: ``label`` on the left, ``fraction`` (0..1) of the bar width, ``text`` beside."""

    label: str
    fraction: float
    text: str
    char: str = "█"


def legend_line(legend: tuple[tuple[str, str], ...]) -> str:
    """``legend: █ base run  # candidate run`` from ``((glyph, meaning), ...)``; ``""`` for none."""
    if not legend:
        return ""
    return "legend: " + "  ".join(f"{glyph} {meaning}" for glyph, meaning in legend)


def unexplained(bars: tuple[Bar, ...], legend: tuple[tuple[str, str], ...]) -> set[str]:
    """Glyphs that some drawn bar (one cell or more) uses and the legend does not name."""
    named = {glyph for glyph, _ in legend}
    return {b.char for b in bars if b.fraction > 0 and b.char not in named}


class BarChart(Static):
    """A legend line, then rows of ``label  ████████   text``; readable without colour (the
    length is the value, the glyph is named on the chart's own legend line).

    Set both at once with :meth:`show`; every glyph a bar draws must be in the legend, and one
    glyph means one thing within a chart.
    """

    DEFAULT_CSS = """
    BarChart { height: auto; }
    """

    bars: reactive[tuple[Bar, ...]] = reactive((), layout=True)
    legend: reactive[tuple[tuple[str, str], ...]] = reactive((), layout=True)

    def __init__(self, label_width: int = 22, bar_width: int = 24, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.label_width = label_width
        self.bar_width = bar_width

    def show(self, bars: list[Bar] | tuple[Bar, ...], legend: dict[str, str]) -> None:
        """Chart ``bars`` under one legend line (``{glyph: meaning}``, in the order to print).

        Raises:
            ValueError: a bar draws a glyph the legend does not name (a chart whose glyphs a
                reader cannot look up).
        """
        items = tuple(legend.items())
        missing = unexplained(tuple(bars), items)
        if missing:
            raise ValueError(
                f"{'bar glyph' if len(missing) == 1 else 'bar glyphs'} without a legend entry: "
                f"{' '.join(sorted(missing))}"
            )
        self.legend = items
        self.bars = tuple(bars)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        line = legend_line(self.legend) if self.bars else ""
        if line:
            out.append(line)
        for i, b in enumerate(self.bars):
            if i or line:
                out.append("\n")
            fraction = max(0.0, min(1.0, b.fraction))
            n = int(round(fraction * self.bar_width))
            out.append(f"{short(b.label, self.label_width):<{self.label_width}} ")
            out.append(b.char * n)
            out.append(" " * (self.bar_width - n))
            out.append(f" {b.text}")
        if not self.bars:
            out.append("(nothing to chart)")
        return out
