"""Session 12's walk over every command, text and --format json/md, on a small store: each
test names the case it fixes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from plan_fixtures import write_generic_run

from capslice_tui.cli import main
from capslice_tui.report import paired_test_name
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two greedy runs of one generic benchmark: 40 items in each of two tasks, rb right on
    more of them (a significant gain overall)."""
    folder = tmp_path_factory.mktemp("walk-s12")
    path = folder / "capslice.db"
    ws = Workspace(path)
    ws.ingest([write_generic_run(folder / "a.jsonl", {"t1": 10, "t2": 10})], run="ra",
              benchmark="gsm8k", step=100)  # fmt: skip
    ws.ingest([write_generic_run(folder / "b.jsonl", {"t1": 30, "t2": 25})], run="rb",
              benchmark="gsm8k", step=200)  # fmt: skip
    return path


def _cli(store: Path, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], prog_name="capslice",
                             terminal_width=200)  # fmt: skip
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    return res.output


def test_the_all_rows_test_is_named_in_words(store: Path) -> None:
    """compare's note under the ALL row read ``tested on its own (mcnemar-exact, raw p ...``:
    the test's token, where the slice notes say ``exact McNemar``."""
    assert paired_test_name("mcnemar-exact") == "exact McNemar"
    assert paired_test_name("paired-bootstrap") == "paired bootstrap"
    assert paired_test_name(None) == "paired test"
    for fmt in ("table", "md"):
        out = " ".join(_cli(store, "compare", "ra", "rb", "--format", fmt).split())
        assert "tested on its own (exact McNemar, raw p" in out, out
        assert "mcnemar-exact" not in out


def test_the_reports_all_row_is_not_marked_as_corrected(store: Path) -> None:
    """``capslice report`` marked the pooled ALL row ``better*`` under its own legend
    '``*`` = significant after correction', with ``-`` as its adjusted p; compare marks it
    ``better`` and says why (tested on its own)."""
    md = _cli(store, "report", "ra", "rb")
    rows = [line for line in md.splitlines() if line.startswith("| **all** |")]
    assert rows, md
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[7] == "-", cells  # p adj: not one of the corrected slices
        assert cells[8] == "better", cells
    assert "- ALL = every item pooled, tested on its own (exact McNemar, raw p" in md


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("plan", "--baseline", "ra", "--benchmark", "gsm8k", "--catalog", "CATALOG",
          "--budget-tokens", "0"), "'--budget-tokens': 0"),
        (("plan", "--baseline", "ra", "--benchmark", "gsm8k", "--catalog", "CATALOG",
          "--budget-tokens", "10", "--max-multiplier", "0.5"), "'--max-multiplier': 0.5"),
        (("plan", "--baseline", "ra", "--benchmark", "gsm8k", "--catalog", "CATALOG",
          "--budget-tokens", "10", "--max-epochs", "0"), "'--max-epochs': 0"),
        (("plan", "--baseline", "ra", "--benchmark", "gsm8k", "--catalog", "CATALOG",
          "--budget-tokens", "10", "--strength", "-1"), "'--strength': -1"),
        (("compare", "ra", "rb", "--k", "0"), "'--k': 0"),
        (("intervention", "evaluate", "1", "--k", "0"), "'--k': 0"),
        (("samples", "ra", "--limit", "0"), "'--limit': 0"),
        (("samples", "ra", "--limit", "-5"), "'--limit': -5"),
        (("label", "history", "--limit", "0"), "'--limit': 0"),
        (("slices", "ra", "--k", "0"), "'--k': '0'"),
        (("slices", "ra", "--k", "abc"), "'--k': 'abc'"),
    ],
)  # fmt: skip
def test_out_of_range_options_are_refused_by_their_name(
    store: Path, tmp_path: Path, args: tuple[str, ...], option: str
) -> None:
    """``plan --budget-tokens 0`` said ``budget_tokens must be a positive integer`` (the
    parameter's name, not the option's), ``compare --k 0`` ``pass_at_k: k=0 must be ...``,
    ``samples --limit 0`` 'nothing to show' above 'showing the first 0 samples; more match'
    (and --limit -5 listed every sample), ``slices --k abc`` on a greedy run 'ignored'."""
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("cells: []\n")
    args = tuple(str(catalog) if a == "CATALOG" else a for a in args)
    out = _cli(store, *args, code=2)
    assert f"Invalid value for {option}" in out, out
    for internal in ("budget_tokens", "max_multiplier", "pass_at_k", "max_epochs"):
        assert internal not in out, out


