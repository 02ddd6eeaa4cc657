"""The in-process timing of a ``capslice`` command that ``startup.py`` and ``query_speed.py``
share: a fresh Python imports the CLI package, calls its ``main()`` with the command's
arguments and reports three figures on stderr; the medians over ``repeat`` runs (after one
untimed run that warms the bytecode and page caches) are returned.

The three figures: the import of the CLI package (wall seconds), and the wall and CPU seconds
from the call of ``main()`` to its return (the command's own imports, opening the store, the
queries and the printing; not the interpreter's start-up nor the CLI package's import).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

INPROC = r"""
import json, sys, time
t0 = time.perf_counter()
from capslice_tui.cli import main
t1, c1 = time.perf_counter(), time.process_time()
try:
    main.main(sys.argv[1:], prog_name="capslice", standalone_mode=False)
except SystemExit:
    pass
t2, c2 = time.perf_counter(), time.process_time()
sys.stdout.flush()
sys.stderr.write("\nINPROC " + json.dumps([t1 - t0, t2 - t1, c2 - c1]) + "\n")
"""


def time_main(
    argv: list[str], repeat: int, env: dict[str, str], cwd: str
) -> tuple[float, float, float]:
    """Medians of (CLI package import s, ``main()`` wall s, ``main()`` CPU s) of ``capslice
    argv``, each run a fresh ``sys.executable`` process with ``env`` in ``cwd``.

    Raises:
        subprocess.CalledProcessError: the command failed (its stderr is in the exception).
    """
    runs = []
    for i in range(repeat + 1):
        proc = subprocess.run(
            [sys.executable, "-c", INPROC, *argv], check=True, cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = [x for x in proc.stderr.splitlines() if x.startswith("INPROC ")][-1]
        if i:
            runs.append(json.loads(line.split(" ", 1)[1]))
    imp, wall, cpu = zip(*runs, strict=True)
    return statistics.median(imp), statistics.median(wall), statistics.median(cpu)
