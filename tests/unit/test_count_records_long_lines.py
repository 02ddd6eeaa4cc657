"""count_records' line count (interrupt._lines): newline to newline with ``find`` while lines
are long, one ``count`` pass once they are short; the same count as every newline counted."""

import io
import random

from capslice_tui.workspace.interrupt import DENSE_LINE_BYTES, _lines


def _expected(data: bytes) -> int:
    return data.count(b"\n") + (bool(data) and not data.endswith(b"\n"))


def test_long_short_and_mixed_lines_across_buffers() -> None:
    rng = random.Random(7)
    size = 4096  # a small buffer: lines and runs of short lines cross its ends
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.5:
                length = rng.choice([0, 1, DENSE_LINE_BYTES - 1, DENSE_LINE_BYTES, 4500, 9000])
            else:
                length = rng.choice([0, 2, 9, 40])
            parts.append(b"x" * length + b"\n")
        data = b"".join(parts)
        if data and rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]  # a last line without its newline
        assert _lines(io.BytesIO(data), bytearray(size)) == _expected(data), data[:80]


def test_long_lines_then_many_short_ones_in_one_buffer() -> None:
    data = b"y" * 5000 + b"\n" + b"{}\n" * 3000 + b"z" * 7000
    assert _lines(io.BytesIO(data), bytearray(1 << 20)) == 3002
    assert _lines(io.BytesIO(b""), bytearray(16)) == 0
    assert _lines(io.BytesIO(b"\n\n"), bytearray(16)) == 2
