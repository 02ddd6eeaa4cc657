"""The hub's PostgreSQL schema, its versioned migrations and the roles a DBA grants.

Everything lives in the schema ``capslice`` of the hub database. Like the local store, the
schema is an ordered list of migrations, each applied once in its own transaction and recorded
in ``capslice.migrations``; ``capslice hub init URL`` applies the pending ones.

Roles (group roles, ``NOLOGIN``; a DBA grants them to people's login roles):

- ``capslice_reader``: reads everything (analysts): ``GRANT capslice_reader TO ann;``
- ``capslice_writer``: also pushes runs, samples, labels, slices, interventions and their
  history, but cannot write an intervention's decision: ``GRANT capslice_writer TO bob;``
- ``capslice_lead``: also accepts and rejects interventions (the decision columns):
  ``GRANT capslice_lead TO carol;``

The roles nest (lead is a writer, a writer is a reader) and are enforced by column and table
GRANTs. Every shared row is stamped by a trigger with ``current_user`` (the database role that
wrote it), the time and the writing transaction's id (``tx``, what pulls are incremental on),
so a name written into a row by a client is never what the hub records as its author.
"""

from __future__ import annotations

ROLES = ("capslice_reader", "capslice_writer", "capslice_lead")

_STAMP = "role text NOT NULL DEFAULT current_user, written_at timestamptz NOT NULL DEFAULT now(), tx xid8 NOT NULL DEFAULT pg_current_xact_id()"

CORE = f"""
CREATE FUNCTION capslice.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.role := current_user;
    NEW.written_at := now();
    NEW.tx := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE FUNCTION capslice.stamp_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.decision IS NULL THEN
        NEW.decided_by := NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.decision IS DISTINCT FROM OLD.decision
          OR NEW.decision_reason IS DISTINCT FROM OLD.decision_reason THEN
        NEW.decided_by := current_user;
        NEW.decided_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TABLE capslice.runs (
    name text PRIMARY KEY,
    cid text,                       -- content id; NULL while a push of its samples is under way
    model text,
    step bigint,
    status text,
    n_samples integer,
    data jsonb NOT NULL,            -- the run row and its tasks' evaluation settings
    {_STAMP}
);
CREATE TABLE capslice.items (
    item_hash text PRIMARY KEY,     -- content identity across runs and nodes
    benchmark text NOT NULL,
    task text NOT NULL,
    doc_id text NOT NULL,
    data jsonb NOT NULL             -- question, target, doc
);
CREATE TABLE capslice.eval_settings (
    hash text PRIMARY KEY,          -- sha256 of the settings JSON
    settings text NOT NULL
);
CREATE TABLE capslice.texts (
    hash text PRIMARY KEY,          -- sha256 of a prompt (pushed with --with-text)
    text text NOT NULL
);
CREATE TABLE capslice.samples (
    run_name text NOT NULL REFERENCES capslice.runs (name) ON DELETE CASCADE,
    task text NOT NULL,
    filter text NOT NULL,
    doc_id text NOT NULL,
    sample_idx integer NOT NULL,
    item_hash text NOT NULL REFERENCES capslice.items (item_hash),
    cid text NOT NULL,              -- content id of the sample's outcome
    score double precision,
    lenient double precision,
    failure_mode text,
    data jsonb NOT NULL,            -- every other stored column (response only with --with-text)
    PRIMARY KEY (run_name, task, filter, doc_id, sample_idx)
);
CREATE TABLE capslice.labels (
    item_hash text NOT NULL REFERENCES capslice.items (item_hash),
    axis text NOT NULL,
    source text NOT NULL,           -- rule | cluster | hand
    value text,                     -- NULL: the hand label was cleared (a tombstone)
    origin text,
    note text,
    cid text NOT NULL,
    local_who text,                 -- the name on the node that set it (informative only)
    local_at text,
    {_STAMP},
    PRIMARY KEY (item_hash, axis, source)
);
CREATE TABLE capslice.label_history (
    cid text PRIMARY KEY,
    item_hash text NOT NULL,
    axis text NOT NULL,
    source text NOT NULL,
    old_value text,
    new_value text,
    old_note text,
    new_note text,
    action text NOT NULL,
    batch text,
    local_who text,
    local_at text,
    {_STAMP}
);
CREATE TABLE capslice.slices (
    name text PRIMARY KEY,
    run_name text,
    origin text,
    description text,
    note text,
    items text[] NOT NULL,          -- item hashes
    cid text NOT NULL,
    local_who text,
    local_at text,
    {_STAMP}
);
CREATE TABLE capslice.interventions (
    key text PRIMARY KEY,           -- sha256 of title, author and creation time
    title text NOT NULL,
    data jsonb NOT NULL,            -- everything but the decision
    cid text NOT NULL,
    decision text,                  -- accepted | rejected; written by capslice_lead only
    decision_reason text,
    decision_warning text,
    decided_by text,                -- the lead's database role (set by trigger)
    decided_at timestamptz,
    {_STAMP}
);
CREATE TABLE capslice.intervention_history (
    cid text PRIMARY KEY,
    intervention_key text NOT NULL REFERENCES capslice.interventions (key),
    version integer NOT NULL,
    action text NOT NULL,
    field text NOT NULL,
    old_value text,
    new_value text,
    local_who text,
    local_at text,
    {_STAMP}
);
CREATE INDEX labels_tx ON capslice.labels (tx);
CREATE INDEX label_history_tx ON capslice.label_history (tx);
CREATE INDEX slices_tx ON capslice.slices (tx);
CREATE INDEX interventions_tx ON capslice.interventions (tx);
CREATE INDEX intervention_history_tx ON capslice.intervention_history (tx);
CREATE INDEX samples_item ON capslice.samples (item_hash);
"""

