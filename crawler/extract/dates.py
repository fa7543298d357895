"""Publication dates from a page's own date line, resolved in Asia/Shanghai.

We only *locate* date-looking text (after a 时间:/发布时间:/上传时间: label when there is one);
dateparser parses it, 年月日, slashes and relative dates (3天前, 昨天 14:20) included. htmldate,
inside trafilatura, reads neither 年月日 dates nor times and happily takes a sidebar's date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from dateparser.date import DateDataParser

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

# 时间:/日期: alone label the page's date, but 成文日期: (a 公文's signing date), 会议时间:,
# 截止日期: or a forum user card's 注册时间: name another date.
_LABEL = re.compile(
    r"(?:(?:(?:发布|上传|更新|发表|录入)|(?<!成文|生效|印发|实施|截止|会议|活动|报名|开始|结束|出生|注册|登录))"
    r"(?:时间|日期)\s*[:：]|(?:发布|发表|更新|上传)于\s*[:：]?)\s*"
)
# A time may follow a weekday (2024年5月22日週三 上午8:21) and say 上午/下午 for a 12-hour clock.
_WEEKDAY_WORD = r"(?:星期|礼拜|周|週)[一二三四五六日天]"
_WEEKDAY = rf"(?:\s*{_WEEKDAY_WORD})?"
_MERIDIEM = r"(?:上午|下午|中午|晚上|凌晨|早上)?"
_TIME = _WEEKDAY + r"(?:(?:\s*|T)" + _MERIDIEM + r"\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2})?)?"
_AFTERNOON = re.compile(r"(?:下午|晚上)(\d{1,2})")
_MIDNIGHT = re.compile(r"(?:上午|凌晨)12(?=\s*[:：])")
_CLOCK_WORDS = re.compile(rf"{_WEEKDAY_WORD}|上午|中午|凌晨|早上")
_ABSOLUTE = r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?" + _TIME
# Drupal and other English-made CMSs write month/day/year: 06/02/2022 - 13:48.
_MONTH_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?:\s*-?\s*(\d{1,2}:\d{2}(?::\d{2})?))?")
# A yearless 09-30 or 9月30日 (list-style portals) takes its year from the fetch date.
_YEARLESS = re.compile(r"(?:(\d{2})-|(\d{1,2})\s*月\s*)(\d{1,2})(?:\s*日)?(?:\s+(\d{1,2}:\d{2}(?::\d{2})?))?")
_RELATIVE = (
    r"(?:(?:\d+|半)\s*(?:秒钟?|分钟|小时|天|周|个月)前"
    r"|(?:今天|昨天|前天)\s*\d{1,2}\s*[:：]\s*\d{2}"
    r"|(?:刚刚|今天|昨天|前天)(?=\s*(?:$|[|｜/\s]|来源|作者|阅读|浏览)))"
)
_DATEISH = re.compile(f"{_ABSOLUTE}|{_MONTH_FIRST.pattern}|{_RELATIVE}")


@lru_cache(maxsize=64)
def _parser(base: datetime | None, relative: bool) -> DateDataParser:
    settings: dict[str, object] = {
        # A fixed +08:00, as SHANGHAI: the tz database's Asia/Shanghai has the summer time of
        # 1986-1991 and the local mean time of 1900, and dateparser answered in them, so a date
        # of those summers came back a day early (1990年7月1日 -> 1990-06-30).
        "TIMEZONE": "+0800",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RETURN_TIME_AS_PERIOD": True,
        "PREFER_DATES_FROM": "past",
        # A token is known to be absolute or relative already: skip the other parser.
        "PARSERS": ["relative-time"] if relative else ["absolute-time"],
    }
    if base is not None:
        settings["RELATIVE_BASE"] = base
    return DateDataParser(languages=["zh"], settings=settings)


# The numeric forms of nearly every date line (2022-09-15 15:10:05, 2023年04月25日, 2023/4/25 8:05),
# read directly: dateparser takes a millisecond a token, more than the rest of the date line.
# Anything else, or out of range (dateparser reads 2023-13-05 as 13 May), is left to dateparser.
_NUMERIC = re.compile(
    r"\s*(?P<year>(?:19|20)[0-9]{2})\s*(?:"
    r"(?P<sep>[-/.])\s*(?P<month>[0-9]{1,2})\s*(?P=sep)\s*(?P<day>[0-9]{1,2})"
    r"|年\s*(?P<cn_month>[0-9]{1,2})\s*月\s*(?P<cn_day>[0-9]{1,2})\s*日?)"
    r"(?:(?:(?<=日)\s*|\s+|T)(?P<hour>[0-9]{1,2})[:：](?P<minute>[0-9]{1,2})(?:[:：](?P<second>[0-9]{1,2}))?)?\s*"
)


def _numeric(token: str) -> str | None:
    """The ISO form of a numeric date token, or None to leave it to dateparser."""
    match = _NUMERIC.fullmatch(token)
    if match is None:
        return None
    year = int(match["year"])
    month, day = int(match["month"] or match["cn_month"]), int(match["day"] or match["cn_day"])
    try:
        if match["hour"] is None:
            return date(year, month, day).isoformat()
        clock = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
        return datetime(year, month, day, *clock, tzinfo=SHANGHAI).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse_token(token: str, base: datetime | None, relative: bool) -> str | None:
    data = _parser(base, relative).get_date_data(token)
    if data.date_obj is None:
        return None
    moment: datetime = data.date_obj.astimezone(SHANGHAI)
    if data.period == "time":
        return moment.replace(microsecond=0).isoformat()
    return moment.date().isoformat()


def _iso(token: str, now: datetime | None) -> str | None:
    if month_first := _MONTH_FIRST.fullmatch(token):
        month, day, year, time = month_first.groups()
        token = f"{year}-{month}-{day} {time or ''}".strip()
    # dateparser reads neither weekdays nor 上午/下午 after a date: give it a 24-hour clock.
    token = _AFTERNOON.sub(lambda m: f" {int(m.group(1)) % 12 + 12}", _MIDNIGHT.sub(" 0", token))
    token = _CLOCK_WORDS.sub(" ", token)
    relative = re.fullmatch(_RELATIVE, token) is not None
    if not relative and (found := _numeric(token)):
        return found
    base = now.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0) if relative and now else None
    return _parse_token(token, base, relative)


def is_date_label(text: str) -> bool:
    """Whether `text` is only a date label (发布日期：), its date in the next cell of a table."""
    return _LABEL.fullmatch(text.strip()) is not None


def parse_date(text: str, *, now: datetime | None = None, labelled_only: bool = False) -> str | None:
    """The first valid date in `text`, as ISO 8601.

    A labelled date (时间:, 发布时间:, 上传时间:, 日期:) wins over an unlabelled one. With a time
    the result carries the Asia/Shanghai offset; without one it is a plain date.

    Args:
        text: the text of a date line.
        now: when the page was fetched, for relative dates (3天前); default: the current time.
        labelled_only: ignore dates that do not follow a label.

    Returns:
        `2022-09-15T15:10:05+08:00`, `2023-04-24`, or None.

    >>> parse_date("时间:2022-09-15 15:10:05 来源:网友投稿")
    '2022-09-15T15:10:05+08:00'
    >>> parse_date("发布时间：2023年04月25日")
    '2023-04-25'
    >>> parse_date("发布于 昨天 14:20", now=datetime(2024, 3, 10, 12, tzinfo=SHANGHAI))
    '2024-03-09T14:20:00+08:00'
    >>> parse_date("成文日期：2023-04-20", labelled_only=True) is None
    True
    """
    for label in _LABEL.finditer(text):
        match = _DATEISH.match(text, label.end())
        found = _iso(match.group(0), now) if match else _yearless(_YEARLESS.match(text, label.end()), now)
        if found:
            return found
    if labelled_only:
        return None
    for match in _DATEISH.finditer(text):
        found = _iso(match.group(0), now)
        if found:
            return found
    # Unlabelled, a yearless date counts only as a whole line: 3-5 inside a sentence is no date.
    return _yearless(_YEARLESS.fullmatch(text.strip()), now)


def _yearless(match: re.Match[str] | None, now: datetime | None) -> str | None:
    """A month and day (and time) in the year of `now`, or the year before when that is later."""
    if match is None:
        return None
    dashed, named, day, time = match.groups()
    month = dashed or named
    today = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    for year in (today.year, today.year - 1):
        try:
            found = _iso(f"{year}-{int(month):02d}-{int(day):02d} {time or ''}".strip(), now)
        except ValueError:
            return None
        if found and found[:10] <= today.date().isoformat():
            return found
    return None
