"""The project deployed to a real scrapyd with `scrapyd-deploy`, and a spider run through scrapyd's HTTP API.

What a user does, on 127.0.0.1 only:

1. `python -m scrapyd` in a temporary working directory holding a `scrapyd.conf` (free port, eggs, logs,
   items and dbs under the test's tmp_path);
2. `scrapyd-deploy` (scrapyd-client) from a temporary copy of the project, whose `scrapy.cfg` `[deploy]`
   url is pointed at that port: scrapyd-deploy writes `setup.py`, `build/` and `*.egg-info` next to
   `scrapy.cfg`, and none of that may land in the repository;
3. `schedule.json` for `juyou` against the served sample site, `listjobs.json` until the job finishes;
4. the archive the job wrote holds the expected records.

scrapyd runs each job as `python -m scrapyd.runner crawl ...` with its own Python (here the test venv),
so the spider imports trafilatura and the other dependencies from it, and the project's code from the
deployed egg.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from urllib.request import ProxyHandler, build_opener

import pytest

from archive import open_archive
from tests.conftest import ROOT
from tests.crawler.test_spiders import expected_records

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow  # subprocess crawls through the real engine

PROJECT = "fanwen"  # the project name in the committed scrapy.cfg [deploy] section
SITE = "juyou"
JOB_TIMEOUT = 90.0
# Never send a request to 127.0.0.1 through a proxy from the environment.
OPENER = build_opener(ProxyHandler({}))
# What scrapyd-deploy needs from the repository: the build configuration and the packages. The rest
# (VCS, caches, virtualenvs, earlier build output, tests, data) stays out of the copy.
SKIP_AT_TOP = {"build", "dist", "data", "out", "venv", "tests", "bench"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env() -> dict[str, str]:
    """The environment for scrapyd and scrapyd-deploy: no inherited Scrapy project, no proxy for 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY_", "SCRAPYD_"))}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def tail(path: Path, size: int = 4000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-size:] if path.exists() else f"({path} missing)"


@dataclass
class Scrapyd:
    """A running scrapyd: its base URL and working directory."""

    url: str
    workdir: Path
    process: subprocess.Popen[bytes]
    output: Path

    @property
    def eggs_dir(self) -> Path:
        return self.workdir / "eggs"

    @property
    def logs_dir(self) -> Path:
        return self.workdir / "logs"

    @property
    def items_dir(self) -> Path:
        return self.workdir / "items"

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        query = f"?{urlencode(params)}" if params else ""
        with OPENER.open(self.url + endpoint + query, timeout=10) as response:
            return dict(json.load(response))

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
        body = urlencode(fields).encode()
        with OPENER.open(self.url + endpoint, data=body, timeout=30) as response:
            return dict(json.load(response))


def write_scrapyd_conf(workdir: Path, port: int) -> None:
    (workdir / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {workdir / 'eggs'}\n"
        f"logs_dir = {workdir / 'logs'}\n"
        f"items_dir = {workdir / 'items'}\n"
        f"dbs_dir = {workdir / 'dbs'}\n"
        "jobs_dir =\n"
        "username =\n"
        "password =\n"
        "max_proc = 1\n"
        "poll_interval = 0.2\n",
        encoding="utf-8",
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop scrapyd and any job it spawned: they share the process group started for scrapyd."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):  # a job left behind by a scrapyd that died first
            os.killpg(process.pid, signal.SIGKILL)
        return


def start_scrapyd(workdir: Path) -> Scrapyd:
    output = workdir / "scrapyd.out"
    for _attempt in range(3):  # the free port may be taken before scrapyd binds it
        port = free_port()
        write_scrapyd_conf(workdir, port)
        with output.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "scrapyd"],
                cwd=workdir, env=child_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        server = Scrapyd(f"http://127.0.0.1:{port}/", workdir, process, output)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = server.get("daemonstatus.json")
            except OSError:
                time.sleep(0.1)
                continue
            if status.get("status") == "ok" and "node_name" in status:
                return server
            break
        stop(process)
    hint = ""
    if Path("~/.scrapyd.conf").expanduser().exists():
        hint = " (~/.scrapyd.conf is read after, and overrides, the working directory's scrapyd.conf)"
    pytest.fail(f"scrapyd did not answer daemonstatus.json{hint}:\n{tail(output)}")


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    if importlib.util.find_spec("scrapyd") is None:
        pytest.fail("scrapyd is not installed: pip install -e '.[test]'")
    workdir = tmp_path / "scrapyd"
    workdir.mkdir()
    server = start_scrapyd(workdir)
    try:
        yield server
    finally:
        stop(server.process)


def scrapyd_deploy_command() -> str:
    # The console script next to this Python (the venv's), else the one on PATH.
    found = shutil.which("scrapyd-deploy", path=str(Path(sys.executable).parent)) or shutil.which("scrapyd-deploy")
    if found is None:
        pytest.fail("scrapyd-deploy (scrapyd-client) is not installed: pip install -e '.[test]'")
    return found


