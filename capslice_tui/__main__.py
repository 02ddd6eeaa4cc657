"""``python -m capslice_tui`` runs the ``capslice`` command."""

from capslice_tui.cli import main

main(prog_name="capslice")
