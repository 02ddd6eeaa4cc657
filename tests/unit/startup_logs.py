"""The small lm-eval log the start-up tests ingest (``test_import_cost``,
``test_startup_imports``): one fixture, so the two files check the same store. It is the
shared ``lmeval_lines.write_gsm8k_run`` (twelve GSM8K samples, eight right by default)."""

from __future__ import annotations

from lmeval_lines import write_gsm8k_run

__all__ = ["write_gsm8k_run"]
