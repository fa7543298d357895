"""The quality gate runs with the tests: no score may fall below its pinned floor."""

from __future__ import annotations

import json

from tests.quality import gate


def test_scores_hold_their_floors() -> None:
    floors = json.loads(gate.BASELINE.read_text(encoding="utf-8"))
    assert gate.compare(gate.measure(), floors) == []


def test_a_drop_is_reported() -> None:
    assert gate.compare({"dedup/recall": 0.9}, {"dedup/recall": 0.95}) == ["dedup/recall: 0.9000 < floor 0.9500"]
    assert gate.compare({}, {"dedup/recall": 0.95}) == ["dedup/recall: no longer measured (floor 0.9500)"]