def copy_project(destination: Path) -> Path:
    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        if Path(directory) == ROOT:
            skipped |= {n for n in names if n.startswith(".") or n in SKIP_AT_TOP}
        return skipped

    shutil.copytree(ROOT, destination, ignore=ignore)
    return destination


def deploy(project: Path, server: Scrapyd) -> dict[str, Any]:
    """`scrapyd-deploy` from the project copy, its [deploy] url pointed at this scrapyd."""
    cfg_path = project / "scrapy.cfg"
    cfg = configparser.ConfigParser()
    cfg.read(cfg_path, encoding="utf-8")
    # The committed target is what a user deploys to: a scrapyd on its default port, project fanwen.
    assert cfg.get("settings", "default") == "crawler.settings"
    assert cfg.get("deploy", "url") == "http://127.0.0.1:6800/"
    assert cfg.get("deploy", "project") == PROJECT
    cfg.set("deploy", "url", server.url)
    with cfg_path.open("w", encoding="utf-8") as fh:
        cfg.write(fh)

    done = subprocess.run(
        [scrapyd_deploy_command()],
        cwd=project, env=child_env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"scrapyd-deploy failed:\n{done.stdout}\n{done.stderr}\n{tail(server.output)}"
    assert f'Deploying to project "{PROJECT}" in {server.url}addversion.json' in done.stderr, done.stderr
    return dict(json.loads(done.stdout))


def wait_for_job(server: Scrapyd, job: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        jobs = server.get("listjobs.json", project=PROJECT)
        for finished in jobs["finished"]:
            if finished["id"] == job:
                return dict(finished)
        time.sleep(0.25)
    pytest.fail(f"job {job} did not finish in {JOB_TIMEOUT:.0f} s: {jobs}\n{tail(server.output)}")


def test_deploy_to_scrapyd_and_crawl_through_its_api(
    scrapyd: Scrapyd, sample_sites: dict[str, str], tmp_path: Path
) -> None:
    repo_before = {p.name for p in ROOT.iterdir()}

    # Deploy: the egg is built from a copy, and scrapyd loads it (addversion runs `scrapy list` on it).
    response = deploy(copy_project(tmp_path / "project"), scrapyd)
    assert response["status"] == "ok", response
    assert response["project"] == PROJECT
    assert response["spiders"] == 5, response
    assert not {p.name for p in ROOT.iterdir()} - repo_before, "scrapyd-deploy wrote into the repository"

    eggs = list((scrapyd.eggs_dir / PROJECT).glob("*.egg"))
    assert [egg.stem for egg in eggs] == [response["version"]]
    with zipfile.ZipFile(eggs[0]) as egg:
        names = egg.namelist()
        assert {"archive", "crawler", "samples"} <= {n.split("/")[0] for n in names}
        assert "tests/__init__.py" not in names
        assert "samples/sites/juyou/www/robots.txt" in names, "the sample sites travel as package data"
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
        assert "[scrapy]" in entry_points and "settings = crawler.settings" in entry_points, entry_points

    spiders = scrapyd.get("listspiders.json", project=PROJECT)["spiders"]
    assert sorted(spiders) == ["baina", "generic", "huiwen", "jianbiao", "juyou"]

    # Schedule a crawl of the served juyou sample site and wait for it.
    base = sample_sites[SITE]
    archive_uri = f"sqlite:///{tmp_path / 'archive.db'}"
    scheduled = scrapyd.post(
        "schedule.json",
        [
            ("project", PROJECT),
            ("spider", SITE),
            ("start_urls", base + "/"),
            ("setting", f"ARCHIVE_URI={archive_uri}"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
            ("setting", "DOWNLOAD_DELAY=0"),
        ],
    )
    assert scheduled["status"] == "ok", scheduled
    job = scheduled["jobid"]
    finished = wait_for_job(scrapyd, job)
    assert finished["spider"] == SITE

    scrapyd_log = tail(scrapyd.output, 100_000)
    job_log_path = scrapyd.logs_dir / PROJECT / SITE / f"{job}.log"
    job_log = tail(job_log_path, 100_000)
    assert "Process died" not in scrapyd_log, scrapyd_log[-4000:]
    assert "'finish_reason': 'finished'" in job_log, job_log[-4000:]
    assert "log_count/ERROR" not in job_log, job_log[-4000:]

    # The archive holds exactly the expected juyou records.
    expected = expected_records(SITE, base)
    assert len(expected) == 7
    with open_archive(archive_uri, create=False) as archive:
        records = list(archive.iter_records())
    assert sorted(r.url for r in records) == sorted(expected), job_log[-4000:]
    for record in records:
        assert record.site == SITE
        assert record.title == expected[record.url]["title"]

    # scrapyd's own feed (items_dir) carries the same records.
    feed = scrapyd.items_dir / PROJECT / SITE / f"{job}.jl"
    items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    assert sorted(item["url"] for item in items) == sorted(expected)
