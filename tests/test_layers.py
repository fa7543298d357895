"""The layers import one way: archive <- crawler.extract / crawler.sites <- Scrapy glue."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("modules", "blocked"),
    [
        ("archive, archive.cli", ("scrapy", "crawler", "trafilatura")),
        ("crawler.extract, crawler.sites", ("scrapy",)),
    ],
)
def test_lower_layers_do_not_import_upper_ones(modules: str, blocked: tuple[str, ...]) -> None:
    block = "; ".join(f"sys.modules[{name!r}] = None" for name in blocked)
    code = f"import sys; {block}; import {modules}"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
