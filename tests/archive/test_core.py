"""Tests of archive.core.Archive: versions, exact and near duplicates, sightings, queries."""

from __future__ import annotations

from datetime import date

import pytest

from archive import Archive, BadFilter, NearDupIndex, RecordNotFound, content_hash, record_id

URL_A = "https://www.example.com/fanwen/1.html"
# Other hosts: the same text and title on the same host is one record seen at two URLs (an alias),
# and these tests mean copies on other sites. They sort after URL_A, so with equal dates URL_A's
# copy is the first (see test_first_copy.py for the rule).
URL_B = "https://www.example.net/fanwen/2.html"
URL_C = "https://www.example.org/fanwen/3.html"


def test_add_new_record_computes_hash_and_id(archive: Archive, doc) -> None:
    result = archive.add(doc())
    record = result.record
    assert result.status == "new"
    assert record.content_hash == content_hash(doc()["text"])
    assert record.id == record_id(URL_A, record.content_hash)
    assert record.dup_of is None
    assert archive.get(record.id) == record
    assert archive.sightings(record.id) == [(URL_A, "2024-03-01T08:00:00Z")]


def test_add_round_trip_preserves_every_field(archive: Archive, doc) -> None:
    extra = {"doc_id": "1999872", "size": "24.06KB", "pages": 13, "format": "DOCX"}
    record = archive.add(
        doc(extra=extra, truncated=True, collection="讲话稿5篇", source=None)
    ).record
    values = record.to_dict()
    for key, value in doc(extra=extra, truncated=True, collection="讲话稿5篇", source=None).items():
        assert values[key] == value
    assert archive.get(record.id).to_dict() == values


def test_unchanged_readd_adds_only_a_sighting(archive: Archive, doc) -> None:
    first = archive.add(doc()).record
    # Same text modulo whitespace: the same content hash, hence unchanged.
    again = archive.add(
        doc(text=doc()["text"].replace("\n", "\n\u3000 "), crawled_at="2024-03-08T08:00:00Z")
    )
    assert again.status == "unchanged"
    assert again.record == first
    assert archive.versions(URL_A) == [first]
    assert archive.sightings(first.id) == [
        (URL_A, "2024-03-01T08:00:00Z"),
        (URL_A, "2024-03-08T08:00:00Z"),
    ]


def test_changed_text_makes_a_second_version(archive: Archive, doc) -> None:
    first = archive.add(doc()).record
    result = archive.add(doc(text="全新的正文内容", crawled_at="2024-04-01T00:00:00Z"))
    assert result.status == "changed"
    assert result.record.dup_of is None
    assert [r.id for r in archive.versions(URL_A)] == [first.id, result.record.id]
    assert archive.get(first.id) == first


def test_exact_duplicates_point_at_the_first_record(archive: Archive, doc) -> None:
    first = archive.add(doc(url=URL_A)).record
    second = archive.add(doc(url=URL_B, site="juyou"))
    third = archive.add(doc(url=URL_C, text=doc()["text"] + "  \n"))
    assert (second.status, second.match) == ("duplicate", "exact")
    assert second.record.dup_of == first.id
    assert third.status == "duplicate"
    assert third.record.dup_of == first.id  # the root, not the second copy


def test_changed_version_matching_another_url_gets_dup_of(archive: Archive, doc) -> None:
    # Published before URL_A's page, so it stays the first copy (the changed version sorts after).
    other = archive.add(doc(url=URL_B, text="另一篇文章的正文", published_at="2023-01-01")).record
    archive.add(doc(url=URL_A))
    result = archive.add(doc(url=URL_A, text="另一篇文章的正文"))
    assert (result.status, result.match) == ("changed", "exact")
    assert result.record.dup_of == other.id


