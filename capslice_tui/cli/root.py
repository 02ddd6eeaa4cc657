"""The ``capslice`` command: parses arguments and calls the workspace facade, nothing else.

Every listing takes ``--format table|json|md``; JSON goes to stdout alone. Bare ``capslice``
opens the app on the store.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from ..formatting import (
    AVERAGE_MEANING,
    INTERVAL_MARKS,
    answer_cell,
    answer_notes,
    answer_text,
    count,
    extracted_cell,
    extracted_label,
    flag_legend,
    flagged_mode,
    interval,
    interval_legend,
    interval_mark,
    item_mean,
    lenient_cell,
    mixed_intervals,
    mode_legend,
    pct,
    plural,
    response_cells,
    sample_tally,
    score_counts,
    score_meaning,
    shorten,
    visible,
)
from ..vocabulary import (
    AVERAGES,
    AXES,
    FAILURE_MARKS,
    FAILURE_MODES,
    MIN_SLICE_SIZE,
)
from .render import FORMATS, emit_json, emit_table, use_console_glyphs

if TYPE_CHECKING:
    from ..workspace import Workspace
    from ..workspace.results import BenchmarkScore, SampleRow

DEFAULT_STORE = "capslice.db"
_MODE_OF_MARK: dict[str, str] = {mark: mode for mode, mark in FAILURE_MARKS.items()}
"""The failure mode a samples table's marker stands for (``--failure-mode fmt!``)."""


def upgrade_notice(store_path: Path) -> Callable[[list[str]], None]:
    """What the CLI tells stderr before an existing store is upgraded to this version's schema
    (a store of millions of samples takes minutes; an interrupted upgrade changes nothing)."""

    def notice(names: list[str]) -> None:
        click.echo(
            f"capslice: upgrading the store {store_path} to this version's schema"
            f" ({', '.join(names)}); on a store of millions of samples this takes minutes."
            " Interrupting leaves the store as it was.",
            err=True,
        )

    return notice


class Ctx:
    """What the global options decide, with the workspace opened on first use."""

    def __init__(self, store: str, taxonomy: str | None, busy_timeout: float | None = None) -> None:
        self.store_path = Path(store)
        self.taxonomy_dir = Path(taxonomy) if taxonomy else None
        self.busy_timeout = busy_timeout
        self._ws: Workspace | None = None

    @property
    def ws(self) -> Workspace:
        """The :class:`~capslice_tui.workspace.Workspace` on ``--store``, opened on first use;
        its store's lock-wait messages and filesystem warning go to stderr."""
        if self._ws is None:
            from ..workspace import Workspace
            from . import missing_store_refusal

            refusal = missing_store_refusal(self.store_path, click.get_current_context(silent=True))
            if refusal:  # a read command on a mistyped --store: no empty store is created
                raise click.ClickException(refusal)
            self._ws = Workspace(
                self.store_path,
                self.taxonomy_dir,
                self.busy_timeout,
                upgrade_notice(self.store_path),
            )
            self._ws.store.on_wait = lambda message: click.echo(message, err=True)
            if self._ws.store.fs_warning:
                click.echo(f"warning: {self._ws.store.fs_warning}", err=True)
        return self._ws


pass_ctx = click.make_pass_decorator(Ctx)


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors users can act on into one clear line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            # the error classes are looked up only now, each in its module when it is loaded
            # (an exception of a class never imported cannot be raised): start-up imports
            # neither the ingest path nor the workspace's reliability module (issue 14)
            _friendly(exc)
            raise

    return wrapper


def _friendly(exc: Exception) -> None:
    """Raise ``exc`` as a one-line :class:`click.ClickException` when users can act on it
    (ingest error, store or taxonomy error, ValueError, missing file, damaged database);
    return for any other exception."""
    import sqlite3

    from ..store import StoreError

    ingest_module = sys.modules.get("capslice_tui.workspace.ingest")
    if ingest_module is not None and isinstance(exc, ingest_module.IngestError):
        for line in exc.bad[:20]:
            if line not in str(exc):  # the message already quotes the line that stopped it
                click.echo(line, err=True)
        raise click.ClickException(str(exc)) from exc
    taxonomy_module = sys.modules.get("capslice_tui.taxonomy.yamlfile")
    taxonomy_error = (taxonomy_module.TaxonomyError,) if taxonomy_module is not None else ()
    if isinstance(exc, (StoreError, *taxonomy_error, ValueError, FileNotFoundError)):
        raise click.ClickException(str(exc)) from exc
    if isinstance(exc, sqlite3.DatabaseError):  # a damaged page met by a query: one clear line
        from ..workspace.reliability import friendly_db_error

        store = click.get_current_context().find_object(Ctx)
        path = store.store_path if store else "the store"
        raise click.ClickException(friendly_db_error(exc, path) or str(exc)) from exc


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--format table|json|md`` (parameter ``fmt``, default ``table``) to a command."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output as a text table, JSON (stdout only) or Markdown.",
    )(func)


