"""Real servers for the tests, started on free loopback ports in a temporary folder (and stopped).

A test that needs one takes the fixture; it is skipped, with the reason, when the server is not
installed (.ci/run installs it). Never a fake: the point is to test against the real thing.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it listened on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on {port} within {timeout} s")


def redis_binary() -> str:
    """The redis-server program; skips the test, with the reason, when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
    return binary


@contextlib.contextmanager
def running_redis(folder: Path, port: int | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run a redis-server of its own on 127.0.0.1 (no persistence); yields (process, redis:// URI)."""
    port = port or free_port()
    process = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a test may have paused it
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server for the module's tests; yields its redis:// URI."""
    redis_binary()
    with running_redis(tmp_path_factory.mktemp("redis")) as (_, uri):
        yield uri
