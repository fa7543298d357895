"""A real PostgreSQL server for the tests: ``initdb`` into a temporary folder, one per session.

``postgres_server`` (session scope) starts it on a free 127.0.0.1 port, with its unix socket in
the same folder, and stops it at the end; ``postgres_uri`` gives each test a fresh database
cloned from a template the archive schema is already in, so a test costs one CREATE DATABASE.
The server is skipped, with the reason, when the binaries are missing or cannot be run (.ci/run
installs them); it is never faked. PostgreSQL refuses to run as root, so as root the server runs
as ``nobody`` (``runuser``), in a folder given to that user.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["PostgresServer", "find_binaries", "postgres_server", "postgres_uri", "start_server"]

# The user a server started by root runs as.
_UNPRIVILEGED = "nobody"
_counter = itertools.count(1)


def find_binaries() -> Path | None:
    """The folder holding ``initdb``, ``postgres`` and ``pg_ctl``, or None when not installed."""
    candidates = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    candidates += [p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "postgres", "pg_ctl")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server: its port and the superuser to connect as (trust authentication)."""

    folder: Path
    port: int
    user: str = "postgres"

    def uri(self, database: str = "postgres") -> str:
        """The ``postgresql://`` URI of ``database`` on this server."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create ``name`` (a copy of ``template``, if given); return its URI."""
        import psycopg

        with psycopg.connect(self.uri(), autocommit=True) as conn:
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{clause}')
        return self.uri(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still connected."""
        import psycopg

        with psycopg.connect(self.uri(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser") or shutil.which("setpriv")
    if runuser is None:
        raise RuntimeError("running as root and neither runuser nor setpriv is installed to drop privileges")
    if runuser.endswith("setpriv"):
        entry = pwd.getpwnam(_UNPRIVILEGED)
        return [runuser, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", *command]
    return [runuser, "-u", _UNPRIVILEGED, "--", *command]


def start_server(binaries: Path, *, durable: bool = False) -> tuple[PostgresServer, subprocess.Popen[bytes]]:
    """Run ``initdb`` into a new temporary folder and start ``postgres`` on a free port.

    ``durable``: keep fsync and synchronous commits on (for benchmarks); off by default.

    Raises:
        RuntimeError: initdb failed, or the server did not accept connections within 30 s.
    """
    # Not under pytest's tmp_path: that is private to root (0700), and the server runs as nobody.
    folder = Path(tempfile.mkdtemp(prefix="archive-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        entry = pwd.getpwnam(_UNPRIVILEGED)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    init = subprocess.run(
        _as_user([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync"]),
        capture_output=True, cwd=folder, check=False,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({init.returncode}): {init.stderr.decode(errors='replace')[-500:]}")
    port = _free_port()
    # Durability off: the tests check what is committed, not what survives a power cut.
    options = ["-c", "max_connections=200", "-c", "shared_buffers=64MB"]
    if not durable:
        options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    process = subprocess.Popen(
        _as_user([str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                  "-k", str(folder), *options]),
        stdout=subprocess.DEVNULL, stderr=(folder / "server.log").open("wb"), cwd=folder,
    )
    server = PostgresServer(folder, port)
    deadline = time.monotonic() + 30
    import psycopg

    while True:
        if process.poll() is not None:
            log = (folder / "server.log").read_text(errors="replace")[-500:]
            raise RuntimeError(f"postgres exited with {process.returncode}: {log}")
        try:
            psycopg.connect(server.uri(), connect_timeout=2).close()
            return server, process
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("postgres did not accept connections within 30 s") from None
            time.sleep(0.1)


def stop_server(server: PostgresServer, process: subprocess.Popen[bytes]) -> None:
    """Stop the server (fast shutdown) and remove its folder."""
    process.terminate()  # SIGTERM: "smart" would wait for clients; -INT is fast
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own for the session (skipped with the reason when impossible)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip('psycopg is not installed (pip install -e ".[distributed]")')
    binaries = find_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (no initdb; apt-get install postgresql, as .ci/run does)")
    try:
        server, process = start_server(binaries)
    except (RuntimeError, OSError, KeyError) as exc:
        pytest.skip(f"cannot start a PostgreSQL server here: {exc}")
    try:
        yield server
    finally:
        stop_server(server, process)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A database with the archive schema migrated in, that test databases are cloned from."""
    from archive.postgres import PostgresStore

    name = "archive_template"
    uri = postgres_server.create_database(name)
    PostgresStore(uri.partition("://")[2], create=True, warc_dir=postgres_server.folder / "template.warc").close()
    return name


@pytest.fixture
def postgres_uri(postgres_server: PostgresServer, postgres_template: str) -> Iterator[str]:
    """A fresh archive database for one test (cloned from the template); yields its URI."""
    name = f"archive_test_{os.getpid()}_{next(_counter)}"
    uri = postgres_server.create_database(name, template=postgres_template)
    try:
        yield uri
    finally:
        postgres_server.drop_database(name)
