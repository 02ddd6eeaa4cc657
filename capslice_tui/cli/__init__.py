"""The ``capslice`` command line (click): the root group with the commands that list and show
(:mod:`.root`), one module per command group, and the table/JSON/Markdown output
(:mod:`.render`). Every command calls the workspace facade; none touches the store.
"""

from __future__ import annotations

from . import diagnose, discover, doctor, exchange, hub, label, plan, rescore, trend
from .root import main

for _command in (
    diagnose.compare,
    diagnose.diagnose,
    diagnose.report,
    discover.discover,
    doctor.doctor,
    doctor.recover,
    doctor.backup,
    exchange.export_cmd,
    exchange.import_cmd,
    hub.hub,
    hub.push,
    hub.pull,
    label.label,
    plan.plan_cmd,
    plan.intervention,
    rescore.rescore,
    trend.trend,
):
    main.add_command(_command)

__all__ = ["main"]