def test_slices_ks_still_read_all_and_numbers(store: Path) -> None:
    out = _cli(store, "slices", "ra", "--k", "all", "--k", "4")
    assert "--k all 4 ignored: this run has one sample per item" in out, out


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix}{name}", cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{prefix}{name} ")
    return out


def test_the_root_help_names_every_exit_status_a_command_gives() -> None:
    """``capslice --help`` said '2 usage error' while ``import`` exits 2 when it found
    conflicts: a script reading 2 as 'I called it wrong' missed the conflicts."""
    root = " ".join((main.help or "").split())
    statuses = root.partition("Exit status:")[2].partition(".")[0]
    for name, cmd in _commands(main):
        helptext = " ".join((cmd.help or "").split())
        for code in re.findall(r"[Ee]xit status (\d)", helptext):
            if code in ("0", "1"):
                continue
            assert f"{code} " in statuses and name in statuses, (name, code, statuses)


def test_sample_as_markdown_is_markdown_and_keeps_model_text_as_written(tmp_path: Path) -> None:
    """``capslice sample ID --format md`` printed the text view (``--- response ---``), no
    Markdown; model text must not turn into Markdown either (a ``|`` splitting a table
    row, a fence in the response closing the block)."""
    response = "Let me think.\n```python\nprint('**x**')\n```\n<b>The answer is 7|8</b>"
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"task": "t", "doc_id": 0, "target": "7|8\nor 9",
                               "correct": False, "response": response}) + "\n")  # fmt: skip
    path = tmp_path / "s.db"
    Workspace(path).ingest([log], run="r", benchmark="gsm8k")
    (row,) = json.loads(_cli(path, "samples", "r", "--format", "json"))["samples"]
    md = _cli(path, "sample", str(row["id"]), "--format", "md")
    assert "--- response ---" not in md, md
    assert md.startswith(f"### sample {row['id']}\n"), md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    for line in table:  # two cells per row: no unescaped | inside a value
        assert len(re.split(r"(?<!\\)\|", line)) == 4, line
    assert "| target | `7\\|8`<br>`or 9` |" in table, table
    fence = "````"  # longer than the response's own ``` run
    assert f"#### response\n\n{fence}text\n{response}\n{fence}\n" in md + "\n", md


def test_an_empty_markdown_table_says_nothing_to_show(store: Path) -> None:
    """``samples --failure-mode trunc --format md`` on a run with none printed a table header
    over no row, where the text says 'nothing to show'."""
    args = ("samples", "ra", "--failure-mode", "truncated")
    assert "nothing to show" in _cli(store, *args)
    md = _cli(store, *args, "--format", "md")
    assert "nothing to show" in md and "|---|" not in md, md
    assert _cli(store, "label", "slices", "--format", "md").strip() == "nothing to show"


def test_intervention_history_names_fields_as_show_does(store: Path, tmp_path: Path) -> None:
    """The history under ``intervention show`` named the stored columns (``target_slices``,
    ``baseline_run``, ``decided_by``) and gave ``--expected-gain 10`` as ``0.1``, where the
    table above says ``targets``, ``baseline`` and ``+10.0 points``; its outcome table headed
    a column ``p_adj`` where every other table says ``p adj``."""
    path = tmp_path / "s.db"
    _cli(store, "backup", str(path))  # a copy of the WAL store, consistent
    _cli(path, "intervention", "new", "--title", "t", "--hypothesis", "h", "--baseline", "ra",
         "--benchmark", "gsm8k", "--target", "task=t1", "--control", "task=t2",
         "--expected-gain", "10")  # fmt: skip
    _cli(path, "intervention", "accept", "1", "--reason", "ok")
    out = _cli(path, "intervention", "link", "1", "--run", "rb")
    for fmt in ("table", "md"):
        shown = _cli(path, "intervention", "show", "1", "--format", fmt)
        history = shown.partition("history")[2]
        for raw in ("target_slices", "control_slices", "baseline_run", "result_run",
                    "decided_by", "decided_at", "decision_reason", "expected_effect"):  # fmt: skip
            assert raw not in history, (raw, history)
        for word in ("targets", "controls", "baseline", "result run", "decided by",
                     "decision reason", "expected effect", "+10.0 points"):  # fmt: skip
            assert word in history, (word, history)
        assert "p_adj" not in shown and "p adj" in shown, shown
    assert "p adj" in out
    raw = json.loads(_cli(path, "intervention", "show", "1", "--format", "json"))
    assert {h["field"] for h in raw["history"]} >= {"target_slices", "baseline_run"}  # data


