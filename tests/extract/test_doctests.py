"""The examples in the extraction modules' docstrings run, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "crawler.extract",
    "crawler.extract.compilation",
    "crawler.extract.dates",
    "crawler.extract.encoding",
    "crawler.extract.repeated",
    "crawler.extract.text",
    "crawler.extract.treetext",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
