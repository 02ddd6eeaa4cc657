"""The team hub on a real PostgreSQL server: push from one store, pull into another, and every
listing matches; a second push sends nothing; conflicts are reported; a killed push resumes;
roles are enforced by grants; no password reaches the store or the output."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from capslice_tui.store import Store
from click.testing import CliRunner
from lmeval_lines import write_gsm8k_run

from capslice_tui.cli import main
from capslice_tui.hub import sync
from capslice_tui.workspace import Workspace

LOGS = {"base": 8, "cand": 10}  # correct answers out of 12


def cli(store: Path, *args: str, ok: bool = True) -> Any:
    result = CliRunner().invoke(main, ["--store", str(store), *args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def js(store: Path, *args: str) -> Any:
    return json.loads(cli(store, *args, "--format", "json").stdout)


class Team:
    """A hub database with roles: admin (hub init), a writer, a lead and a reader."""

    def __init__(self, server: Any, db: str) -> None:
        self.server, self.db = server, db
        tag = db[-6:]
        self.writer, self.lead, self.reader = f"alice_{tag}", f"carol_{tag}", f"ann_{tag}"
        self.passwords = {}
        with server.admin() as conn:
            for role, group in ((self.writer, "capslice_writer"), (self.lead, "capslice_lead"),
                                (self.reader, "capslice_reader")):  # fmt: skip
                pw = "pw-" + uuid.uuid4().hex
                self.passwords[role] = pw
                conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{pw}'")
                self.pending_group = group
        self.url_admin = server.url(db)

    def url(self, role: str) -> str:
        return self.server.url(self.db, role)

    def grant(self) -> None:
        with self.server.admin() as conn:
            conn.execute(f"GRANT capslice_writer TO {self.writer}")
            conn.execute(f"GRANT capslice_lead TO {self.lead}")
            conn.execute(f"GRANT capslice_reader TO {self.reader}")


@pytest.fixture
def team(pg_server: Any, hub_db: str) -> Team:
    t = Team(pg_server, hub_db)
    for role, pw in t.passwords.items():
        pg_server.add_password(role, pw)
    result = CliRunner().invoke(main, ["hub", "init", t.url_admin], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "0001_core" in result.output and "capslice_lead" in result.output
    t.grant()
    return t


def _store_a(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    ws = Workspace(path)
    for run, n_right in LOGS.items():
        ws.ingest([write_gsm8k_run(tmp_path / f"logs-{run}", n_right)], run=run)
    store = Store(path)
    ids = [r[0] for r in store.conn.execute("SELECT id FROM items ORDER BY doc_id LIMIT 4")]
    store.close()
    cli(path, "label", "set", "--items", f"{ids[0]},{ids[1]}", "--axis", "task_type",
        "--value", "counting_arithmetic", "--note", "word problems", "--user", "alice")  # fmt: skip
    store = Store(path)
    run_id = store.get_run("base")["id"]
    store.create_named_slice("apples", ids[:3], run_id=run_id, description="apple problems")
    store.close()
    cli(path, "intervention", "new", "--title", "more arithmetic", "--hypothesis", "data helps",
        "--baseline", "base", "--target", "task_type=counting_arithmetic",
        "--control", "task_type=logical_deduction", "--user", "alice")  # fmt: skip
    cli(path, "intervention", "accept", "1", "--reason", "cheap to try", "--user", "carol")
    return path


def _item_id(path: Path, doc_id: str) -> int:
    store = Store(path)
    try:
        return int(
            store.conn.execute("SELECT id FROM items WHERE doc_id = ?", (doc_id,)).fetchone()[0]
        )
    finally:
        store.close()


def _listing(store: Path) -> dict[str, Any]:
    """Every listing the issue names, with local ids and local-only fields dropped."""
    runs = js(store, "runs")
    for r in runs:
        for k in ("id", "origin", "ingest", "source_files"):
            r.pop(k, None)
    slices = js(store, "slices", "--run", "cand", "--by", "task_type")
    compare = js(store, "compare", "base", "cand", "--by", "task_type")
    named = js(store, "label", "slices")
    for s in named:
        for k in ("id", "run_id", "version", "created_by", "created_at", "updated_by",
                  "updated_at"):  # fmt: skip
            s.pop(k, None)
    history = js(store, "label", "history")
    history = sorted(
        (h["axis"], str(h["old_value"]), str(h["new_value"]), str(h.get("new_note")))
        for h in history
    )
    interventions = js(store, "intervention", "list")
    for i in interventions:
        for k in ("id", "decided_by", "decided_at"):
            i.pop(k, None)
    return {"runs": runs, "slices": slices, "compare": compare, "named": named,
            "history": history, "interventions": interventions}  # fmt: skip


def test_push_pull_round_trip_and_second_push_sends_nothing(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    out = cli(a, "push").stdout
    assert out.startswith(f"pushed to hub team as {team.writer}: 2 runs, 24 samples"), out
    assert "2 runs" in out and "24 samples" in out, out
    # the writer may not push the lead's decision: said, not silently dropped
    assert "was not pushed: role" in out and "capslice_lead" in out, out
    again = cli(a, "push").stdout
    assert again.startswith("nothing to push: already on hub team"), again
    # the lead pushes the decision
    cli(a, "hub", "add", "lead", team.url(team.lead))
    out = cli(a, "push", "--hub", "lead").output
    assert re.search(r"\b1 decision\b", out), out

    cli(b, "hub", "add", "team", team.url(team.reader))
    out = cli(b, "pull").output
    assert "2 runs" in out and "24 samples" in out, out
    assert _listing(a) == _listing(b)
    # identities come from the database: the pulled decision and hand labels carry roles
    pulled = js(b, "intervention", "list")[0]
    assert pulled["status"] == "accepted" and pulled["decided_by"] == team.lead
    assert {h["who"] for h in js(b, "label", "history")} == {team.writer}
    # runs show where they come from, and the hub lists its runs
    origins = {r["name"]: r["origin"] for r in js(b, "runs")}
    assert origins == {"base": "pulled from team", "cand": "pulled from team"}
    assert {r["origin"] for r in js(a, "runs")} == {"pushed to lead, pushed to team"}
    on_hub = js(b, "runs", "--hub", "team")
    assert [(r["name"], r["on_hub"], r["pushed_by"]) for r in on_hub] == [
        ("base", 12, team.writer),
        ("cand", 12, team.writer),
    ]
    assert cli(b, "pull").stdout.startswith("nothing to pull: nothing new on hub team")
    # what came from the hub is not sent back, and A's own work does not come back doubled
    cli(b, "hub", "add", "lead", team.url(team.lead))
    assert cli(b, "push", "--hub", "lead").stdout.startswith("nothing to push"), "B echoes"
    before = _listing(a)
    cli(a, "pull", "--hub", "lead")
    assert _listing(a) == before
    assert len(js(a, "intervention", "show", "1")["history"]) == len(
        js(b, "intervention", "show", "1")["history"]
    )


def test_label_conflict_is_reported_not_overwritten(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.lead))
    cli(a, "push")
    cli(b, "pull")
    item_a, item_b = _item_id(a, "0"), _item_id(b, "0")
    cli(a, "label", "set", "--items", str(item_a), "--axis", "task_type", "--value",
        "table_reasoning", "--user", "alice")  # fmt: skip
    cli(b, "label", "set", "--items", str(item_b), "--axis", "task_type", "--value",
        "logical_deduction", "--user", "carol")  # fmt: skip
    assert re.search(r"\b1 label\b", cli(a, "push").output)
    out = cli(b, "pull").output
    assert f"changed by {team.writer} at" in out and "'table_reasoning'" in out, out
    assert "kept yours" in out
    show = js(b, "label", "show", "--item", str(item_b))
    assert "logical_deduction" in json.dumps(show) and "table_reasoning" not in json.dumps(show)
    out = cli(b, "push").output
    assert "conflict: hand label task_type" in out and "not pushed" in out, out
    # settled explicitly: take the hub's
    assert re.search(r"\b1 label\b", cli(b, "pull", "--theirs").output)
    assert "table_reasoning" in json.dumps(js(b, "label", "show", "--item", str(item_b)))
    assert "conflict" not in cli(b, "push").output


def test_killed_push_resumes(team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.reader))
    monkeypatch.setattr(sync, "BATCH", 5)
    calls = []

    def drop(stage: str) -> None:
        calls.append(stage)
        if len(calls) == 2:
            raise ConnectionResetError("connection dropped")

    monkeypatch.setattr(sync, "_hook", drop)
    with pytest.raises(ConnectionResetError):
        sync.push(Store(a), "team", runs=["base"])
    monkeypatch.setattr(sync, "_hook", lambda stage: None)
    on_hub = js(b, "runs", "--hub", "team")
    assert [(r["name"], r["complete"], r["on_hub"]) for r in on_hub] == [("base", False, 10)]
    out = cli(b, "pull").output
    assert "its push is under way or was interrupted" in out and "runs" not in out.split("\n")[0]
    assert js(b, "runs") == []
    out = cli(a, "push", "--run", "base").output
    assert "2 samples" in out, out  # only the samples the killed push had not sent
    assert "12/12" in cli(b, "pull").output or js(b, "runs")[0]["n_samples"] == 12


def test_roles_are_enforced_by_grants(team: Team) -> None:
    import psycopg

    with psycopg.connect(team.url(team.writer), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO capslice.interventions (key, title, data, cid) VALUES ('k', 't', '{}', 'c')"
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE capslice.interventions SET decision = 'accepted'")
        row = conn.execute("SELECT role FROM capslice.interventions").fetchone()
        assert row[0] == team.writer  # stamped by the hub, whatever the client says
    with psycopg.connect(team.url(team.reader), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO capslice.texts VALUES ('h', 't')")
    with psycopg.connect(team.url(team.lead), autocommit=True) as conn:
        conn.execute("UPDATE capslice.interventions SET decision = 'accepted'")
        assert conn.execute("SELECT decided_by FROM capslice.interventions").fetchone()[0] == (
            team.lead
        )


def test_no_password_in_store_config_or_output(
    team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    secret = team.passwords[team.writer]
    # libpq takes the password from PGPASSWORD only (no password file)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.setenv("PGPASSWORD", secret)
    with_pw = team.url(team.writer).replace(f"{team.writer}@", f"{team.writer}:{secret}@")
    added = cli(a, "hub", "add", "team", with_pw + "?sslmode=disable")
    assert "password in the URL was not stored" in added.output
    outputs = [added.output]
    outputs.append(cli(a, "hub", "list").output)
    outputs.append(cli(a, "push", "--with-text").output)
    outputs.append(cli(b, "hub", "add", "team", team.url(team.writer) + "?sslmode=disable").output)
    outputs.append(cli(b, "pull").output)
    outputs.append(cli(b, "runs", "--hub", "team").output)
    outputs.append(cli(b, "runs").output)
    assert "sslmode=disable" in outputs[1]  # passed through as given

    # pushed --with-text: the samples, responses included, read the same on both nodes
    def samples(store: Path) -> Any:
        rows = js(store, "samples", "--run", "base", "--limit", "50")
        rows = rows["samples"] if isinstance(rows, dict) else rows
        return [{k: v for k, v in r.items() if k not in ("id", "item_id")} for r in rows]

    assert samples(a) == samples(b) and samples(b)[0]["response"]
    for text in outputs:
        assert secret not in text
    for path in (a, b):
        for f in path.parent.glob(path.name + "*"):  # the store and its -wal/-shm files
            assert secret.encode() not in f.read_bytes(), f
    # a wrong password is an error naming the hub, never echoing what was tried
    monkeypatch.setenv("PGPASSWORD", "wrong-" + secret[::-1])
    bad = cli(b, "pull", ok=False)
    assert bad.exit_code == 1 and "cannot connect to the hub" in bad.output
    assert "wrong-" not in bad.output


def test_strip_password_forms() -> None:
    assert sync.strip_password("postgresql://u:s3cret@h:5432/db?sslmode=require") == (
        "postgresql://u@h:5432/db?sslmode=require",
        True,
    )
    assert sync.strip_password("postgresql://h/db?password=x&sslmode=verify-full") == (
        "postgresql://h/db?sslmode=verify-full",
        True,
    )
    assert sync.strip_password("postgresql://u@h/db") == ("postgresql://u@h/db", False)
    clean, had = sync.strip_password("host=h dbname=db password=s3cret sslmode=require")
    assert had and "s3cret" not in clean and "sslmode=require" in clean


def test_cleared_hand_label_reaches_the_other_node(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.writer))
    cli(a, "push")
    cli(b, "pull")
    item_b = _item_id(b, "0")
    assert "counting_arithmetic" in json.dumps(js(b, "label", "show", "--item", str(item_b)))
    cli(a, "label", "set", "--items", str(_item_id(a, "0")), "--axis", "task_type", "--clear",
        "--user", "alice")  # fmt: skip
    assert re.search(r"\b1 label\b", cli(a, "push").stdout)
    assert re.search(r"\b1 label\b", cli(b, "pull").stdout)
    shown = js(b, "label", "show", "--item", str(item_b))["axes"]["task_type"]
    assert [v["source"] for v in shown["values"]] == ["rule"], shown
    here, there = _listing(a), _listing(b)
    # (the writer could not push the lead's decision, so only the intervention's status differs)
    assert [i["status"] for i in there.pop("interventions")] == ["proposed"]
    here.pop("interventions")
    assert here == there
    # and the clear is not undone by B's next push or pull
    assert cli(b, "push").stdout.startswith("nothing to push")
    assert (
        cli(a, "pull").stdout.startswith("nothing to pull") or "labels" not in cli(a, "pull").stdout
    )


def _kill_after_progress(args: list[str], env: dict[str, str], marker: str) -> str:
    """Run ``capslice ARGS``, SIGKILL it once stderr shows ``marker``; return its stderr."""
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "capslice_tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    return "".join(seen)


def test_sigkilled_push_and_pull_complete_when_run_again(team: Team, tmp_path: Path) -> None:
    import os

    a, b = tmp_path / "a.db", tmp_path / "b.db"
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [
        json.dumps({"doc_id": d, "doc": {"question": f"q {d}?"}, "target": "1",
                    "arguments": {"gen_args_0": {"arg_0": f"Q{d}"}}, "resps": [["1"]],
                    "filtered_resps": ["1" if d % 3 else "2"], "filter": "strict-match",
                    "metrics": ["exact_match"], "exact_match": float(d % 3 != 0)})
        for d in range(200)
    ]  # fmt: skip
    (logs / "samples_gsm8k_2026-01-01T00-00-00.000000.jsonl").write_text("\n".join(lines))
    Workspace(a).ingest([logs], run="big")
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.reader))
    env = {**os.environ, "CAPSLICE_HUB_BATCH": "5", "CAPSLICE_STORE": str(a)}
    _kill_after_progress(["push"], env, "samples sent")
    on_hub = js(b, "runs", "--hub", "team")
    assert [(r["name"], r["complete"]) for r in on_hub] == [("big", False)]
    sent_before = on_hub[0]["on_hub"]
    assert 0 < sent_before < 200
    out = cli(a, "push").stdout
    assert f"{200 - sent_before} samples" in out, out  # only what the killed push had not sent
    assert js(b, "runs", "--hub", "team")[0]["complete"] is True

    env["CAPSLICE_STORE"] = str(b)
    _kill_after_progress(["pull"], env, "samples received")
    assert js(b, "runs")[0]["n_samples"] < 200  # the killed pull left a partial run
    out = cli(b, "pull").stdout
    assert "1 run, 200 samples" in out, out
    runs = js(b, "runs")
    assert runs[0]["n_samples"] == 200 and runs[0]["origin"] == "pulled from team"
    assert js(b, "slices", "--run", "big", "--by", "task_type") == js(
        a, "slices", "--run", "big", "--by", "task_type"
    )


def test_pulled_run_rescore_and_local_changes_are_kept(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.reader))
    cli(a, "push", "--run", "base")
    out = cli(b, "pull").stdout
    assert "pushed without response text" in out, out
    before = js(b, "slices", "--run", "base", "--by", "task_type")
    # no text here: a re-score keeps every sample as it is instead of scoring nothing
    report = js(b, "rescore", "--run", "base")
    assert report["n_changed"] == 0, report
    assert js(b, "slices", "--run", "base", "--by", "task_type") == before
    # changed here since the pull, and on the hub: reported, not overwritten
    store = Store(b)
    with store.write() as conn:
        conn.execute("UPDATE samples SET score = 1 - score WHERE doc_id = '0'")
    store.refresh_item_scores(store.get_run("base")["id"])
    store.close()
    mine = js(b, "slices", "--run", "base", "--by", "task_type")
    assert mine != before
    cli(a, "push", "--run", "base", "--with-text")  # the hub's run changes too
    out = cli(b, "pull").stdout
    assert "run base: changed here since the last sync" in out, out
    assert js(b, "slices", "--run", "base", "--by", "task_type") == mine
    assert re.search(r"\b1 run\b", cli(b, "pull", "--theirs").stdout)
    assert js(b, "slices", "--run", "base", "--by", "task_type") == before


def test_named_slice_changed_on_both_sides_is_a_conflict(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.lead))
    cli(a, "push")
    cli(b, "pull")
    assert [s["name"] for s in js(b, "label", "slices")] == ["apples"]
    for path, note, who in ((a, "from A", "alice"), (b, "from B", "carol")):
        store = Store(path)
        store.edit_named_slice("apples", note=note, who=who)
        store.close()
    assert re.search(r"\b1 slice\b", cli(a, "push").stdout)
    out = cli(b, "pull").stdout
    assert f"conflict: slice apples: changed by {team.writer} at" in out, out
    assert [s["note"] for s in js(b, "label", "slices")] == ["from B"]
    assert "conflict: slice apples" in cli(b, "push").stdout
    assert re.search(r"\b1 slice\b", cli(b, "push", "--ours").stdout)
    assert re.search(r"\b1 slice\b", cli(a, "pull").stdout)  # A had not changed it since: takes B's
    assert [s["note"] for s in js(a, "label", "slices")] == ["from B"]


def test_intervention_changed_on_both_sides_is_a_conflict(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.lead))
    cli(b, "hub", "add", "team", team.url(team.lead))
    cli(a, "push")
    cli(b, "pull")
    assert js(b, "intervention", "list")[0]["status"] == "accepted"
    cli(a, "intervention", "start", "1", "--user", "alice")
    assert re.search(r"\b1 intervention\b", cli(a, "push").stdout)
    import time

    time.sleep(1.1)  # the same change in the same second would be the same content
    cli(b, "intervention", "start", "1", "--user", "bob")
    out = cli(b, "pull").stdout
    assert f"conflict: intervention 'more arithmetic': changed by {team.lead} at" in out, out
    assert "kept yours" in out
    assert "conflict: intervention 'more arithmetic'" in cli(b, "push").stdout
    assert re.search(r"\b1 intervention\b", cli(b, "pull", "--theirs").stdout)
    shown = js(b, "intervention", "show", "1")
    assert shown["status"] == "running" and shown["decided_by"] == team.lead
    assert cli(b, "push").stdout.startswith("nothing to push"), "settled"