STAMPED = (
    "runs",
    "labels",
    "label_history",
    "slices",
    "interventions",
    "intervention_history",
)

TRIGGERS = "".join(
    f"CREATE TRIGGER {t}_stamp BEFORE INSERT OR UPDATE ON capslice.{t}"
    " FOR EACH ROW EXECUTE FUNCTION capslice.stamp();\n"
    for t in STAMPED
) + (
    "CREATE TRIGGER interventions_decision BEFORE INSERT OR UPDATE ON capslice.interventions"
    " FOR EACH ROW EXECUTE FUNCTION capslice.stamp_decision();\n"
)

# Roles are cluster-wide: created only when missing (needs CREATEROLE), granted per database.
ROLES_SQL = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'capslice_reader') THEN
        CREATE ROLE capslice_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'capslice_writer') THEN
        CREATE ROLE capslice_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'capslice_lead') THEN
        CREATE ROLE capslice_lead NOLOGIN;
    END IF;
END $$;
"""

GRANTS = """
GRANT capslice_reader TO capslice_writer;
GRANT capslice_writer TO capslice_lead;
GRANT USAGE ON SCHEMA capslice TO capslice_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA capslice TO capslice_reader;
GRANT INSERT, UPDATE ON capslice.runs, capslice.items, capslice.eval_settings, capslice.texts,
    capslice.labels, capslice.label_history, capslice.slices, capslice.intervention_history
    TO capslice_writer;
GRANT INSERT, UPDATE, DELETE ON capslice.samples TO capslice_writer;
GRANT INSERT (key, title, data, cid), UPDATE (title, data, cid)
    ON capslice.interventions TO capslice_writer;
GRANT INSERT (decision, decision_reason, decision_warning),
      UPDATE (decision, decision_reason, decision_warning)
    ON capslice.interventions TO capslice_lead;
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_core", CORE + TRIGGERS),
    ("0002_roles", ROLES_SQL + GRANTS),
]

BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS capslice;
CREATE TABLE IF NOT EXISTS capslice.migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user
);
GRANT USAGE ON SCHEMA capslice TO PUBLIC;
GRANT SELECT ON capslice.migrations TO PUBLIC;
"""

DBA_NOTE = """\
Roles (grant them to people's login roles):
  capslice_reader  read runs, samples, labels, slices, interventions
  capslice_writer  + push runs, samples, labels, slices, interventions (not decisions)
  capslice_lead    + accept or reject interventions
e.g.  CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE capslice_writer;
      GRANT capslice_lead TO carol;
Passwords come from PGPASSWORD, ~/.pgpass or a service file (never from capslice)."""
