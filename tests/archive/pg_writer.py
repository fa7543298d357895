"""One writer of the concurrency test: ``python -m tests.archive.pg_writer URI K N GO_FILE``.

Writer ``K`` adds the test's ``N`` texts, each at a URL of its own site (``w{K}.example``): the
even ones as they are, the odd ones with a tail of its own (a near duplicate of every other
writer's copy). It waits for ``GO_FILE`` to exist, so that all writers start at once, and
prints its statuses as one JSON object.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from archive import open_archive


def text(i: int) -> str:
    """Text ``i``: 300 random CJK characters in sentences; two texts are never near each other."""
    rng = random.Random(i)  # noqa: S311 - test data
    chars = [chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(300)]
    return "。".join("".join(chars[j : j + 20]) for j in range(0, 300, 20)) + "。"


def variant(i: int, writer: int) -> str:
    """What writer ``writer`` stores of text ``i``: odd texts get a tail of its own."""
    return text(i) if i % 2 == 0 else text(i) + f"本文转载自第{writer}号网站,仅供参考。"


def main(argv: list[str]) -> int:
    uri, writer, count, go = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    statuses: Counter[str] = Counter()
    with open_archive(uri) as archive:
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        started = time.perf_counter()
        order = list(range(count))
        random.Random(writer).shuffle(order)  # noqa: S311 - test data
        for i in order:
            doc = {"url": f"https://w{writer}.example/{i}.html", "site": f"w{writer}", "title": f"第{i}篇",
                   "text": variant(i, writer), "crawled_at": "2026-12-01T00:00:00Z"}
            statuses[archive.add(doc).status] += 1
        elapsed = time.perf_counter() - started
    print(json.dumps({"statuses": statuses, "seconds": elapsed}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
