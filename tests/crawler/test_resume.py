"""A crawl killed mid-run (SIGINT or SIGKILL) and started again with the same JOBDIR ends with
exactly the records of an uninterrupted crawl: none lost, none stored twice. Killed inside a
batch of uncommitted items, it leaves WARC records no row refers to, which the resumed crawl
cuts off before its first append: afterwards the WARC holds exactly the captures of the archive."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import zlib
from typing import TYPE_CHECKING

import pytest

from archive import ArchiveNotFound, open_archive
from samples.serve import serve_site
from samples.synthetic import build_site
from tests.archive.test_faults import assert_every_warc_record_is_referenced, assert_warcs_read_to_the_end
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


def warc_members(archive: Path) -> int:
    """The whole gzip members (WARC records) at the start of the archive's first WARC file."""
    path = archive.parent / (archive.stem + ".warc") / "captures-00001.warc.gz"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    count = 0
    while data:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            inflate.decompress(data)
        except zlib.error:
            break
        if not inflate.eof:
            break  # a record still being written
        count += 1
        data = inflate.unused_data
    return count


def test_a_crawl_killed_inside_a_batch_fetches_it_again_and_leaves_no_orphan(
    site: str, reference: list[tuple[str, str]], tmp_path: Path
) -> None:
    archive = tmp_path / "archive.db"
    jobdir = f"JOBDIR={tmp_path / 'job'}"
    # One batch for the whole crawl, no timer: every item stored before the kill is uncommitted.
    one_batch = ("ARCHIVE_COMMIT_ITEMS=100000", "ARCHIVE_COMMIT_SECONDS=0")
    slow = command(site, archive, jobdir, "CONCURRENT_REQUESTS=1", "DOWNLOAD_DELAY=0.05", *one_batch)
    process = subprocess.Popen(slow, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # The WARC grows with each item added (written at once, fsynced at the commit): warcinfo,
    # then a response and a request record per document.
    while warc_members(archive) < 1 + 2 * (DOCUMENTS // 4):
        assert process.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert archived(archive) == [], "killed inside the batch: nothing was committed"
    assert warc_members(archive) >= 1 + 2 * (DOCUMENTS // 4), "its captures are in the WARC, unreferenced"

    done = subprocess.run(command(site, archive, jobdir), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    records = archived(archive)
    assert sorted(records) == reference
    assert len({url for url, _ in records}) == len(records), "no record stored twice"
    assert "ended in records no committed row refers to" in done.stderr  # cut once, said once
    assert done.stderr.count("no committed row refers to") == 1
    assert_warcs_read_to_the_end(archive)
    assert_every_warc_record_is_referenced(archive)
