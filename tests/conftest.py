"""Shared test fixtures: the bundled sample sites, their expected records, a served copy, and the
PostgreSQL server (``tests.postgres_server``: one per session, for the archive and crawler tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from samples.serve import DEFAULT_SITES_ROOT, load_site_config, serve_all
from tests.postgres_server import postgres_server, postgres_template, postgres_uri

# Fixtures, re-exported for pytest here so that tests/archive and tests/crawler share one server.
__all__ = ["postgres_server", "postgres_template", "postgres_uri"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASSETTES = FIXTURES / "cassettes"
# The ports the cassettes were recorded on (python -m samples.serve --port-base 8101).
RECORDED_PORT_BASE = 8101


@dataclass(frozen=True)
class Case:
    """One expected-output file of tests/fixtures/extract/<site>/<case>.json."""

    name: str
    site: str
    path: str
    data: dict[str, Any]

    @property
    def records(self) -> list[dict[str, Any]]:
        return list(self.data.get("records") or [])

    @property
    def skip(self) -> str | None:
        return self.data.get("skip")

    @property
    def pages(self) -> list[str]:
        return list(self.data.get("pages") or [self.path])


def load_cases() -> list[Case]:
    cases = []
    for path in sorted((FIXTURES / "extract").glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases.append(Case(f"{path.parent.name}/{path.stem}", data["site"], data["path"], data))
    return cases


def page_file(site: str, url_path: str) -> Path:
    """The file the sample server sends for a URL path."""
    target = DEFAULT_SITES_ROOT / site / "www" / url_path.lstrip("/")
    return target / "index.html" if url_path.endswith("/") else target


def content_type(site: str, url_path: str) -> str:
    """The Content-Type header the sample server sends for a URL path."""
    config = load_site_config(DEFAULT_SITES_ROOT / site)
    override = config["paths"].get(url_path, {}).get("headers", {})
    for name, value in override.items():
        if name.lower() == "content-type":
            return str(value)
    if url_path.endswith("/") or url_path.endswith((".html", ".htm")):
        return f"text/html; charset={config['charset']}"
    return "application/octet-stream"


def recorded_base(site: str) -> str:
    """The base URL a site's cassette was recorded from."""
    keys = sorted(p.name for p in DEFAULT_SITES_ROOT.iterdir() if (p / "www").is_dir())
    return f"http://127.0.0.1:{RECORDED_PORT_BASE + keys.index(site)}"


@pytest.fixture(scope="session")
def sample_sites() -> Any:
    """The four sample sites served on 127.0.0.1 for the whole session: {site: base_url}."""
    with serve_all() as urls:
        yield urls
