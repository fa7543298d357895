"""Every sample page against its hand-checked expected record(s) (tests/fixtures/extract).

One parametrised test over all sites rather than a file per site: a site's cases are data,
so adding a site adds fixture files, not test code.
"""

from __future__ import annotations

import pytest

from crawler.extract import Extracted, Skipped, extract_page, merge_pages
from crawler.sites import SITES
from tests.conftest import Case, content_type, load_cases, page_file

CASES = load_cases()
BASE = "http://127.0.0.1:8000"
COMPARED = ("title", "published_at", "category", "source", "keywords", "truncated", "collection", "extra")


def extract_case(case: Case) -> Extracted | Skipped:
    profile = SITES[case.site]
    first, *rest = case.pages
    result = extract_page(
        page_file(case.site, first).read_bytes(), BASE + first, profile,
        content_type=content_type(case.site, first),
    )
    if not rest or isinstance(result, Skipped):
        return result
    further = []
    for path in rest:
        page = extract_page(
            page_file(case.site, path).read_bytes(), BASE + path, profile,
            content_type=content_type(case.site, path), continuation=True,
        )
        assert isinstance(page, Extracted), f"{path}: {page}"
        further.append(page.documents[0])
    assert [BASE + p for p in rest] == list(result.documents[0].next_pages)
    return Extracted((merge_pages(result.documents[0], further),))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sample_page(case: Case) -> None:
    if case.skip == "not_found":
        # A broken link: the server answers 404 and the spider never extracts it.
        assert not page_file(case.site, case.path).exists()
        return
    result = extract_case(case)
    if case.skip:
        assert isinstance(result, Skipped), f"expected skip {case.skip}, got {result}"
        assert result.reason == case.skip or case.skip == "other"
        return
    assert isinstance(result, Extracted), result
    assert len(result.documents) == len(case.records)
    for document, expected in zip(result.documents, case.records, strict=True):
        assert document.url == BASE + case.path + expected.get("url_suffix", "")
        assert document.text == expected["text"]
        got = document.record_fields()
        for name in COMPARED:
            assert got[name] == (expected.get(name) if name != "keywords" else list(expected[name])), name
        for phrase in case.data.get("must_not_contain", []):
            assert phrase not in document.text


def test_cases_cover_every_site() -> None:
    assert {c.site for c in CASES} == set(SITES)
