"""numpy, imported on its first use (issue 14: start-up).

``compare`` of two greedy runs tests counts with the standard library alone, but its modules
(``workspace/diagnose.py``, ``analysis/compare.py``, ``metrics.py``, ``pairing.py``) use
numpy throughout their other paths. Importing numpy costs ~0.1-0.2 s of a command's start;
these modules name :data:`np` from here instead, and numpy loads when one of its attributes
is first read (``np.array``, ``np.ndarray``...). Type checkers see numpy itself::

    if TYPE_CHECKING:
        import numpy as np
    else:
        from .lazy import np
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module ``name`` until one of its attributes is read; then imports it
    and keeps each attribute read on itself (later reads are one instance-dict lookup)."""

    def __init__(self, name: str) -> None:
        self._lazy_name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self._lazy_name), attr)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"<module {self._lazy_name!r}, imported on first use>"


np: Any = LazyModule("numpy")
"""numpy, imported on the first read of one of its attributes."""
