"""A throwaway PostgreSQL server for the hub tests.

The server is the system's (Debian package ``postgresql``, installed by ``.ci/run``): ``initdb``
on a temporary directory, ``pg_ctl start`` on a free loopback port, stopped and removed after
the session. PostgreSQL refuses to run as root, so under root it runs as the ``postgres`` user
(or ``nobody``) through ``runuser``. Host connections use scram-sha-256 passwords, which the
tests give through libpq's own places (``PGPASSFILE``, ``PGPASSWORD``) only.

Tests skip with the reason when no server can be started here; under CI (``CI`` set) they fail
instead, because ``.ci/run`` installs the server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ADMIN = "capslice_admin"
ADMIN_PASSWORD = "adm-" + uuid.uuid4().hex[:12]


def _pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL hub tests need a server and CI should provide one: {reason}")
    pytest.skip(f"no PostgreSQL server can be started here: {reason}")


@dataclass
class PgServer:
    """A running server: connect to ``url(db, user)`` with passwords from ``passfile``."""

    port: int
    root: Path
    passfile: Path

    def url(self, db: str = "postgres", user: str = ADMIN) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def admin(self, db: str = "postgres"):
        """An autocommit admin connection (psycopg)."""
        import psycopg

        return psycopg.connect(self.url(db), password=ADMIN_PASSWORD, autocommit=True)

    def add_password(self, user: str, password: str) -> None:
        with self.passfile.open("a") as f:
            f.write(f"127.0.0.1:{self.port}:*:{user}:{password}\n")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[test]')")
    bindir = _pg_bin()
    if bindir is None:
        _unavailable("initdb not found (apt-get install postgresql)")
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                owner = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        if owner is None or shutil.which("runuser") is None:
            _unavailable("running as root without a postgres/nobody user and runuser")
        prefix = ["runuser", "-u", owner.pw_name, "--"]
    root = Path(tempfile.mkdtemp(prefix="capslice-pg-"))
    data = root / "data"
    pwfile = root / "pw"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C"}
    try:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", ADMIN, "-E", "UTF8",
             "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"],
            check=True, capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
             "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
            check=True, capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"{exc} {detail.strip()[-300:]}")
    passfile = Path(tempfile.mkdtemp(prefix="capslice-pgpass-")) / "pgpass"
    passfile.write_text("")
    passfile.chmod(0o600)
    server = PgServer(port=port, root=root, passfile=passfile)
    server.add_password(ADMIN, ADMIN_PASSWORD)
    try:
        yield server
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, env=env, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(passfile.parent, ignore_errors=True)


@pytest.fixture
def hub_db(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh empty database on the server; returns its name. ``PGPASSFILE`` points at the
    server's password file for the test's duration (libpq reads it)."""
    name = "hub_" + uuid.uuid4().hex[:10]
    with pg_server.admin() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("PGPASSFILE", str(pg_server.passfile))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    yield name
