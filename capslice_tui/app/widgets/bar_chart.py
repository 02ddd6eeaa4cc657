"""Horizontal bar charts drawn with characters, each bar with its number beside it."""

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


class BarChart(Static):
    """Rows of ``label  ████████   text``; readable without colour (the length is the value).

    Set ``bars`` (a tuple of :class:`Bar`) from the screen; the chart re-renders.
    """

    DEFAULT_CSS = """
    BarChart { height: auto; }
    """

    bars: reactive[tuple[Bar, ...]] = reactive((), layout=True)

    def __init__(self, label_width: int = 22, bar_width: int = 24, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.label_width = label_width
        self.bar_width = bar_width

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, b in enumerate(self.bars):
            if i:
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
