"""A difference's interval that lies below 0 keeps its bounds' sign and digits (walk 15: an
interval such as ``[-0.04, -0.01]`` printed ``[0.0, 0.0]``, as if it touched 0 while the
paired test says the change is below it)."""

from capslice_tui.formatting import interval


def test_interval_below_zero_never_reads_zero() -> None:
    assert interval(-0.0004, -0.0001) == "[-0.04, -0.01]"
    assert interval(-1e-7, -1e-8) == "[>-0.001, >-0.001]"
    assert interval(-0.12, -0.0003) == "[-12.0, -0.03]"
    assert interval(-0.7, -0.6) == "[-70.0, -60.0]"


def test_interval_reaching_zero_is_unchanged() -> None:
    assert interval(-0.0004, 0.082) == "[0.0, 8.2]"
    assert interval(-0.12, 0.05) == "[-12.0, 5.0]"