def test_a_named_slice_is_shown_in_words(store: Path, tmp_path: Path) -> None:
    """``label show --slice`` printed its record's keys (``n_items``, ``created_by``,
    ``updated_at``) and two lines called ``items`` (the count, then the ids)."""
    path = tmp_path / "s.db"
    _cli(store, "backup", str(path))
    ws = Workspace(path)
    items = [r[0] for r in ws.store.query("SELECT id FROM items ORDER BY id LIMIT 3")]
    ws.store.create_named_slice("S", items, who="carol")
    ws.store.close()
    out = _cli(path, "label", "show", "--slice", "S")
    labels = [line.partition(":")[0].strip() for line in out.splitlines()]
    assert labels == ["name", "items", "version", "origin", "description", "note",
                      "created by", "created at", "changed by", "changed at", "item ids"], out  # fmt: skip
    assert "items: 3" in out and "changed by: carol" in out, out


def test_discover_says_what_each_difference_column_is(tmp_path: Path) -> None:
    """discover's legend explained 'vs rest' but not 'in task', the column that ranks the
    groups: a number with no unit or meaning said."""
    from capslice_tui.workspace.demo import sample_data_dir

    path = tmp_path / "s.db"
    Workspace(path).ingest([sample_data_dir() / "lm_eval" / "math-base"], run="m",
                           benchmark="math")  # fmt: skip
    out = " ".join(_cli(path, "discover", "m").split())
    assert " in task " in out, out  # the column's header
    assert "'vs rest' = error rate minus that of the other samples, in points" in out, out
    assert "'in task' = the same within the group's tasks (Mantel-Haenszel), in points" in out


def test_a_trend_of_one_step_does_not_order_it_and_words_its_intervals(store: Path) -> None:
    """``trend --runs A,B`` of two runs at one step titled them ``A@100 < B@100`` above its
    own warning 'step 100 has several runs, ordered by name', and said its intervals as
    tokens (``interval: cluster-bootstrap, wilson``)."""
    from types import SimpleNamespace as R

    from capslice_tui.cli.trend import interval_words, step_order

    assert step_order([R(name="a", step=1), R(name="b", step=1), R(name="c", step=2)]) == (
        "a@1 = b@1 < c@2"
    )
    assert interval_words(["cluster-bootstrap", "wilson", "wilson"]) == (
        "bootstrap over items; Wilson over items (one sample per item)"
    )
    assert interval_words(["normal approx. of a mean of 3 task scores"]).startswith("normal")
    out = _cli(store, "trend", "--runs", "ra,rb")
    assert out.startswith("trend by task: ra@100 < rb@200\n"), out
    assert "interval (95%): Wilson over items (one sample per item);" in " ".join(out.split())


def test_slices_word_their_one_interval_method(store: Path) -> None:
    """``slices`` of a greedy run said ``interval: wilson`` (its token), where a table mixing
    methods words each (``w = Wilson over items ...``)."""
    out = " ".join(_cli(store, "slices", "ra").split())
    assert "interval: Wilson over items (one sample per item);" in out, out


def test_every_option_says_what_it_does() -> None:
    """13 options had no help line (``compare --benchmark``, ``samples --task``, ``slices
    --sort`` with its token ``n``, ``intervention reject --reason``...): ``--help`` listed
    them bare beside options that explain themselves."""
    bare = [
        f"{name} {p.opts[0]}"
        for name, cmd in _commands(main)
        for p in cmd.params
        if isinstance(p, click.Option) and not p.hidden and not p.help
    ]
    assert bare == [], bare


@pytest.mark.parametrize("command", ["doctor", "export", "import", "recover", "push", "pull"])
def test_format_json_where_json_is_a_flag_says_so(store: Path, command: str) -> None:
    """Every view takes ``--format json``; doctor, export, import, recover, push and pull
    print JSON with ``--json`` and answered ``--format json`` with a bare 'No such option'."""
    out = _cli(store, command, "--format", "json", code=2)
    assert "No such option '--format'. This command prints JSON with --json" in out, out


