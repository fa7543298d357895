"""`KillSafeScheduler`: Scrapy's scheduler, which never reads a request queue a killed crawl left.

With JOBDIR, Scrapy keeps pending requests in disk queues and writes which ones are live
(`requests.queue/active.json`) when the crawl closes. A crawl killed outright (SIGKILL, the OOM
killer, a power cut) writes no `active.json`, and its queue files may end mid-record. Scrapy
then starts with no live queues but reuses those files as soon as a request of the same
priority is pushed, and fails reading them ("unpack requires a buffer of 4 bytes"), losing the
list page whose links were being queued. Here such a queue is moved aside instead: the resumed
crawl finds every page again from its start URLs, and the archive says which documents are done
(see crawler/dupefilter.py).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.core.scheduler import Scheduler

if TYPE_CHECKING:
    from scrapy import Spider
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


class KillSafeScheduler(Scheduler):
    """Scrapy's Scheduler; a disk queue without `active.json` is set aside at open."""

    def open(self, spider: Spider) -> Deferred[None] | None:
        if self.dqdir:
            set_aside_killed_queue(Path(self.dqdir))
        return super().open(spider)


def set_aside_killed_queue(queue_dir: Path) -> Path | None:
    """Move a request queue that has files but no `active.json` to a sibling folder; return it."""
    if not queue_dir.is_dir() or (queue_dir / "active.json").exists() or not any(queue_dir.iterdir()):
        return None
    aside = queue_dir.with_name(f"{queue_dir.name}.killed-{time.strftime('%Y%m%dT%H%M%S')}")
    shutil.move(str(queue_dir), aside)
    queue_dir.mkdir()
    logger.warning(
        "the last crawl of this JOBDIR was killed: its request queue is kept in %s, unread; "
        "pages are found again from the start URLs, and archived ones are not fetched again",
        aside,
    )
    return aside