def run_argument(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The run a command reads, given as its argument (``capslice samples bbh-base``, as
    ``diagnose`` and ``compare`` take theirs) or as ``--run RUN``; the command gets it as
    ``run``. Both given and different is a usage error naming both; neither, a usage error
    naming both ways."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["run"] = _one_run(kwargs.pop("run"), kwargs.pop("run_option"))
            return func(*args, **kwargs)

        option = click.option(
            "--run", "run_option", default=None, metavar="RUN",
            help=f"{help_text} Same as the RUN argument.",
        )  # fmt: skip
        return click.argument("run", required=False, metavar="RUN")(option(wrapper))

    return decorate


def _one_run(argument: str | None, option: str | None) -> str:
    """The run of :func:`run_argument`, from its argument or ``--run``."""
    if argument is not None and option is not None and argument != option:
        raise click.UsageError(
            f"two runs given: {argument!r} (argument) and {option!r} (--run); give the run "
            "once, as the argument or as --run"
        )
    run = argument if argument is not None else option
    if run is None:
        raise click.UsageError("Missing argument 'RUN' (or --run RUN): the run to read.")
    return run


def _checked_ks(ks: tuple[str, ...]) -> tuple[str, ...]:
    """``--k`` values as given, each ``all`` or a whole number >= 1, refused otherwise even
    where no pass@k is shown (a greedy run: ``--k 0 ignored`` read as accepted)."""
    for k in ks:
        text = str(k).strip()
        if text != "all" and not (text.isdigit() and int(text) >= 1):
            raise click.BadParameter(f"{k!r}: use a whole number >= 1 or 'all'")
    return ks


def interval_words(methods: Sequence[str]) -> str:
    """The interval methods of a table in words (``bootstrap over items; Wilson over items
    (one sample per item)``), each once, not their tokens (``cluster-bootstrap, wilson``)."""
    words: list[str] = []
    for method in methods:
        known = INTERVAL_MARKS.get("normal" if method.startswith("normal") else method)
        word = known[1] if known else method
        if word not in words:
            words.append(word)
    return "; ".join(words) or "-"


ROOT_OPTIONS = ("--store", "--taxonomy", "--busy-timeout")
"""Options of ``capslice`` itself, given before the command (``capslice --store S runs``)."""


def _has_json_flag(ctx: click.Context | None) -> bool:
    """Whether the command of ``ctx`` prints JSON with ``--json`` (doctor, export, import,
    ingest, push, pull, recover) rather than ``--format json``."""
    command = ctx.command if ctx is not None else None
    return command is not None and any("--json" in p.opts for p in command.params)


class LogFormat(click.Choice[str]):
    """``ingest --format``: the log's format. An output format given there (``--format
    json``, as the commands that show a table take it) is refused with where JSON comes from
    (``--json``), not only the list of log formats."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in FORMATS:
            self.fail(
                f"{value!r} is an output format; ingest's --format names the log's format "
                f"({', '.join(map(str, self.choices))}), and --json prints the ingest report "
                "as JSON",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


class RootGroup(click.Group):
    """The root group: an option of its own given after the command (``capslice runs --store
    S``: click's ``No such option '--store'``) gets a hint to put it before the command."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run as click does, with stdout/stderr that end quietly when their reader goes
        (``capslice runs | head -1``: :func:`~.render.quiet_broken_pipe`; the exit status
        stays the command's own, never click's 1 for EPIPE)."""
        from .render import quiet_broken_pipe

        quiet_broken_pipe()
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; see the class docstring."""
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as exc:
            if exc.option_name == "--format" and _has_json_flag(exc.ctx):
                raise click.NoSuchOption(
                    exc.option_name,
                    exc.message + " This command prints JSON with --json (--format is an "
                    "option of the commands that show a table: runs, slices, diagnose...)",
                    exc.possibilities,
                    exc.ctx,
                ) from None
            if exc.option_name not in ROOT_OPTIONS:
                raise
            where = exc.ctx.command_path if exc.ctx else "capslice COMMAND"
            rest = where.split(" ", 1)[1] if " " in where else "COMMAND"
            hint = (
                f" {exc.option_name} is an option of capslice itself: give it before the"
                f" command (capslice {exc.option_name} VALUE {rest} ...)"
            )
            raise click.NoSuchOption(
                exc.option_name, exc.message + hint, exc.possibilities, exc.ctx
            ) from None


@click.group(cls=RootGroup, invoke_without_command=True)
@click.option(
    "--store",
    envvar="CAPSLICE_STORE",
    default=DEFAULT_STORE,
    show_default=True,
    help="SQLite store file (env CAPSLICE_STORE); created by ingest, import or demo.",
)
@click.option(
    "--taxonomy",
    envvar="CAPSLICE_TAXONOMY",
    default=None,
    type=click.Path(file_okay=False),
    help="Directory with your own evaluation.yaml/data.yaml/mapping.yaml (env CAPSLICE_TAXONOMY).",
)
@click.option(
    "--busy-timeout",
    envvar="CAPSLICE_BUSY_TIMEOUT",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds a write waits for another writer before giving up (env "
    "CAPSLICE_BUSY_TIMEOUT; default 30).",
)
@click.version_option(package_name="capslice")
@click.pass_context
def main(ctx: click.Context, store: str, taxonomy: str | None, busy_timeout: float | None) -> None:
    """capslice: capability slices of LLM evaluation logs.

    Ingest evaluation logs, slice them by background condition, task type, solving operation
    and output constraint, compare checkpoints, diagnose a drop as a data or a not-data problem,
    and plan and judge data interventions. Without a command, opens the terminal app.

    Exit status: 0 done; 1 error; 2 usage error, or import found conflicts; diagnose
    --fail-on: 3, 4 or 5 when its condition holds. A reader that stops early (capslice runs | head -1) is no error: the
    rest of the output is dropped quietly and the status stays the command's own (0, not
    1 or 141).
    """
    ctx.obj = Ctx(store, taxonomy, busy_timeout)
    if ctx.invoked_subcommand not in (None, "tui", "demo"):  # the app has its console mode
        use_console_glyphs()
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--run", required=True, help="Run name (one checkpoint's evaluation).")
@click.option("--benchmark", default=None, help="Benchmark name when the log does not say.")
@click.option("--model", default=None, help="Model name when the log does not say.")
@click.option("--step", type=int, default=None, help="Training step of the checkpoint.")
@click.option(
    "--format",
    "input_format",
    type=LogFormat(["auto", "lm-eval", "lmms-eval", "lighteval", "opencompass", "jsonl", "csv"]),
    default="auto",
    show_default=True,
    help="Input format; auto detects it from the content.",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="ROLE=KEY",
    help="Map a role (task, doc_id, prompt, target, response, correct, sample_idx, ...) to a key; "
    "ingest prints the mapping it used.",
)
@click.option("--system", default=None, help="Pick one system of a multi-system file.")
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Store the readable lines; report the bad ones (the run is marked incomplete with their count).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@pass_ctx
@friendly_errors
def ingest(
    obj: Ctx,
    paths: tuple[Path, ...],
    run: str,
    benchmark: str | None,
    model: str | None,
    step: int | None,
    input_format: str,
    fields: tuple[str, ...],
    system: str | None,
    skip_bad: bool,
    as_json: bool,
) -> None:
    """Ingest evaluation logs (lm-eval, lmms-eval, lighteval parquet, OpenCompass, JSONL, CSV;
    .gz too) as a run.

    Identical re-ingest adds nothing. A bad line stops the ingest and stores nothing from it
    unless --skip-bad is given. A log whose samples differ from those the run already holds
    (same task, doc_id and sample) stores nothing and exits 1: ingest it under a new --run,
    or `capslice delete-run RUN` first to replace the run.
    """
    from ..workspace.ingest import run_name_problem, summary_lines

    problem = run_name_problem(run)
    if problem:  # before the store is opened (or created): nothing to undo
        raise click.BadParameter(problem, param_hint="--run")
    field_map: dict[str, str] = {}
    for item in fields:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not ROLE=KEY", param_hint="--field")
        role, key = item.split("=", 1)
        field_map[role.strip()] = key.strip()
    progress_cb, done = _progress("ingest")
    try:
        report = obj.ws.ingest(
            list(paths),
            run=run,
            benchmark=benchmark,
            model=model,
            step=step,
            fmt=input_format,
            field_map=field_map or None,
            system=system,
            skip_bad=skip_bad,
            progress=progress_cb,
            refuse_changed=True,  # a CI script must not pass on a half-stored log
        )
    finally:
        done()
    if as_json:
        emit_json(report.to_dict())
        return
    for line in report.bad[:20]:
        click.echo(line, err=True)
    if report.n_bad > 20:
        click.echo(f"... and {plural(report.n_bad - 20, 'more bad line')}", err=True)
    for line in report.fields:
        click.echo(f"fields: {line}")
    for line in summary_lines(report.to_dict()):
        click.echo(line)
    if report.n_bad:
        click.echo(f"{plural(report.n_bad, 'bad line')} skipped")
    for warning in report.warnings[:10]:
        click.echo(f"warning: {warning}", err=True)
    for note in report.notes[:10]:
        click.echo(f"note: {note}", err=True)


@main.command("delete-run")
@click.argument("run")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
@friendly_errors
def delete_run(obj: Ctx, run: str, yes: bool) -> None:
    """Delete RUN and its samples (items, labels and other runs stay).

    Interventions that use RUN as their baseline or result run are named first: deleting it
    orphans them (their outcome can no longer be re-evaluated)."""
    users = obj.ws.interventions_using_run(run)
    orphans = f"; it is used by {', '.join(users)}, which will be orphaned" if users else ""
    if not yes:
        click.confirm(
            f"delete run {run!r} and its samples from {obj.store_path}{orphans}?", abort=True
        )
    elif users:
        click.echo(f"warning: deleting run {run!r} orphans {', '.join(users)}", err=True)
    removed = obj.ws.delete_run(run)
    click.echo(f"deleted {run}: {plural(removed, 'sample')}")


def _progress(label: str) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    """A rich progress display on stderr when it is a terminal; no-op otherwise."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    progress.start()
    task_id = progress.add_task(label, total=None)
    return (lambda n: progress.update(task_id, completed=n)), progress.stop


def _average_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--average micro|macro`` for commands that roll several tasks up into one score."""
    return click.option(
        "--average",
        type=click.Choice(list(AVERAGES)),
        default="micro",
        show_default=True,
        help="Roll-up of several tasks: micro pools the items, macro averages the task scores.",
    )(func)


def _bench_cell(name: str, s: BenchmarkScore, compact: bool = False) -> str:
    """``toy 82.7% (91/110)``, or ``toy 50.0% (macro of 2 tasks)``; a mean of per-item
    accuracies ``math 43.1% (mean of 158 items; samples 1093/5888 = 18.6%)``, or with
    ``compact`` ``math 43.1% (mean of 158)`` (the caller notes the samples:
    :func:`_mean_note`)."""
    # scores between 0 and 1 (metrics.slice_score's "mean score") are not a share of right
    # answers: the cell says so
    what = " mean score" if s.get("metric") == "mean score" else ""
    if s.get("average") == "macro" and (s.get("n_tasks") or 0) > 1:
        return f"{name} {pct(s['score'])}{what} (macro of {s['n_tasks']} tasks)"
    cell = score_counts(s["score"], s["correct"], s["n_samples"], s["n_items"])
    if compact and item_mean(s["score"], s["correct"], s["n_samples"]):
        return f"{name} {pct(s['score'])}{what} (mean of {s['n_items']})"
    if what:
        return f"{name} {pct(s['score'])}{what} ({s['correct']:g}/{s['n_samples']})"
    return f"{name} {cell}"


def _mean_note(data: Sequence[Any]) -> str | None:
    """The note under a compact ``runs`` table (:func:`_bench_cell`) giving what ``mean of N``
    cells leave out: what the score is, and each such cell's correct samples."""
    tallies = [
        f"{r['name']} {b} {sample_tally(s['score'], s['correct'], s['n_samples'])}"
        for r in data
        for b, s in r["benchmarks"].items()
        # the cells _bench_cell words "(mean of ...)" in full: per-item means, not macro
        # rows of several tasks nor mean scores (their cells say so themselves)
        if item_mean(s["score"], s["correct"], s["n_samples"])
        and not (s.get("average") == "macro" and (s.get("n_tasks") or 0) > 1)
        and s.get("metric") != "mean score"
    ]
    if not tallies:
        return None
    return (
        "mean of N: the mean of the N items' accuracies (items have several samples; each "
        "item weighs 1), not the share of correct samples: " + "; ".join(tallies)
    )


def _runs_rows(data: Sequence[Any], shared: bool, compact: bool) -> list[list[Any]]:
    """The rows of ``runs``' table (``compact``: the benchmarks cells of :func:`_bench_cell`)."""
    rows = []
    for r in data:
        benches = "; ".join(_bench_cell(b, s, compact) for b, s in r["benchmarks"].items())
        rows.append(
            [r["name"], r["model"] or "-", r["step"] or "-", r["n_samples"], r["status"],
             *([r["origin"]] * shared), benches]
        )  # fmt: skip
    return rows


def _narrow_runs(
    headers: list[str], data: Sequence[Any], shared: bool
) -> tuple[list[str], list[list[Any]], list[str]]:
    """``runs``' terminal table when the full one is wider than the terminal: benchmarks cells
    ``math 43.1% (mean of 158)`` (:func:`_mean_note` gives their samples). The full table
    when it fits. (A status every run shares is said once in a note by ``emit_table``'s
    ``once``, so models keep their names: ``eosmask-step110000``, not ``de…110000``.)"""
    from .render import table_width

    rows = _runs_rows(data, shared, compact=False)

    def wide(table: Sequence[Sequence[Any]]) -> int:
        cols = range(len(headers))
        return sum(max(len(str(x)) for x in [headers[i], *(r[i] for r in table)]) for i in cols)

    width = table_width()
    if not rows or wide(rows) + 2 * (len(headers) - 1) <= width:
        return headers, rows, []
    rows = _runs_rows(data, shared, compact=True)
    note = _mean_note(data)
    return headers, rows, [note] if note else []


@main.command()
@_average_option
@click.option("--hub", "hub_name", default=None, help="List the runs on team hub NAME instead.")
@format_option
@pass_ctx
@friendly_errors
def runs(obj: Ctx, average: str, hub_name: str | None, fmt: str) -> None:
    """List runs with their per-benchmark scores (counts beside every percentage), the log
    layout each was read from, why a run is incomplete, and whether it is local or was pushed
    to or pulled from a team hub (--hub NAME lists the hub's runs)."""
    if hub_name is not None:
        from .hub import hub_runs_table

        hub_runs_table(obj, hub_name, fmt)
        return
    data = obj.ws.runs(average=average)
    shared = any(r["origin"] != "local" for r in data)  # the column only once a hub is used
    notes = [f"benchmarks: {AVERAGE_MEANING[average]} (--average micro|macro)"]
    headers = ["run", "model", "step", "samples", "status", *(["origin"] * shared)]
    headers.append(f"benchmarks ({average})")
    if fmt == "table":
        headers, rows, narrow = _narrow_runs(headers, data, shared)
        notes += narrow
    else:
        rows = _runs_rows(data, shared, compact=False)
    layouts: dict[str, list[str]] = {}  # one note a log layout, naming its runs
    for r in data:
        variant = r.get("schema_variant")
        if variant:
            layouts.setdefault(variant, []).append(r["name"])
    for layout, names in layouts.items():
        who = "every run" if len(names) == len(data) > 1 else ", ".join(names)
        notes.append(f"{who}: read from {layout}")
    notes += _metric_notes(data)
    for r in data:
        if r.get("incomplete_reason"):
            notes.append(f"{r['name']}: incomplete: {r['incomplete_reason']}")
        notes += [_caveat_note(r["name"], c) for c in r.get("score_caveats") or []]
    emit_table(
        headers,
        rows,
        fmt,
        notes=notes,
        payload=data,
        expendable=("model", "step", "origin"),  # the scores stay longest
        own_line="run",  # a long run name whole on its own line above its row
        once=("status",),  # one status every run shares: said once, models keep their names
    )


def _metric_notes(data: Sequence[Any]) -> list[str]:
    """What each benchmark score of ``runs`` is: ``metric: greedy accuracy (every row)``, or
    one note per metric naming its runs (``metric acc (log-likelihood choice): mmlu_b``), so a
    sampled run's or a multiple-choice task's score is never read as another's."""
    by_metric: dict[str, list[str]] = {}
    for r in data:
        for bench, s in r["benchmarks"].items():
            who = r["name"] if len(r["benchmarks"]) == 1 else f"{r['name']} {bench}"
            by_metric.setdefault(str(s.get("metric") or "-"), []).append(who)
    if len(by_metric) == 1 and len(data) > 1:
        return [f"metric: {next(iter(by_metric))} (every row)"]
    return [f"metric {m}: {', '.join(who)}" for m, who in by_metric.items()]


def _score_source(s: Mapping[str, Any]) -> str:
    """``harness``, or for a log-likelihood choice the metric it is, with the others logged:
    ``harness: acc (the choice of highest log-likelihood); acc_norm also logged: 0.0``."""
    from ..workspace.core import choice_metric

    metric = choice_metric(s.get("metrics") or {}, s.get("score"))
    if metric is None:
        return str(s["score_source"])
    others = [f"{k} also logged: {v:g}" for k, v in (s.get("metrics") or {}).items() if k != metric]
    return f"{s['score_source']}: {metric} (a log-likelihood choice)" + "".join(
        f"; {o}" for o in others
    )


def _lenient_field(s: Mapping[str, Any]) -> str:
    """The lenient extraction of a sample; ``-`` for a log-likelihood choice, which generated
    nothing to re-extract."""
    from ..workspace.core import choice_metric

    if choice_metric(s.get("metrics") or {}, s.get("score")) is not None:
        return "- (a log-likelihood choice: nothing was generated to re-extract)"
    return answer_text(s["lenient_extracted"])


def _caveat_note(run: str, caveat: str) -> str:
    """``RUN: warning: CAVEAT``; a caveat that starts with its task's name, when the task is
    named as its run (a generic log's file name), says that name once, not ``evals: warning:
    evals: ...``."""
    if caveat.startswith(f"{run}: "):
        caveat = caveat[len(run) + 2 :]
    return f"{run}: warning: {caveat}"


PER_ITEM_MEAN_NOTE = (
    "score: mean of the per-item accuracies (each item weighs 1 however many samples it "
    "has); count: correct samples / samples, a different ratio when items have "
    "different numbers of samples"
)
"""The note under a table (``slices``, ``trend``) with a row whose score is a per-item mean
and whose count is of samples, a different ratio (:func:`per_item_mean`)."""


def per_item_mean(r: Any) -> bool:
    """Whether a slice row (``score``, ``correct``, ``n_samples``, ``average``, ``n_tasks``)
    shows a score that is not its count's ratio (:func:`sample_tally` labels it then): a mean
    of per-item accuracies beside a sample count; a macro row of several tasks says so itself."""
    if r.average == "macro" and (r.n_tasks or 0) > 1:
        return False
    return item_mean(r.score, r.correct, r.n_samples)


@main.command()
@run_argument("Run name.")
@click.option("--benchmark", default=None, help="Only this benchmark.")
@click.option(
    "--by",
    default="task",
    show_default=True,
    help="task, benchmark, an axis, or axes joined by commas (a combination).",
)
@click.option(
    "--k",
    "ks",
    multiple=True,
    callback=lambda _ctx, _param, value: _checked_ks(value),
    help="pass@k to report (repeatable; 'all' = the curve: powers of two up to n, and n; "
    "named ks always show). Default: the curve.",
)
@click.option(
    "--filter",
    "filter_name",
    default=None,
    help="Filter to use instead of each task's primary one.",
)
@click.option(
    "--sort",
    type=click.Choice(["key", "score", "n"]),
    default="key",
    show_default=True,
    help="Row order: key (the slice's name), score (lowest first) or n (most items first).",
)
@_average_option
@format_option
@pass_ctx
@friendly_errors
def slices(
    obj: Ctx,
    run: str,
    benchmark: str | None,
    by: str,
    ks: tuple[str, ...],
    filter_name: str | None,
    sort: str,
    average: str,
    fmt: str,
) -> None:
    """Per-slice scores of a run: n, score with a 95% interval, counts, pass@k.

    The ALL row (and any row holding several tasks) is a micro mean unless --average macro.
    """
    use = obj.ws.filter_use(run, filter_name, benchmark=benchmark)
    table = obj.ws.slices(
        run,
        benchmark=benchmark,
        by=by,
        k=list(ks) or None,
        filter_name=filter_name,
        average=average,
    )
    rows_src = list(table.rows)
    if sort == "score":
        rows_src.sort(key=lambda r: r.score)
    elif sort == "n":
        rows_src.sort(key=lambda r: -r.n_items)
    # a row of several tasks under --average macro has no pass@k (see _macro_pass_note): the
    # pass@k columns go when no row has one, instead of columns of '-'
    macro_note = _macro_pass_note(table)
    ks_shown = [k for k in table.ks if any(k in r.pass_at_k for r in [*table.rows, table.overall])]
    headers, rows = _slice_rows(table, rows_src, ks_shown)
    every = [*table.rows, table.overall]
    methods = sorted({r.method for r in every})
    notes = [
        f"metric: {score_meaning(table.overall.metric)}; "  # the count's ratio: its own note
        + (
            interval_legend(methods)  # rows of one table with different methods are marked
            if mixed_intervals(r.method for r in every)
            else f"interval: {interval_words(methods)}"
        )
        + "; lenient: the same samples re-scored by capslice's lenient answer extraction "
        "(lenient - score = share lost to answer extraction; -: none to compare, e.g. "
        "instruction checks or unit tests have no answer to re-extract)",
        f"ALL: {AVERAGE_MEANING[table.average]} "
        f"(--average {'macro' if table.average == 'micro' else 'micro'} for the other)",
    ]
    if any(per_item_mean(r) for r in [*table.rows, table.overall]):
        notes.append(PER_ITEM_MEAN_NOTE)
    if ks_shown:
        notes.append(
            "pass@k cells: unbiased estimator (Chen et al. 2021) with expected solved items / "
            "items having at least k samples"
        )
    if macro_note:
        notes.append(macro_note)
    elif ks and not table.ks:  # no pass@k at all: a greedy run (one sample per item)
        why = table.one_sample_reason or "this run has one sample per item"
        notes.append(f"--k {' '.join(ks)} ignored: {why}")
    _check_ks(ks, table)
    notes += _coverage_notes(table)
    notes += table.notes
    small = sum(1 for r in table.rows if (r.warning or "").startswith("below minimum"))
    if small:  # said here too: a narrow terminal leaves the note column out first
        notes.append(
            f"{small} of {len(table.rows)} slices {'is' if small == 1 else 'are'} below the minimum slice size "
            f"{MIN_SLICE_SIZE} items: reported, not tested ("
            + (
                "no interval where items have several samples and their accuracies vary: a "
                "bootstrap over so few items cannot be trusted; where each item is all right or "
                "all wrong, a Wilson interval over items"
                if any(r.method == "none" for r in table.rows if r.n_items)
                else "their intervals rest on few items"
            )
            + ")"
        )
    emit_table(
        headers,
        rows,
        fmt,
        title=f"{run} by {', '.join(table.by)} · {use.label}",
        notes=notes,
        payload={**table.to_dict(), "filter": use.to_dict()},
        # what the user asked for stays longer: score is already pass@1 (the per-item mean)
        expendable=_slices_expendable(ks, ks_shown),
    )


def _macro_pass_note(table: Any) -> str | None:
    """Why a ``slices --average macro`` row of several tasks has no pass@k (None when no such
    row lacks one). A macro pass@k would be the unweighted mean of the per-task pass@k (as
    lm-eval means a group's subtask metrics); capslice does not compute it: with tasks of
    different numbers of samples a task's pass@k covers a different share of its items at
    each k, and no count of solved items stands beside such a mean. The micro rows give
    pass@k pooled over items."""
    if table.average != "macro" or not table.ks:
        return None
    rows = [r for r in [*table.rows, table.overall] if (r.n_tasks or 0) > 1]
    if not rows or all(r.pass_at_k for r in rows):
        return None
    return (
        "pass@k: not given for a row of several tasks under --average macro (a macro pass@k, "
        "the mean of the per-task pass@k, is not computed); --average micro gives pass@k "
        "pooled over the items, --by task each task's"
    )


def _slices_expendable(asked: Sequence[str], ks: Sequence[int]) -> tuple[str, ...]:
    """The columns of ``slices`` a narrow terminal leaves out first, in order (the others go
    from the right; a note column empty on every row goes before all of them): lenient, then
    the middle of the pass@k curve (:func:`curve_middle`: pass@2 ... pass@64 of 1..128, its
    ends kept: pass@1 and the largest k tell most), then pass@1 (the score is already the
    per-item mean, pass@1's percentage), the score's interval, the note, and last the
    largest k; the count stays, the one figure beside a per-item mean that pools the
    samples. pass@1 goes before the interval, which says what the score does not, and with
    it while the names would be cut unreadably (render.SUPPORTING_COLUMNS): math-base at 80
    columns keeps its task names readable. A k named in ``--k`` (``--k 1 --k 8 --k all``) is
    never dropped before the note and the interval: the curve's other ks go first, middle
    first.
    """
    named = {int(a) for a in asked if str(a).strip().isdigit()}
    if not named:
        first = [f"pass@{k}" for k in ks[:1]]
        middle = [f"pass@{k}" for k in curve_middle(ks)]
        return ("lenient", *middle, *first, "95% CI", "note", *[f"pass@{k}" for k in ks[1:][-1:]])
    curve = [k for k in ks if k not in named]
    order = [*curve_middle(curve), *curve[:1], *curve[1:][-1:]]
    return ("lenient", "count", *[f"pass@{k}" for k in order], "note", "95% CI")


def curve_middle(ks: Sequence[int]) -> list[int]:
    """The ks of a pass@k curve between its smallest and its largest, in the order a narrow
    table leaves them out: farthest from the curve's centre first (the smaller of two
    equally far first), so the one left longest is the centre, the k the app shows beside
    the largest (``[1, 2, ..., 128]``: 2, 4, 64, 8, 32, then 16)."""
    middle = list(ks[1:-1])
    centre = len(middle) // 2
    return [k for _, k in sorted((-abs(i - centre), k) for i, k in enumerate(middle))]


def _slice_rows(
    table: Any, rows_src: Sequence[Any], ks: Sequence[int] | None = None
) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of ``slices``' table: the slice key, items, score, 95% CI, count,
    lenient, one pass@k column per k of ``ks`` (default ``table.ks``), note; the ALL row
    (``table.overall``) last."""
    ks = table.ks if ks is None else ks
    headers = [*table.by, "items", "score", "95% CI", "count", "lenient"]
    headers += [f"pass@{k}" for k in ks]
    headers.append("note")
    mixed = mixed_intervals(r.method for r in [*rows_src, table.overall])
    rows = []
    for r in [*rows_src, table.overall]:
        key = (
            list(r.key.values())
            if r is not table.overall
            else [f"ALL ({table.average})"] + [""] * (len(table.by) - 1)
        )
        tally = (
            f"macro of {r.n_tasks} tasks"
            if r.average == "macro" and (r.n_tasks or 0) > 1
            else sample_tally(r.score, r.correct, r.n_samples)
        )
        ci = interval_mark(interval(r.lo, r.hi), r.method, mixed)
        cells = [*key, r.n_items, pct(r.score), ci, tally, pct(r.lenient)]
        cells += [_pass_cell(r.pass_at_k.get(k)) for k in ks]
        cells.append(r.warning or "")
        rows.append(cells)
    return headers, rows


def _pass_cell(p: dict[str, float] | None) -> str:
    """``78.1% (123.5/158)``, ``99.95% (31.98/32)``: pass@k with expected solved items over
    eligible items (:func:`~capslice_tui.formatting.count`). A cell over part of its row's
    items (the others have fewer than k samples) has its score in parentheses, as the app
    shows it, and its count as a full cell does: ``(6.7%) (2/30)``; :func:`_coverage_notes`
    says so under the table."""
    if not p or p["n_eligible"] == 0:
        return "-"
    # count(): 31.98 of 32 expected solved items never reads 32.0/32 (all solved)
    solved = count(p["expected_solved"], int(p["n_eligible"]))
    if p.get("coverage", 1.0) < 1:
        return f"({pct(p['score'])}) ({solved})"
    return f"{pct(p['score'])} ({solved})"


def _coverage_notes(table: Any) -> list[str]:
    """The note naming each pass@k whose ALL row covers only part of the items (the others
    have n < k): ``pass@32, pass@64, pass@128 cover 30 of 158 items (n >= k); ( ) marks a
    pass@k cell over part of its row's items``; ks of the same coverage share a clause."""
    groups: dict[tuple[int, int], list[int]] = {}
    for k in table.ks:
        p = table.overall.pass_at_k.get(k)
        if p and p.get("coverage", 1.0) < 1:
            groups.setdefault((int(p["n_eligible"]), table.overall.n_items), []).append(k)
    if not groups:
        return []
    clauses = [
        f"{', '.join(f'pass@{k}' for k in ks)} cover{'s' if len(ks) == 1 else ''} "
        f"{eligible} of {plural(items, 'item')} (n >= k)"
        for (eligible, items), ks in groups.items()
    ]
    return [
        "; ".join(clauses) + "; ( ) marks a pass@k cell over part of its row's items (the "
        "others have fewer than k samples): its curve is not comparable with the full cells"
    ]


def _check_ks(asked: Sequence[str], table: Any) -> None:
    """Refuse a ``--k`` above every item's number of samples (a column of ``-``).

    Raises:
        ValueError: naming the k and the largest number of samples any item has.
    """
    from ..workspace import ks_beyond_samples

    # greedy runs (one sample per item): the ks are ignored, said in a note
    refusal = ks_beyond_samples(asked, table.samples_per_item, table.run)
    if refusal:
        raise ValueError(refusal)


def parse_slice(values: tuple[str, ...]) -> dict[str, str]:
    """``("task_type=word_problem", ...)`` -> dict; errors name the bad value."""
    where: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r} is not AXIS=VALUE", param_hint="--slice")
        axis, value = v.split("=", 1)
        where[axis.strip()] = value.strip()
    return where


@main.command()
@run_argument("Run name.")
@click.option("--slice", "slice_", multiple=True, metavar="AXIS=VALUE", help="Slice (repeatable).")
@click.option("--task", default=None, help="Only this task.")
@click.option("--benchmark", default=None, help="Only this benchmark.")
@click.option(
    "--failure-mode",
    type=click.Choice([*FAILURE_MODES, *FAILURE_MARKS.values()]),
    callback=lambda _ctx, _param, value: _MODE_OF_MARK.get(value, value),
    default=None,
    help="Only this failure mode (its name, or the marker the table shows: wrong, fmt!, trunc).",
)
@click.option("--failing", is_flag=True, help="Only samples scored wrong.")
@click.option(
    "--filter",
    "filter_name",
    default=None,
    help="Samples of this answer filter instead of each task's primary one.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="List at most this many samples.",
)
@click.option(
    "--sort",
    default=None,
    metavar="COL",
    help="Order by id, task, doc, k, target, extracted, score, mode, response or length "
    "(-COL: descending); the total is counted.",
)
@click.option(
    "--search",
    default=None,
    metavar="TEXT",
    help="Only samples whose response, prompt or target contains TEXT (any language; "
    "indexes the run on first use).",
)
@click.option(
    "--doc-id",
    default=None,
    metavar="N",
    help="Only the samples of doc N (every sample index; with --task when tasks share doc ids).",
)
@format_option
@pass_ctx
@friendly_errors
def samples(
    obj: Ctx,
    run: str,
    slice_: tuple[str, ...],
    task: str | None,
    benchmark: str | None,
    failure_mode: str | None,
    failing: bool,
    filter_name: str | None,
    limit: int,
    sort: str | None,
    search: str | None,
    doc_id: str | None,
    fmt: str,
) -> None:
    """List the samples of a slice: response, target, extracted answer, score, failure mode."""
    use = obj.ws.filter_use(run, filter_name, benchmark=benchmark)
    big_notes: list[str] = []
    if sort is not None or search is not None or doc_id is not None:
        rows, more, big_notes = _samples_query(
            obj, run, sort or "id", search, doc_id, limit,
            where=parse_slice(slice_), task=task, benchmark=benchmark,
            failure_mode=failure_mode, correct=False if failing else None,
            filter_name=filter_name,
        )  # fmt: skip
    else:
        rows, more = obj.ws.samples(
            run,
            where=parse_slice(slice_),
            task=task,
            benchmark=benchmark,
            failure_mode=failure_mode,
            correct=False if failing else None,
            limit=limit,
            filter_name=filter_name,
        )
    cap = ANSWER_WIDTH if fmt == "table" else 10**6
    # each response's start; when their starts read alike, what follows the start they share
    # (where they differ), or else their ends
    responses, view, shared = response_cells(
        [r["response"] for r in rows],
        50,
        tails=[r.get("response_end") for r in rows],
        answers=[r["extracted"] for r in rows],
    )
    table, lenient = _sample_cells(rows, responses, cap)
    shown_lenient = any(lenient)
    # not counted (a count of a big run's slice costs what the page does not): said as such
    note = (
        [f"showing the first {plural(len(rows), 'sample')}; more match (raise --limit)"]
        if more
        else []
    )
    if big_notes:
        note = big_notes
    if view != "start":
        what = "what follows the start all share" if view == "after" else "the end of each"
        note.append(
            f"response: {what} (their starts read alike"
            + (f"; all start {shared!r}" if shared else "")
            + "); capslice sample ID shows one whole"
        )
    long = [
        name
        for name, values in (("target", [r["target"] for r in rows]),
                             ("extracted", [r["extracted"] for r in rows]),
                             ("lenient", lenient))
        if any(len(shorten(v, 10**6)) > cap for v in values)
    ]  # fmt: skip
    if long:
        note.append(
            f"{' and '.join(long)}: a value longer than {ANSWER_WIDTH} characters shows its "
            "start, or the end of its last \\boxed{} when it holds one (capslice sample ID "
            "shows it whole)"
        )
    note += answer_notes(rows, shown_lenient)
    note += _mode_notes(rows)
    emit_table(
        ["id", "task", "doc", "#", "target", "extracted",
         *(["lenient"] if shown_lenient else []), "score", "mode", "response"],
        table,
        fmt,
        title=f"{run} samples · {use.label}",
        notes=note,
        payload={"samples": rows, "more": more, "filter": use.to_dict()},
        # at most ANSWER_WIDTH already: never cut again ($\b…ed{142}$), the response wraps
        whole=("target", "extracted", "lenient"),
        # narrow: the lenient column goes first (capslice sample ID shows it)
        expendable=("lenient",),
    )  # fmt: skip


def _sample_cells(
    rows: Sequence[Any], responses: Sequence[str], cap: int
) -> tuple[list[list[Any]], list[str]]:
    """``samples``' table cells of ``rows`` (``responses``: their response cells; ``cap``:
    characters of an answer cell) and each row's lenient cell, the table holding a lenient
    column when one of them is not '' (capslice's lenient extraction reads another answer:
    :func:`~capslice_tui.formatting.lenient_cell`, as the app's table)."""
    lenient = [lenient_cell(r) for r in rows]
    shown_lenient = any(lenient)
    table = [
        [
            r["id"],
            r["task"],
            r["doc_id"],
            r["sample_idx"],
            # a terminal table shows their start on one line (the table cuts them, never
            # inside a number); a long one would leave score and response out
            answer_cell(r["target"], cap),
            # none extracted: a marker, never a blank cell (blank read as "not logged")
            extracted_cell(r["extracted"], cap),
            *([answer_cell(leniently, cap)] if shown_lenient else []),
            "-" if r["score"] is None else f"{r['score']:g}",
            flagged_mode(
                r["failure_mode"],
                MODE_SHORT.get(r["failure_mode"] or "-", r["failure_mode"] or "-"),
                r.get("failure_signals"),
            ),
            response,
        ]
        for r, response, leniently in zip(rows, responses, lenient, strict=True)
    ]
    return table, lenient


def _mode_notes(rows: Sequence[Any]) -> list[str]:
    """The notes under ``samples``' table for the mode cells of ``rows``: what each marked
    failure mode means, and the flags a correct sample can show (``correct+eos``:
    :func:`~capslice_tui.formatting.flagged_mode`)."""
    notes = []
    modes = mode_legend(r["failure_mode"] for r in rows)
    if modes:
        notes.append(modes)
    flags = flag_legend((r["failure_mode"], r.get("failure_signals")) for r in rows)
    if flags:  # an officially correct sample that ran on, seen without opening it
        notes.append(flags + " (capslice sample ID says where)")
    return notes


ANSWER_WIDTH = 16
"""Characters of a target or extracted answer a terminal ``samples`` table shows (an answer
extracted from a runaway response can be hundreds of characters long)."""


MODE_SHORT = FAILURE_MARKS
"""Failure modes the samples table shows by a short marker (the app's samples table shows
the same: :data:`capslice_tui.vocabulary.FAILURE_MARKS`), so the mode column is not cut; a
note says what each shown marker means."""


def _samples_query(
    obj: Ctx, run: str, sort: str, search: str | None, doc_id: str | None, limit: int,
    **filters: Any,
) -> tuple[list[SampleRow], bool, list[str]]:  # fmt: skip
    """``samples --sort/--search/--doc-id``: one page in that order with the slice's total;
    returns (rows, more, notes). Builds the run's search index first when needed (said on
    stderr)."""
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    notes: list[str] = []
    if search is not None:
        shown: list[int] = []

        tty = sys.stderr.isatty()
        last: list[str] = []

        def progress(done: int, total: int) -> None:
            shown.append(done)
            line = f"indexing {run} for search: {done:,} of {total:,} samples"
            if tty:  # one line, redrawn in place
                click.echo(f"\r{line}", nl=False, err=True)
            elif len(shown) == 1:  # a file or pipe: the first and last counts, a line each
                click.echo(line, err=True)
            last[:] = [line]

        state_note = obj.ws.ensure_search_index(run, progress)
        if shown and tty:
            click.echo("", err=True)
        elif len(shown) > 1:
            click.echo(last[0], err=True)
        note = state_note or obj.ws.search_note(search)
        if note:
            notes.append(note)
        filters["search"] = search
    if doc_id is not None:  # a filter: the page and the total are both of doc N's samples
        filters["doc_id"] = doc_id
    page = obj.ws.samples_page(run, sort=sort, descending=descending, limit=limit + 1, **filters)
    if doc_id is not None and not page:
        raise click.ClickException(f"no sample of doc {doc_id} in this slice of {run}")
    more = len(page) > limit
    # the paging key is the CLI's own business: rows are printed and emitted without it
    rows = [
        cast("SampleRow", {k: v for k, v in r.items() if k != "sort_key"}) for r in page[:limit]
    ]
    total = obj.ws.samples_count(run, **filters)
    order = f"sorted by {sort}{' descending' if descending else ''}"
    where = f" of doc {doc_id}" if doc_id is not None else ""
    notes.insert(0, f"showing {len(rows)} of {plural(total, 'sample', ',')}{where}, {order}")
    return rows, more, notes


@main.command()
@click.argument("sample_id", type=int)
@format_option
@pass_ctx
@friendly_errors
def sample(obj: Ctx, sample_id: int, fmt: str) -> None:
    """Show one sample in full: prompt, response, target, extraction, scores, labels."""
    from ..report import for_this_sample, log_score  # here: cheap reads never load report

    s = obj.ws.sample(sample_id)
    if fmt == "json":  # with what the log holds for the item ("log's score" in the text)
        emit_json({**s, "log_score": log_score(obj.ws, s)})
        return
    from ..ingest.bounded import view_text

    def shown(value: Any, limit: int = 40_000) -> str:
        """A field as printed: control characters escaped, at most ``limit`` characters
        (start and end around "... N of M characters not shown here ...")."""
        return visible(view_text(str(value), limit))

    fields = [
        ("task", s["task"]),
        ("doc_id", s["doc_id"]),
        ("sample_idx", s["sample_idx"]),
        ("filter", s["filter"]),
        ("target", s["target"]),
        # '-' where none was extracted or the log kept none (the samples table and the app)
        (extracted_label(s["score_source"]), answer_text(s["extracted"])),
        ("score", s["score"]),
        ("score source", _score_source(s)),
        *_log_score_field(obj.ws, s),
        ("lenient extraction", _lenient_field(s)),
        ("failure mode", f"{s['failure_mode']} ({for_this_sample(s['failure_reason'])})"),
    ]
    labels: Mapping[str, Any] = s  # the four axis keys of the sample
    for axis in AXES:
        fields.append((axis, f"{labels[axis]} [{s['label_sources'].get(axis) or '-'}]"))
    sections = _sample_sections(s)
    if fmt == "md":
        _echo_sample_markdown(sample_id, [(k, shown(v, 2000)) for k, v in fields],
                              [(t, shown(body), note) for t, body, note in sections])  # fmt: skip
        return
    from .render import echo_prose

    hang = " " * 24  # a field's value wraps at the width under where it starts
    for k, v in fields:
        first, *more = shown(v, 2000).split("\n")
        echo_prose(f"{k:>22}: {first}", indent=hang)
        for line in more:
            echo_prose(hang + line, indent=hang)
    for title, body, note in sections:
        click.echo(f"\n--- {title} ---\n" + shown(body))
        if note:
            click.echo(note)


def _sample_sections(s: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The long texts of ``capslice sample`` in order, each ``(title, text, note)``: the
    question (or ``(none)``), the prompt when it differs, the reasoning trace, the response;
    ``note`` says when the stored text was cut at ingest ('' otherwise)."""
    out: list[tuple[str, str, str]] = []
    if s["question"] or not s["prompt"]:
        out.append(("question", s["question"] or "(none)", ""))
    if s["prompt"] and s["prompt"] != s["question"]:
        out.append(("prompt", s["prompt"], ""))
    reasoning = s.get("reasoning")
    if reasoning is not None:
        cut = (s.get("reasoning_chars") or 0) > len(reasoning)
        out.append(("reasoning (trace before the answer; not scored)", reasoning,
                    f"(truncated: original {s['reasoning_chars']} chars)" if cut else ""))  # fmt: skip
    note = (
        f"(truncated: original {s['response_chars']} chars, sha256 {s['response_sha256']})"
        if s["response_sha256"]
        else ""
    )
    out.append(("response", s["response"] or "(empty)", note))
    return out


def _echo_sample_markdown(
    sample_id: int, fields: Sequence[tuple[str, str]], sections: Sequence[tuple[str, str, str]]
) -> None:
    """``capslice sample ID --format md``: the fields as a table (each line of a value a code
    span, lines joined by ``<br>``), each long text in a fence longer than any run of backticks it holds, so
    model output is shown as written, never read as Markdown."""
    lines = [f"### sample {sample_id}", "", "| field | value |", "|---|---|"]
    for k, v in fields:
        cell = "<br>".join(_md_code(line) for line in v.replace("\r\n", "\n").split("\n"))
        lines.append(f"| {k} | {cell} |")
    for title, body, note in sections:
        longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
        fence = "`" * max(3, longest + 1)
        lines += ["", f"#### {title}", "", fence + "text", body, fence]
        if note:
            lines += ["", note]
    click.echo("\n".join(lines))


def _md_code(text: str) -> str:
    """``text`` as a Markdown code span inside a table cell: delimited by more backticks than
    any run it holds (padded when it starts or ends with one), ``|`` escaped for the table;
    '' for ''."""
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    tick = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{tick}{pad}{text.replace('|', chr(92) + '|')}{pad}{tick}"


def _log_score_field(ws: Workspace, s: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``log's score`` field of the text output: :func:`report.log_score`'s sentence; [] for a
    sample the log scored."""
    from ..report import log_score

    said = log_score(ws, s)
    return [] if said is None else [("log's score", said["text"])]


@main.command()
@pass_ctx
@friendly_errors
def tui(obj: Ctx) -> None:
    """Open the terminal app on the store."""
    _run_app(obj)


NO_TERMINAL = (
    "the app needs a terminal, and {what} not one (a pipe, a file or a CI job): run "
    "`capslice tui` in a terminal (tmux or ssh -t), or use the commands, e.g. `capslice runs`"
)


def _no_terminal() -> str | None:
    """What of stdin/stdout is not a terminal (``"stdin is"``, ``"stdout is"``, ``"stdin and
    stdout are"``), None when both are: without one the app cannot read keys or draw (it
    redrew 'loading runs...' into a file without end, walk 16)."""
    missing = [n for n in ("stdin", "stdout") if not getattr(sys, n).isatty()]
    if not missing:
        return None
    return " and ".join(missing) + (" are" if len(missing) == 2 else " is")


def _run_app(obj: Ctx) -> None:
    """Open the store (telling stderr first if it needs an upgrade) and run the app on it.

    Raises:
        click.ClickException: stdin or stdout is not a terminal (:func:`_no_terminal`).
    """
    what = _no_terminal()
    if what is not None:
        raise click.ClickException(NO_TERMINAL.format(what=what))
    from ..app.app import make_app
    from ..workspace import Workspace

    ws = Workspace(obj.store_path, obj.taxonomy_dir, None, upgrade_notice(obj.store_path))
    make_app(obj.store_path, obj.taxonomy_dir, workspace=ws).run()


@main.command()
@click.option("--no-tui", is_flag=True, help="Build the demo store and print a summary only.")
@click.option("--force", is_flag=True, help="Rebuild the demo store from scratch.")
@pass_ctx
@friendly_errors
def demo(obj: Ctx, no_tui: bool, force: bool) -> None:
    """Build the demo store from the bundled sample_data and open the app on it.

    Uses --store (default capslice.db); an existing store's demo runs are left as they are
    unless --force is given (which deletes and re-ingests the demo runs only).
    """
    from ..workspace.demo import build_demo

    summary = build_demo(obj.ws, force=force, progress=lambda msg: click.echo(msg, err=True))
    for line in summary:
        click.echo(line)
    if not no_tui:
        what = _no_terminal()
        if what is not None:  # a pasted README line in a script or CI: the store is built
            click.echo(f"app not opened: {NO_TERMINAL.format(what=what)}", err=True)
            return
        obj._ws = None
        _run_app(obj)


@main.group()
def taxonomy() -> None:
    """Inspect and check the evaluation taxonomy."""


@taxonomy.command("axes")
@format_option
@pass_ctx
@friendly_errors
def taxonomy_axes(obj: Ctx, fmt: str) -> None:
    """List the four axes and their values with descriptions."""
    axes = obj.ws.axes()
    rows = [[a, v, d] for a, values in axes.items() for v, d in values.items()]
    emit_table(["axis", "value", "description"], rows, fmt, payload=axes)


@taxonomy.command("check")
@click.option("--strict", is_flag=True, help="Exit 1 when a rule matches no stored item.")
@format_option
@pass_ctx
@friendly_errors
def taxonomy_check(obj: Ctx, strict: bool, fmt: str) -> None:
    """Validate the taxonomy YAML and list rules that match none of the store's items."""
    unmatched = obj.ws.check_taxonomy()
    notes = obj.ws.taxonomy_notes() if unmatched else []
    if fmt == "table":
        for line in unmatched:
            click.echo(line)
        click.echo(f"taxonomy valid; {len(unmatched)} rules match no stored item")
        for note in notes:
            click.echo(f"note: {note}")
    else:
        emit_table(
            ["rule matching no stored item"],
            [[line] for line in unmatched],
            fmt,
            payload={"valid": True, "unmatched_rules": unmatched, "notes": notes},
        )
    if strict and unmatched:
        sys.exit(1)


@taxonomy.command("apply")
@pass_ctx
@friendly_errors
def taxonomy_apply(obj: Ctx) -> None:
    """Re-run the taxonomy rules on every stored item (hand labels keep precedence)."""
    changes = obj.ws.apply_taxonomy()
    click.echo(f"{changes} rule labels changed")
    if changes:
        click.echo(
            "answer extraction follows each item's output_constraint label: "
            "`capslice rescore --run RUN`\nre-scores a run's stored responses with the new labels"
        )
