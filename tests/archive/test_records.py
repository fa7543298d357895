"""Tests of archive.records, archive.normalize and archive.dedup: the schema types and hashes."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from archive import Capture, Record, content_hash, normalize_text, record_id
from archive.errors import BadFilter
from archive.records import FIELDS, RecordQuery

# Copied from docs/contracts.md on purpose: a change to FIELDS must be a change to the contract.
SCHEMA_ORDER = [
    "id",
    "url",
    "site",
    "title",
    "published_at",
    "text",
    "category",
    "source",
    "keywords",
    "truncated",
    "content_hash",
    "dup_of",
    "crawled_at",
    "collection",
    "extra",
]


def sample_record(**overrides: object) -> Record:
    values: dict[str, object] = {
        "id": "0123456789abcdef",
        "url": "https://www.example.com/a.html#part-2",
        "site": "juyou",
        "title": "篇二",
        "published_at": "2022-09-15T15:10:05+08:00",
        "text": "第一段\n第二段 ***",
        "category": "专题范文 > 讲话稿",
        "source": None,
        "keywords": ["讲话稿"],
        "truncated": True,
        "content_hash": "ab" * 32,
        "dup_of": None,
        "crawled_at": "2026-11-23T17:31:24Z",
        "collection": "讲话稿5篇",
        "extra": {"doc_id": "1999872", "pages": 13},
    }
    values.update(overrides)
    return Record(**values)  # type: ignore[arg-type]


def test_fields_follow_the_contract_order() -> None:
    assert list(FIELDS) == SCHEMA_ORDER
    assert list(sample_record().to_dict()) == SCHEMA_ORDER


def test_dict_and_json_round_trip() -> None:
    record = sample_record()
    assert Record.from_dict(record.to_dict()) == record
    line = record.to_json()
    assert "\n" not in line
    assert "讲话稿" in line  # ensure_ascii=False
    assert list(json.loads(line)) == SCHEMA_ORDER
    assert Record.from_json(line) == record


def test_to_dict_copies_mutable_fields() -> None:
    record = sample_record()
    values = record.to_dict()
    values["keywords"].append("x")
    values["extra"]["y"] = 1
    assert record.keywords == ["讲话稿"]
    assert "y" not in record.extra


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("dup_of"), "missing: dup_of"),
        (lambda d: d.update(bogus=1), "unknown: bogus"),
        (lambda d: d.update(truncated="yes"), "truncated"),
        (lambda d: d.update(keywords="a,b"), "keywords"),
    ],
)
def test_from_dict_rejects_schema_mismatch(change, message: str) -> None:
    values = sample_record().to_dict()
    change(values)
    with pytest.raises(ValueError, match=message):
        Record.from_dict(values)


def test_record_id_is_sha256_prefix() -> None:
    url, chash = "https://www.example.com/1.html", "c" * 64
    expected = hashlib.sha256(f"{url}\0{chash}".encode()).hexdigest()[:16]
    assert record_id(url, chash) == expected


def test_normalize_text_folds_width_and_drops_all_whitespace() -> None:
    text = "第一条\u3000规定\u00a0 ＡＢＣ\t１２３\r\n\u2028末尾 "
    assert normalize_text(text) == "第一条规定ABC123末尾"


def test_content_hash_ignores_layout_whitespace() -> None:
    a = content_hash("第一段\n第二段")
    assert a == content_hash("  第一段 \u3000\n\n第二段\u00a0")
    assert a == hashlib.sha256("第一段第二段".encode()).hexdigest()
    assert a != content_hash("第一段\n第三段")


def test_capture_normalises_and_validates() -> None:
    capture = Capture("https://e.com/", 200, (("A", "b"),), bytearray(b"x"), "2024-01-01T00:00:00Z")  # type: ignore[arg-type]
    assert capture.headers == [("A", "b")]
    assert capture.body == b"x"
    assert capture.request_headers == []
    with pytest.raises(ValueError, match="latin-1"):
        Capture("https://e.com/", 200, [("X", "中文")], b"", "2024-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="CR/LF"):
        Capture("https://e.com/", 200, [("X", "a\r\nY: b")], b"", "2024-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="fetched_at"):
        Capture("https://e.com/", 200, [], b"", "2024-01-01 00:00:00")


def test_record_query_validates() -> None:
    with pytest.raises(BadFilter, match="after until"):
        RecordQuery(since=date(2024, 2, 1), until=date(2024, 1, 1))
    with pytest.raises(BadFilter, match="date field"):
        RecordQuery(date_field="modified")  # type: ignore[arg-type]
