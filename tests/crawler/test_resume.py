"""A crawl killed mid-run (SIGINT or SIGKILL) and started again with the same JOBDIR ends with
exactly the records of an uninterrupted crawl: none lost, none stored twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from archive import ArchiveNotFound, open_archive
from samples.serve import serve_site
from samples.synthetic import build_site
from tests.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow  # subprocess crawls through the real engine

DOCUMENTS = 120


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("resume-site")
    build_site(root, DOCUMENTS)
    server, base = serve_site(root)
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def command(base: str, archive: Path, *settings: str) -> list[str]:
    args = [sys.executable, "-m", "scrapy", "crawl", "baina", "-a", f"start_urls={base}/",
            "-s", f"ARCHIVE_URI=sqlite:///{archive}", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]
    for setting in settings:
        args += ["-s", setting]
    return args


def archived(archive: Path) -> list[tuple[str, str]]:
    try:
        with open_archive(f"sqlite:///{archive}", create=False, near_dup=False) as store:
            return [(r.url, r.content_hash) for r in store.iter_records()]
    except ArchiveNotFound:
        return []


@pytest.fixture(scope="module")
def reference(site: str, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    archive = tmp_path_factory.mktemp("reference") / "archive.db"
    subprocess.run(command(site, archive), cwd=ROOT, check=True, capture_output=True, timeout=120)
    records = sorted(archived(archive))
    assert len(records) == DOCUMENTS
    return records


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_crawl_resumes_to_the_same_records(
    site: str, reference: list[tuple[str, str]], tmp_path: Path, sig: signal.Signals
) -> None:
    archive = tmp_path / "archive.db"
    jobdir = f"JOBDIR={tmp_path / 'job'}"
    # One request at a time, slowed down, so the kill lands mid-crawl.
    slow = command(site, archive, jobdir, "CONCURRENT_REQUESTS=1", "DOWNLOAD_DELAY=0.05")
    process = subprocess.Popen(slow, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(archived(archive)) < DOCUMENTS // 4:
        assert process.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(sig)
    process.communicate(timeout=60)
    interrupted = archived(archive)
    assert len(interrupted) < DOCUMENTS, "killed mid-run"

    done = subprocess.run(command(site, archive, jobdir), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    records = archived(archive)
    assert sorted(records) == reference
    assert len({url for url, _ in records}) == len(records), "no record stored twice"
