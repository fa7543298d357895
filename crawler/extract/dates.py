"""Publication dates from a page's own date line, in Asia/Shanghai time.

htmldate (inside trafilatura) reads neither 年月日 dates nor times, and happily takes a date
from a sidebar; on this genre the date line (时间:2022-09-15 15:10:05) is reliable, so we read it.
"""

from __future__ import annotations

import re
from datetime import date, time

_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)
_LABELLED = re.compile(r"(?:发布|上传|更新)?(?:时间|日期)\s*[:：]\s*")
SHANGHAI_OFFSET = "+08:00"


def parse_date(text: str, *, labelled_only: bool = False) -> str | None:
    """The first valid date in `text`, as ISO 8601.

    A labelled date (时间:, 发布时间:, 上传时间:, 日期:) wins over an unlabelled one. With a time
    the result carries the Asia/Shanghai offset; without one it is a plain date.

    Args:
        text: the text of a date line.
        labelled_only: ignore dates that do not follow a label.

    Returns:
        `2022-09-15T15:10:05+08:00`, `2023-04-24`, or None.

    >>> parse_date("时间:2022-09-15 15:10:05 来源:网友投稿")
    '2022-09-15T15:10:05+08:00'
    >>> parse_date("发布时间：2023年04月25日")
    '2023-04-25'
    """
    for label in _LABELLED.finditer(text):
        found = _to_iso(_DATE.match(text, label.end()))
        if found:
            return found
    if labelled_only:
        return None
    for match in _DATE.finditer(text):
        found = _to_iso(match)
        if found:
            return found
    return None


def _to_iso(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match["H"] is None:
            return day.isoformat()
        clock = time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
    except ValueError:
        return None
    return f"{day.isoformat()}T{clock.isoformat()}{SHANGHAI_OFFSET}"