def test_ingest_format_json_says_where_json_comes_from(store: Path, tmp_path: Path) -> None:
    """``ingest --format json`` listed the log formats only: its --format names the log's."""
    log = write_generic_run(tmp_path / "c.jsonl", {"t1": 1})
    path = tmp_path / "s.db"
    _cli(store, "backup", str(path))
    out = _cli(path, "ingest", str(log), "--run", "rc", "--format", "json", code=2)
    assert "'json' is an output format; ingest's --format names the log's format" in out, out
    assert "--json prints the ingest report as JSON" in out
    _cli(path, "ingest", str(log), "--run", "rc", "--format", "jsonl", "--json")  # the log's


def test_compares_mdd_has_its_unit(store: Path) -> None:
    """compare's legend gave diff 'in points' but the MDD column beside it no unit."""
    for fmt in ("table", "md"):
        out = " ".join(_cli(store, "compare", "ra", "rb", "--format", fmt).split())
        assert "MDD = smallest difference this slice could detect, in points (" in out, out


def test_a_commands_help_names_only_its_own_options() -> None:
    """``report --help`` said --same-lineage reads 'the two runs (or the run and --reference)'
    as checkpoints: report has no --reference (the help is diagnose's). An option another
    command owns is named with that command (``capslice diagnose --fail-on``, ``ingest
    --step``); two are the root's or a plan's on purpose."""
    commands = set(main.commands) | {"capslice"}
    allowed = {("demo", "--store"), ("intervention new", "--export")}
    foreign = []
    for name, cmd in _commands(main):
        own = {o for p in cmd.params for o in [*p.opts, *p.secondary_opts]} | {"--help"}
        texts = [cmd.help or "", *(p.help or "" for p in cmd.params if isinstance(p, click.Option))]
        for text in (" ".join(t.split()) for t in texts):
            for m in re.finditer(r"(?<![\w-])(--[a-z][a-z-]*)", text):
                before = re.findall(r"[a-z][a-z-]*", text[max(0, m.start() - 40) : m.start()])
                if m.group(1) in own or any(w in commands for w in before[-4:]):
                    continue
                if (name, m.group(1)) not in allowed:
                    foreign.append((name, m.group(1), text[max(0, m.start() - 40) : m.end()]))
    assert foreign == [], foreign


def test_a_diagnosis_with_no_slice_says_so_alike_in_text_and_markdown(tmp_path: Path) -> None:
    """With slices tested and none significant, the text said 'Slices with a significant
    paired change: none (19 slices tested; ...)' while the Markdown headed '(0 listed of 19
    distinct slices tested; ...; slices explained by overlap with those listed are left out)'
    over 'None of the 19 slices changes significantly' (one evaluation stored twice here)."""
    tasks = {"minerva_math_num_theory": 20, "minerva_math_algebra": 10}  # labelled by task
    log = write_generic_run(tmp_path / "a.jsonl", tasks)
    path = tmp_path / "s.db"
    ws = Workspace(path)
    for run in ("x", "y"):
        ws.ingest([log], run=run, benchmark="math")
    ws.store.close()
    text = " ".join(_cli(path, "diagnose", "x", "y").split())
    md = _cli(path, "diagnose", "x", "y", "--format", "md")
    sentence = text.partition("Slices with a significant paired change: none (")[2]
    assert sentence, text
    assert "Slices with a significant paired change: none (" + sentence.partition(".")[0] in md
    assert "0 listed of" not in md and "None of the" not in md, md


def test_recover_counts_one_row_as_one_row(tmp_path: Path) -> None:
    """``recover`` said 'runs: 1 of 1 rows copied'."""
    path = tmp_path / "s.db"
    Workspace(path).ingest([write_generic_run(tmp_path / "a.jsonl", {"t1": 3}, n=5)], run="r",
                           benchmark="gsm8k")  # fmt: skip
    out = _cli(path, "recover", str(path), str(tmp_path / "new.db"))
    assert "runs: 1 of 1 row copied, lost 0" in out, out
    assert "samples: 5 of 5 rows copied, lost 0" in out, out


def test_compare_json_marks_the_pooled_row_as_the_tables_do(store: Path) -> None:
    """``compare --format json`` gave the ALL row ``marker: better*`` beside ``p_adjusted:
    null``; '*' means significant after Benjamini-Hochberg, which the pooled row is not part
    of (the text, Markdown and the report show ``better``)."""
    data = json.loads(_cli(store, "compare", "ra", "rb", "--format", "json"))
    assert data["overall"]["p_adjusted"] is None
    assert data["overall"]["marker"] == "better", data["overall"]
    assert all(r["marker"] in ("", "better*", "worse*") for r in data["rows"])