def test_page_reverting_to_old_text_is_a_sighting_of_the_old_version(archive: Archive, doc) -> None:
    v1 = archive.add(doc(crawled_at="2024-01-01T00:00:00Z")).record
    v2 = archive.add(doc(text="修改后的正文", crawled_at="2024-02-01T00:00:00Z")).record
    back = archive.add(doc(crawled_at="2024-03-01T00:00:00Z"))
    assert back.status == "unchanged"
    assert back.record == v1
    assert [r.id for r in archive.iter_records(latest_only=True)] == [v1.id]
    assert len(archive.versions(URL_A)) == 2
    assert v2.id not in [r.id for r in archive.iter_records(latest_only=True)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": ""}, "no url"),
        ({"site": None}, "no site"),
        ({"text": " \n\u3000"}, "empty text"),
        ({"id": "x"}, "unknown document key"),
        ({"crawled_at": "2024-03-01 08:00"}, "crawled_at"),
        ({"keywords": "通知"}, "keywords"),
        ({"extra": {"when": date(2024, 1, 1)}}, "JSON"),
    ],
)
def test_add_rejects_bad_documents(archive: Archive, doc, overrides, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        archive.add(doc(**overrides))
    assert list(archive.iter_records()) == []


def test_nul_characters_are_dropped_on_every_store(archive: Archive, doc) -> None:
    # PostgreSQL refuses U+0000 in text and jsonb; SQLite would keep it. Both store the same.
    record = archive.add(doc(title="通\x00知", text="第一段\x00\n第二段", keywords=["a\x00"],
                             extra={"note\x00": ["x\x00y"]})).record
    stored = archive.get(record.id)
    assert stored is not None
    assert (stored.title, stored.text, stored.keywords, stored.extra) == (
        "通知", "第一段\n第二段", ["a"], {"note": ["xy"]})
    assert archive.add(doc(title="通知", text="第一段\n第二段", keywords=["a"],
                           extra={"note": ["xy"]})).status == "unchanged"


def test_missing_optional_keys_get_defaults(archive: Archive) -> None:
    record = archive.add(
        {"url": URL_A, "site": "generic", "text": "正文", "keywords": ["a", "b", "a"]}
    ).record
    assert record.title == ""
    assert record.keywords == ["a", "b"]
    assert record.extra == {}
    assert record.truncated is False
    assert record.crawled_at.endswith("Z")
    assert len(record.crawled_at) == 20


def test_none_values_count_as_absent(archive: Archive, doc) -> None:
    values = dict.fromkeys(("title", "keywords", "truncated", "extra", "published_at"))
    record = archive.add(doc(**values)).record
    assert (record.title, record.keywords, record.truncated, record.extra) == ("", [], False, {})
    assert record.published_at is None


def test_get_unknown_id_raises(archive: Archive) -> None:
    with pytest.raises(RecordNotFound, match="no record with id 'nope'"):
        archive.get("nope")
    with pytest.raises(RecordNotFound):
        archive.sightings("nope")


class FakeNearIndex:
    """Stands in for the MinHash-LSH index: 'near' means equal after dropping punctuation."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.sketched: list[str] = []
        self.added: list[tuple[str, str | None]] = []

    @staticmethod
    def _key(text: str) -> str:
        return "".join(ch for ch in text if ch not in "，。：；！？ \n")

    def sketch(self, text: str) -> str:
        self.sketched.append(text)
        return self._key(text)

    def find(self, sketch: str, *, url: str) -> str | None:
        for rid, known in self.texts.items():
            if known == sketch:
                return rid
        return None

    def add(self, record_id: str, sketch: str | None) -> None:
        self.added.append((record_id, sketch))
        if sketch is not None:
            self.texts[record_id] = sketch


def test_near_index_is_asked_and_fed_in_the_transaction(archive: Archive, doc) -> None:
    near = FakeNearIndex()
    archive.near_index = near
    assert isinstance(near, NearDupIndex)
    first = archive.add(doc(url=URL_A, text="第一段，内容。"))
    exact = archive.add(doc(url=URL_B, text="第一段，内容。"))
    near_dup = archive.add(doc(url=URL_C, text="第一段内容"))
    # Sketched once per record that has no exact duplicate (on PostgreSQL every text, before
    # the write lock); an exact duplicate is added as None.
    if archive.store.contended:
        assert near.sketched == ["第一段，内容。", "第一段，内容。", "第一段内容"]
    else:
        assert near.sketched == ["第一段，内容。", "第一段内容"]
    assert near.added == [
        (first.record.id, "第一段内容"),
        (exact.record.id, None),
        (near_dup.record.id, "第一段内容"),
    ]
    assert (first.status, first.match) == ("new", None)
    assert (exact.status, exact.match) == ("duplicate", "exact")
    assert (near_dup.status, near_dup.match) == ("duplicate", "near")
    assert near_dup.record.dup_of == first.record.id
    again = archive.add(doc(url=URL_C, text="第一段内容"))  # unchanged: nothing new to index
    assert (again.status, again.match) == ("unchanged", None)
    assert len(near.added) == 3


def test_near_index_failure_rolls_back_the_record(archive: Archive, doc) -> None:
    class Failing(FakeNearIndex):
        def add(self, record_id: str, sketch: str | None) -> None:
            raise RuntimeError("index write failed")

    archive.near_index = Failing()
    with pytest.raises(RuntimeError, match="index write failed"):
        archive.add(doc())
    assert list(archive.iter_records()) == []


@pytest.fixture
def filled(archive: Archive, doc) -> Archive:
    archive.add(
        doc(url=URL_A, text="甲", published_at="2023-04-24", crawled_at="2024-01-01T23:59:59Z")
    )
    archive.add(
        doc(
            url=URL_B,
            text="乙",
            site="juyou",
            published_at="2022-09-15T15:10:05+08:00",
            crawled_at="2024-01-02T00:00:00Z",
            truncated=True,
        )
    )
    archive.add(
        doc(
            url=URL_C, text="甲", site="juyou", published_at=None, crawled_at="2024-01-03T00:00:00Z"
        )
    )
    archive.add(
        doc(url=URL_A, text="甲二", published_at="2023-05-01", crawled_at="2024-01-04T00:00:00Z")
    )
    return archive


def _texts(records) -> list[str]:
    return [r.text for r in records]


def test_iter_records_filters(filled: Archive) -> None:
    assert _texts(filled.iter_records()) == ["甲", "乙", "甲", "甲二"]
    assert _texts(filled.iter_records(site="juyou")) == ["乙", "甲"]
    assert _texts(filled.iter_records(since=date(2024, 1, 2), until=date(2024, 1, 3))) == [
        "乙",
        "甲",
    ]
    assert _texts(filled.iter_records(until=date(2024, 1, 1))) == ["甲"]  # inclusive end of day
    published = filled.iter_records(date_field="published", since=date(2023, 1, 1))
    assert _texts(published) == ["甲", "甲二"]
    # With a bound on published_at, undated records are left out; without one they are kept.
    assert _texts(filled.iter_records(date_field="published", until=date(2022, 9, 15))) == ["乙"]
    assert len(list(filled.iter_records(date_field="published"))) == 4
    assert _texts(filled.iter_records(latest_only=True)) == ["乙", "甲", "甲二"]


def test_iter_records_streams(filled: Archive) -> None:
    iterator = filled.iter_records()
    assert next(iterator).text == "甲"
    assert not isinstance(iterator, list)


def test_records_added_while_iterating_are_not_yielded(filled: Archive, doc) -> None:
    seen = []
    for record in filled.iter_records():
        seen.append(record.text)
        filled.add(doc(url=record.url, text=record.text + "（修订）"))
    assert seen == ["甲", "乙", "甲", "甲二"]
    assert len(list(filled.iter_records())) == 8


def test_iter_records_rejects_since_after_until(filled: Archive) -> None:
    with pytest.raises(BadFilter, match="after until"):
        filled.iter_records(since=date(2024, 2, 1), until=date(2024, 1, 1))


def test_sites_and_stats(filled: Archive) -> None:
    assert filled.sites() == ["baina", "juyou"]
    stats = filled.stats()
    assert stats["sites"] == {
        "baina": {"records": 2, "duplicates": 0, "truncated": 0, "urls": 1},
        "juyou": {"records": 2, "duplicates": 1, "truncated": 1, "urls": 2},
    }
    assert stats["months"] == {"2022-09": 1, "2023-04": 1, "2023-05": 1, "unknown": 1}
    assert stats["total"] == {
        "records": 4,
        "duplicates": 1,
        "truncated": 1,
        "urls": 3,
        "captures": 0,
    }


def test_iter_records_distinct_gives_each_document_once(filled: Archive) -> None:
    # filled: A 甲 (root), B 乙, C 甲 (duplicate of A), then A changes to 甲二.
    assert _texts(filled.iter_records(distinct=True)) == ["甲", "乙", "甲二"]
    # A's first version is no longer A's latest, but its document is still current at C.
    assert _texts(filled.iter_records(distinct=True, latest_only=True)) == ["甲", "乙", "甲二"]
    # Documents with a copy on juyou: B, and A's first version through its copy C.
    assert _texts(filled.iter_records(distinct=True, site="juyou")) == ["甲", "乙"]
    assert _texts(filled.iter_records(site="juyou")) == ["乙", "甲"]  # unchanged semantics


def test_document_sightings_cover_every_copy(archive: Archive, doc) -> None:
    root = archive.add(doc(url=URL_A, crawled_at="2024-01-01T00:00:00Z")).record
    copy = archive.add(doc(url=URL_B, site="juyou", crawled_at="2024-01-02T00:00:00Z")).record
    archive.add(doc(url=URL_B, site="juyou", crawled_at="2024-01-05T00:00:00Z"))
    archive.add(doc(url=URL_A, crawled_at="2024-01-03T00:00:00Z"))
    archive.add(doc(url=URL_C, text="另一篇", crawled_at="2024-01-04T00:00:00Z"))
    expected = [
        (URL_A, "2024-01-01T00:00:00Z", root.id),
        (URL_B, "2024-01-02T00:00:00Z", copy.id),
        (URL_A, "2024-01-03T00:00:00Z", root.id),
        (URL_B, "2024-01-05T00:00:00Z", copy.id),
    ]
    assert archive.document_sightings(root.id) == expected
    assert archive.document_sightings(copy.id) == expected  # a copy stands for its document
    assert archive.document_sightings(root.id)[0].seen_at == "2024-01-01T00:00:00Z"
    assert archive.duplicates(root.id) == [copy]
    assert archive.duplicates(copy.id) == []
    with pytest.raises(RecordNotFound):
        archive.document_sightings("nope")


def test_latest_is_the_version_last_seen(archive: Archive, doc) -> None:
    v1 = archive.add(doc(text="第一版", crawled_at="2024-01-01T00:00:00Z")).record
    v2 = archive.add(doc(text="第二版", crawled_at="2024-02-01T00:00:00Z")).record
    assert archive.latest(URL_A) == v2
    archive.add(doc(text="第一版", crawled_at="2024-03-01T00:00:00Z"))
    assert archive.latest(URL_A) == v1
    assert archive.latest(URL_B) is None
