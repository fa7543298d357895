"""A request queue a killed crawl left (no active.json) is set aside, never read."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from crawler.scheduler import set_aside_killed_queue

if TYPE_CHECKING:
    from pathlib import Path


def test_a_queue_without_active_json_is_moved_aside(tmp_path: Path) -> None:
    queue = tmp_path / "requests.queue"
    (queue / "127.0.0.1-abc").mkdir(parents=True)
    (queue / "127.0.0.1-abc" / "1").write_bytes(b"\x00\x01")  # torn: shorter than its header
    aside = set_aside_killed_queue(queue)
    assert aside is not None and (aside / "127.0.0.1-abc" / "1").read_bytes() == b"\x00\x01"
    assert queue.is_dir() and not any(queue.iterdir())


def test_a_queue_a_crawl_closed_is_kept(tmp_path: Path) -> None:
    queue = tmp_path / "requests.queue"
    (queue / "127.0.0.1-abc").mkdir(parents=True)
    (queue / "active.json").write_text(json.dumps({"127.0.0.1-abc": [1]}))
    assert set_aside_killed_queue(queue) is None
    assert (queue / "127.0.0.1-abc").is_dir()


def test_no_queue_or_an_empty_one_is_left_alone(tmp_path: Path) -> None:
    assert set_aside_killed_queue(tmp_path / "missing") is None
    (tmp_path / "empty").mkdir()
    assert set_aside_killed_queue(tmp_path / "empty") is None
