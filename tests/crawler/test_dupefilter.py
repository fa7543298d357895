"""Tests of crawler.dupefilter: the compact fingerprint set and the run-only dupefilter."""

from __future__ import annotations

import hashlib
import random

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter

from crawler.dupefilter import FingerprintSet, RunDupeFilter


def _fp(n: int) -> bytes:
    return hashlib.sha1(str(n).encode()).digest()  # noqa: S324 - test data


def test_fingerprint_set_answers_as_a_set_does_across_merges() -> None:
    seen = FingerprintSet(merge_at=7)
    reference: set[bytes] = set()
    rng = random.Random(3)  # noqa: S311 - test data
    for _ in range(2000):
        fp = _fp(rng.randrange(1500))
        assert (fp in seen) == (fp in reference)
        if fp not in reference:
            seen.add(fp)
            reference.add(fp)
    assert len(seen) == len(reference)
    assert all(_fp(n) in seen for n in range(1500) if _fp(n) in reference)
    assert seen.nbytes == 8 * (len(reference) // 7 * 7)  # merged ones: 8 bytes each
    assert "not bytes" not in seen


def test_run_dupefilter_filters_the_second_request_of_a_url() -> None:
    dupefilter = RunDupeFilter(fingerprinter=RequestFingerprinter())
    assert not dupefilter.request_seen(Request("http://127.0.0.1/a.html"))
    assert not dupefilter.request_seen(Request("http://127.0.0.1/b.html"))
    assert dupefilter.request_seen(Request("http://127.0.0.1/a.html"))
    assert len(dupefilter.seen) == 2
    assert dupefilter.file is None
