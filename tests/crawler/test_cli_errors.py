"""Every bad argument or setting of `scrapy crawl`, `python -m crawler crawl-all` and `demo` is one
clear line and a non-zero exit, before anything is crawled.

Each case runs as a real subprocess (all of them at once, in threads: a Scrapy start costs about
a second) with a timeout, so a command that hangs instead of failing fails its case. For every
case: the exit code, the message, no traceback, and nothing written (no archive, no export, no
job folder: the case's folder holds the same files afterwards).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from crawler.frontier import missing_driver
from tests.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow  # subprocess crawls through the real engine

TIMEOUT = 60
# A start URL nobody answers: were a check missing, the crawl would start and write the archive.
URL = "start_urls=http://127.0.0.1:9/"
SCRAPY = (sys.executable, "-m", "scrapy")
CRAWLER = (sys.executable, "-m", "crawler")


@dataclass(frozen=True)
class Case:
    """argv (with {tmp} for the case's folder) -> exit code, and a fragment of the error line."""

    id: str
    argv: tuple[str, ...]
    code: int
    fragment: str
    # True: our own `error: ...` line, the only line on stderr. False: argparse's or Scrapy's
    # standard usage error (usage, then the error line), or output on stdout.
    one_line: bool = True
    stream: str = "stderr"
    files: dict[str, str] = field(default_factory=dict)


# Without the distributed extra the drivers are what is missing, and the line says so.
UNREACHABLE = (
    "(no Redis answers there: " if missing_driver() is None else 'is not installed); pip install -e ".[distributed]"'
)


def crawl(*extra: str, spider: str = "baina") -> tuple[str, ...]:
    return (*SCRAPY, "crawl", spider, "-a", URL, *extra)


def setting(name_value: str) -> Case:
    name, _, value = name_value.partition("=")
    return Case(f"scrapy-setting-{name}-{value}", crawl("-s", name_value), 2, f"bad setting {name}={value!r}")


CASES = [
    # --- scrapy crawl / list: spiders and their arguments --------------------------------------
    Case("scrapy-unknown-spider", (*SCRAPY, "crawl", "nosuchspider"), 2, "unknown spider 'nosuchspider'; expected"),
    Case("scrapy-no-spider", (*SCRAPY, "crawl"), 2, "scrapy crawl [options] <spider>", one_line=False,
         stream="stdout"),
    Case("scrapy-two-spiders", (*SCRAPY, "crawl", "baina", "juyou"), 2, "more than one spider", one_line=False),
    Case("scrapy-list", (*SCRAPY, "list"), 0, "baina\ngeneric\nhuiwen\njianbiao\njuyou", one_line=False,
         stream="stdout"),
    Case("scrapy-ftp-url", (*SCRAPY, "crawl", "baina", "-a", "start_urls=ftp://x/"), 2,
         "bad start URL 'ftp://x/' (not http or https)"),
    Case("scrapy-url-with-space", (*SCRAPY, "crawl", "baina", "-a", "start_urls=http://exa mple.com/"), 2,
         "bad start URL 'http://exa mple.com/' (holds ' ')"),
    Case("scrapy-url-without-host", (*SCRAPY, "crawl", "juyou", "-a", "start_urls=http:///zhuanti/"), 2,
         "(no host)"),
    Case("scrapy-url-bad-port", (*SCRAPY, "crawl", "baina", "-a", "start_urls=http://h:99999/"), 2,
         "bad start URL 'http://h:99999/'"),
    Case("scrapy-second-url-bad", (*SCRAPY, "crawl", "generic", "-a", "start_urls=http://127.0.0.1:9/,mailto:a@b"),
         2, "bad start URL 'mailto:a@b'"),
    Case("scrapy-unknown-argument", crawl("-a", "start_url=http://127.0.0.1:9/"), 2,
         "unknown spider argument 'start_url' for baina; expected -a start_urls=..."),
    Case("scrapy-generic-without-urls", (*SCRAPY, "crawl", "generic"), 2, "pass -a start_urls=URL"),
    Case("scrapy-argument-without-value", crawl("-a", "start_urls"), 2, "Invalid -a value", one_line=False),
    Case("scrapy-setting-without-value", crawl("-s", "DOWNLOAD_DELAY"), 2, "Invalid -s value", one_line=False),
    # --- scrapy crawl: settings -----------------------------------------------------------------
    Case("scrapy-refresh-days-abc", crawl("-s", "INCREMENTAL_REFRESH_DAYS=abc"), 2,
         "bad setting INCREMENTAL_REFRESH_DAYS='abc'; expected a number of days >= 0"),
    setting("INCREMENTAL_REFRESH_DAYS=-1"),
    setting("INCREMENTAL_REFRESH_DAYS=nan"),
    setting("BACKOFF_BASE_DELAY=soon"),
    setting("BACKOFF_MAX_DELAY=-5"),
    setting("EXTRACT_REPEATED_MIN_PAGES=2.5"),
    setting("EXTRACT_MAX_BYTES=-1"),
    setting("EXTRACT_MAX_DEPTH=deep"),
    setting("CONCURRENT_REQUESTS=0"),
    setting("CONCURRENT_REQUESTS_PER_DOMAIN=four"),
    setting("DOWNLOAD_DELAY=-0.5"),
    setting("DOWNLOAD_TIMEOUT=0"),
    setting("RETRY_TIMES=-1"),
    setting("DOWNLOAD_MAXSIZE=1GB"),
    setting("DOWNLOAD_WARNSIZE=-1"),
    setting("CLOSESPIDER_ITEMCOUNT=-1"),
    setting("CLOSESPIDER_TIMEOUT=later"),
    setting("LOG_LEVEL=LOUD"),
    Case("scrapy-loglevel-option", crawl("-L", "debug"), 2, "bad setting LOG_LEVEL='debug'; expected one of DEBUG"),
    setting("ARCHIVE_KEEP_RAW=maybe"),
    setting("ARCHIVE_NEAR_DUPLICATES=2"),
    setting("INCREMENTAL_ENABLED=yes"),
    setting("BACKOFF_ENABLED=on"),
    setting("CRAWL_RUNS_ENABLED=x"),
    setting("EXTRACT_FAVOR_PRECISION=sure"),
    setting("FRONTIER_HEARTBEAT=0"),
    setting("FRONTIER_HOST_LIMITS=some"),
    # A password in a URI is masked in the message (it would land in cron's mail and the logs).
    Case("scrapy-frontier-password", crawl("-s", "FRONTIER_URI=redis://:s3cret@127.0.0.1:9/0"), 2,
         "bad setting FRONTIER_URI='redis://:***@127.0.0.1:9/0' "),
    Case("scrapy-frontier-not-redis", crawl("-s", "FRONTIER_URI=http://127.0.0.1:9/"), 2,
         "bad setting FRONTIER_URI='http://127.0.0.1:9/' (not a Redis URI)"),
    # Port 9 (discard): nothing answers there, as with the start URL.
    Case("scrapy-frontier-unreachable", crawl("-s", "FRONTIER_URI=redis://127.0.0.1:9/0"), 2, UNREACHABLE),
    Case("scrapy-archive-is-a-folder", crawl("-s", "ARCHIVE_URI=sqlite:///{tmp}"), 2, "is a folder, not a file"),
    Case("scrapy-archive-scheme", crawl("-s", "ARCHIVE_URI=mysql://h/db"), 2, "unknown archive scheme 'mysql'"),
    Case("scrapy-archive-host", crawl("-s", "ARCHIVE_URI=sqlite://host/a.db"), 2, "has a host part"),
    Case("scrapy-archive-under-a-file", crawl("-s", "ARCHIVE_URI=sqlite:///{tmp}/afile/a.db"), 2,
         "afile is a file, so", files={"afile": "x"}),
    Case("scrapy-jobdir-is-a-file", crawl("-s", "JOBDIR={tmp}/afile"), 2, "afile is a file, not a folder",
         files={"afile": "x"}),
    Case("scrapy-jobdir-under-a-file", crawl("-s", "JOBDIR={tmp}/afile/job"), 2, "cannot be created",
         files={"afile": "x"}),
    Case("scrapy-logfile-folder-missing", crawl("-s", "LOG_FILE={tmp}/logs/crawl.log"), 2, "does not exist"),
    # --- python -m crawler crawl-all ------------------------------------------------------------
    Case("all-ftp-url", (*CRAWLER, "crawl-all", "--start-urls", "baina=ftp://x/"), 2,
         "bad start URL 'ftp://x/' (not http or https)"),
    Case("all-url-with-space", (*CRAWLER, "crawl-all", "--start-urls", "baina=http://a b/"), 2, "holds ' '"),
    Case("all-start-urls-without-site", (*CRAWLER, "crawl-all", "--start-urls", "baina"), 2,
         "bad --start-urls 'baina'; expected SITE=URL"),
    Case("all-start-urls-empty", (*CRAWLER, "crawl-all", "--start-urls", "baina=,"), 2,
         "no start URL given for baina"),
    Case("all-unknown-site-in-start-urls", (*CRAWLER, "crawl-all", "--start-urls", "nosuch=http://h/"), 2,
         "unknown site 'nosuch'; expected one of baina"),
    Case("all-unknown-site", (*CRAWLER, "crawl-all", "--site", "nosuch", "--start-urls", "baina=http://h/"), 2,
         "invalid choice: 'nosuch'", one_line=False),
    Case("all-site-without-urls", (*CRAWLER, "crawl-all", "--site", "juyou", "--start-urls", "baina=http://h/"), 2,
         "no start URL for --site juyou; pass --start-urls juyou=URL"),
    Case("all-no-start-urls", (*CRAWLER, "crawl-all"), 2, "no site has start URLs"),
    Case("all-frontier-unreachable", (*CRAWLER, "crawl-all", "--start-urls", "baina=http://h/",
                                      "--frontier", "redis://127.0.0.1:9/0"), 2,
         f"bad setting FRONTIER_URI='redis://127.0.0.1:9/0' {UNREACHABLE}"),
    Case("all-concurrency-0", (*CRAWLER, "crawl-all", "--concurrency", "0", "--start-urls", "baina=http://h/"), 2,
         "argument --concurrency: '0' is not a number of spiders", one_line=False),
    Case("all-concurrency-negative", (*CRAWLER, "crawl-all", "--concurrency", "-3", "--start-urls", "baina=http://h/"),
         2, "argument --concurrency: '-3' is not a number of spiders", one_line=False),
    Case("all-concurrency-word", (*CRAWLER, "crawl-all", "--concurrency", "two", "--start-urls", "baina=http://h/"),
         2, "expected a whole number >= 1", one_line=False),
    Case("all-bad-setting", (*CRAWLER, "crawl-all", "--start-urls", "baina=http://h/", "-s",
                             "INCREMENTAL_REFRESH_DAYS=abc"), 2,
         "bad setting INCREMENTAL_REFRESH_DAYS='abc'; expected a number of days >= 0"),
    Case("all-setting-without-value", (*CRAWLER, "crawl-all", "--start-urls", "baina=http://h/", "-s", "RETRY"), 2,
         "bad -s 'RETRY'; expected NAME=VALUE"),
    Case("all-archive-is-a-folder", (*CRAWLER, "crawl-all", "--start-urls", "baina=http://h/", "-s",
                                     "ARCHIVE_URI=sqlite:///{tmp}"), 2, "is a folder, not a file"),
    Case("all-jobdir-is-a-file", (*CRAWLER, "crawl-all", "--start-urls", "baina=http://h/", "-s",
                                  "JOBDIR={tmp}/afile"), 2, "is a file, not a folder", files={"afile": "x"}),
    Case("all-start-urls-file-missing", (*CRAWLER, "crawl-all", "--start-urls-file", "{tmp}/sites.json"), 2,
         "cannot read --start-urls-file"),
    Case("all-start-urls-file-not-an-object", (*CRAWLER, "crawl-all", "--start-urls-file", "{tmp}/sites.json"), 2,
         "holds no JSON object", files={"sites.json": "[1]"}),
    Case("all-start-urls-file-not-json", (*CRAWLER, "crawl-all", "--start-urls-file", "{tmp}/sites.json"), 2,
         "is not JSON", files={"sites.json": "{baina: x"}),
    Case("all-start-urls-file-bad-url", (*CRAWLER, "crawl-all", "--start-urls-file", "{tmp}/sites.json"), 2,
         "bad start URL 'ftp://x/'", files={"sites.json": '{"juyou": ["ftp://x/"]}'}),
    # --- python -m crawler demo -----------------------------------------------------------------
    Case("demo-port-base-too-high", (*CRAWLER, "demo", "--port-base", "99999"), 2,
         "argument --port-base: '99999' is not a usable first port; expected 0 (any free ports) or 1-65532",
         one_line=False),
    Case("demo-port-base-no-room", (*CRAWLER, "demo", "--port-base", "65534"), 2, "is not a usable first port",
         one_line=False),
    Case("demo-port-base-negative", (*CRAWLER, "demo", "--port-base", "-1"), 2, "is not a usable first port",
         one_line=False),
    Case("demo-output-folder-missing", (*CRAWLER, "demo", "--port-base", "0", "-o", "/missing/dir/x.jsonl"), 2,
         "cannot write -o /missing/dir/x.jsonl: the folder /missing/dir does not exist"),
    Case("demo-output-is-a-folder", (*CRAWLER, "demo", "--port-base", "0", "-o", "{tmp}"), 2,
         "it is a folder; pass a file path"),
    Case("demo-archive-is-a-folder", (*CRAWLER, "demo", "--port-base", "0", "--archive", "sqlite:///{tmp}",
                                      "-o", "{tmp}/out.jsonl"), 2, "is a folder, not a file"),
    Case("demo-archive-scheme", (*CRAWLER, "demo", "--port-base", "0", "--archive", "mysql://h/db",
                                 "-o", "{tmp}/out.jsonl"), 2, "unknown archive scheme 'mysql'"),
    Case("crawler-no-command", CRAWLER, 2, "the following arguments are required", one_line=False),
    Case("crawler-unknown-command", (*CRAWLER, "crawl-some"), 2, "invalid choice: 'crawl-some'", one_line=False),
]


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    before: frozenset[str]
    after: frozenset[str]


def listing(folder: Path) -> frozenset[str]:
    return frozenset(str(p.relative_to(folder)) for p in folder.rglob("*"))


def run_case(case: Case, folder: Path) -> Outcome:
    folder.mkdir()
    for name, text in case.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    before = listing(folder)
    argv = [arg.replace("{tmp}", str(folder)) for arg in case.argv]
    # No case may fall back on the checkout's data/archive.db.
    env = {**os.environ, "ARCHIVE_URI": f"sqlite:///{folder}/env.db"}
    if argv[:3] == list(SCRAPY) and argv[3:4] == ["crawl"] and not any(a.startswith("ARCHIVE_URI=") for a in argv):
        argv += ["-s", f"ARCHIVE_URI=sqlite:///{folder}/a.db"]
    # scrapy needs the project's scrapy.cfg; python -m crawler runs where its demo may write data/.
    cwd = ROOT if argv[:3] == list(SCRAPY) else folder
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else str(exc.stderr or "")
        return Outcome(-1, "", f"hung for {TIMEOUT} s\n{stderr[-2000:]}", before, listing(folder))
    return Outcome(done.returncode, done.stdout, done.stderr, before, listing(folder))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    root = tmp_path_factory.mktemp("cli-errors")
    with ThreadPoolExecutor(max_workers=max(4, os.cpu_count() or 1)) as pool:
        futures = {case.id: pool.submit(run_case, case, root / case.id) for case in CASES}
        yield {name: future.result() for name, future in futures.items()}


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_clear_line(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    assert outcome.code == case.code, outcome.stderr[-3000:]
    text = outcome.stdout if case.stream == "stdout" else outcome.stderr
    assert case.fragment in text, text[-3000:]
    assert "s3cret" not in outcome.stdout + outcome.stderr, "a password in a URI is never shown"
    if case.one_line:
        lines = outcome.stderr.splitlines()
        assert len(lines) == 1, outcome.stderr[-3000:]
        assert lines[0].startswith("error: ") and "; " in lines[0], lines[0]
    elif case.code:
        # argparse's and Scrapy's usage errors: the error itself is the last line.
        last = outcome.stderr.splitlines()[-1] if outcome.stderr.strip() else outcome.stdout.splitlines()[-1]
        assert case.fragment in last or case.stream == "stdout", last
    assert outcome.after == outcome.before, "nothing may be written when the input is refused"
