"""A local fault-injection web site: template-site pages, each kind of fault under its own path.

    with serve_faults() as site:
        site.url("hang")          # http://127.0.0.1:PORT/hang/index.html
        ...crawl it...
        site.requests("hang")     # what the crawler asked the main server for
        site.other_requests()     # any entry here is a scope violation
        site.ftp_connections()    # so is any count here

Every kind is a small site under `/<kind>/`: an index page linking to 8 good document pages
(`/<kind>/doc-1.html` … `doc-8.html`, Chinese official-style prose, a title, a date) plus the
fault (`FaultSite.fault_url(kind)`; `KINDS` says what each one does). The texts are generated
from a seed per page, so every run serves the same bytes and no two pages share a paragraph.

Three servers run on loopback ports picked by the OS:
- the main one (`.base`), with `/robots.txt` (everything allowed except `/robots/private/`) and
  `/sitemap.xml` at the root;
- `.other`: another port on the same host, which logs every request and answers each with a
  document page, so a crawler that leaves its origin is both seen and tempted to store it;
- a TCP listener (`.ftp_port`) that only counts connection attempts, for `ftp://` links.

The root sitemap is fetched by every crawl of this origin, whatever kind it starts at, so it
lists only what the `scope` kind needs: pages on the other port. Serve only the kind under test
(`serve_faults(kinds=["clean"])`) to keep those entries out of other kinds' crawls; with every
kind served, a crawler that does not check the port is lured off-site by the sitemap whatever
it crawls. Kinds not served answer 404, and pages link only inside their own kind, so a crawl
of one kind never wanders into another.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import socket
import threading
import time
import zlib
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

DOCUMENTS = 8
RETRY_AFTER_SECONDS = 30
TRUNCATED_CLAIMED = 50_000
TRUNCATED_SENT = 1_000
GZIP_BOMB_INFLATED = 1 << 30
HUGE_PAGE_BYTES = 20 << 20
DEEP_DOM_DEPTH = 10_000
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Kind:
    """One fault kind.

    Attributes:
        name: The path prefix, `/<name>/`.
        fault: The fault page's path, or None (clean).
        does: What the site does.
        expected: What a robust crawler makes of it.
        bad: Paths (on the main server) whose record would be bad content.
        stores_fault: A robust crawler stores the fault page as a record too.
    """

    name: str
    fault: str | None
    does: str
    expected: str
    bad: tuple[str, ...] = ()
    stores_fault: bool = False


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {kind.name: kind for kind in kinds}


KINDS: dict[str, Kind] = _kinds(
    Kind("clean", None, "no fault", "8 records (the baseline for RSS and time)"),
    Kind(
        "scope",
        "/scope/moved.html",
        "links to the other port, to ftp://, mailto: and javascript:; the root sitemap lists "
        "other-port pages; moved.html answers 302 to the other port",
        "no request reaches the other port, no ftp connection",
    ),
    Kind(
        "retry_after",
        "/retry_after/doc-busy.html",
        f"doc-busy answers 503 with Retry-After: {RETRY_AFTER_SECONDS} the first time, then 200",
        f"stored; the run at most ~{RETRY_AFTER_SECONDS + 5} s longer than clean",
        stores_fault=True,
    ),
    Kind("http500", "/http500/doc-error.html", "always 500", "a counted page error, no record",
         bad=("/http500/doc-error.html",)),
    Kind("hang", "/hang/doc-hang.html", "accepts the connection and never answers",
         "bounded by DOWNLOAD_TIMEOUT x attempts", bad=("/hang/doc-hang.html",)),
    Kind(
        "truncated",
        "/truncated/doc-truncated.html",
        f"Content-Length: {TRUNCATED_CLAIMED}, closes after {TRUNCATED_SENT} bytes",
        "a counted error, no record",
        bad=("/truncated/doc-truncated.html",),
    ),
    Kind("redirect_loop", "/redirect_loop/a.html", "a.html -> b.html -> a.html ... (302)",
         "ends, counted, no record", bad=("/redirect_loop/a.html", "/redirect_loop/b.html")),
    Kind("robots", "/robots/private/doc-1.html", "links to /robots/private/*.html, disallowed by robots.txt",
         "never requested", bad=("/robots/private/doc-1.html", "/robots/private/doc-2.html")),
    Kind(
        "empty",
        "/empty/doc-empty.html",
        "doc-empty: 200 with an empty body; doc-script: only a <script> writing the text",
        "no record for them, counted as skipped",
        bad=("/empty/doc-empty.html", "/empty/doc-script.html"),
    ),
    Kind(
        "gzip_bomb",
        "/gzip_bomb/doc-bomb.html",
        f"Content-Encoding: gzip, ~1 MB inflating to {GZIP_BOMB_INFLATED >> 20} MiB",
        "peak RSS within 200 MB of clean, counted as too large, no record",
        bad=("/gzip_bomb/doc-bomb.html",),
    ),
    Kind("huge_page", "/huge_page/doc-huge.html", f"a {HUGE_PAGE_BYTES >> 20} MiB HTML page, streamed",
         "no record (too large), counted, peak RSS bounded", bad=("/huge_page/doc-huge.html",)),
    Kind("deep_dom", "/deep_dom/doc-deep.html", f"the article text inside {DEEP_DOM_DEPTH:,} nested <div>s",
         "its text stored, or skipped as too_deep", stores_fault=True),
    Kind(
        "url_variants",
        "/url_variants/doc-1.html",
        "the index links doc-1 as ?utm_source=wx&utm_medium=share, ?spm=a.b.c, /URL_VARIANTS/DOC-1.html, "
        "then plainly; paths are case-insensitive; doc-1 has <link rel=canonical>",
        "exactly one record for doc-1, under /url_variants/doc-1.html",
        bad=(
            "/url_variants/doc-1.html?utm_source=wx&utm_medium=share",
            "/url_variants/doc-1.html?spm=a.b.c",
            "/URL_VARIANTS/DOC-1.html",
        ),
    ),
)


# --- Texts ----------------------------------------------------------------------------------------
_ORGS = (
    "市政府办公室", "县委组织部", "区发展和改革局", "市教育局", "市卫生健康委员会", "县农业农村局",
    "市生态环境局", "区住房和城乡建设局", "市人力资源和社会保障局", "县应急管理局", "市市场监督管理局",
    "区民政局", "市交通运输局", "县水利局", "市商务局", "区文化和旅游局", "市财政局", "县自然资源局",
)
_TOPICS = (
    "安全生产", "乡村振兴", "营商环境优化", "基层党组织建设", "生态环境保护", "义务教育均衡发展",
    "城市更新", "稳就业促创业", "防汛抗旱", "食品药品安全", "数字政府建设", "养老服务体系建设",
    "农村人居环境整治", "招商引资", "社会治安综合治理", "文明城市创建", "政务服务改革", "基层医疗卫生服务",
    "老旧小区改造", "耕地保护", "河湖长制", "森林防火", "校园安全", "消费帮扶",
)
_TITLES = (
    "关于做好{year}年{topic}工作的通知",
    "{org}{year}年{topic}工作总结",
    "在全县{topic}工作推进会上的讲话",
    "关于{topic}情况的调研报告",
    "{topic}专项行动实施方案",
    "关于进一步加强{topic}工作的意见",
    "{org}{year}年上半年{topic}工作情况汇报",
    "{year}年{topic}工作要点",
)
_MEASURES = (
    "清单化管理", "台账式推进", "项目化落实", "网格化服务", "常态化督导", "闭环式整改", "专班化运作",
    "信息化监管", "标准化建设", "精细化考核",
)
_PROBLEMS = (
    "统筹协调不够有力", "基础设施短板明显", "资金保障压力较大", "基层力量相对薄弱", "群众参与度不高",
    "部门协同不够顺畅", "监管手段比较单一", "专业人才相对缺乏", "长效机制尚不健全", "宣传引导不够深入",
)
_SENTENCES = (
    "{org}深入贯彻上级决策部署，紧紧围绕{topic}这一重点任务，坚持{measure}，各项工作取得了阶段性成效。",
    "截至{month}月底，全县累计投入资金{money}万元，实施{topic}相关项目{n}个，惠及群众{people}余人。",
    "要进一步压实属地责任、部门责任和主体责任，健全{measure}机制，确保{topic}工作落到实处。",
    "在推进过程中，我们坚持问题导向，聚焦{problem}等突出问题，制定整改措施{n}条，目前已完成{k}条。",
    "下一步，{org}将持续深化{topic}改革，着力在{measure}上下功夫，推动各项工作再上新台阶。",
    "各乡镇、各部门要高度重视，明确分管领导和具体联络员，于{month}月{day}日前将进展情况报送{org}。",
    "同时也要清醒地看到，{topic}工作中还存在{problem}的情况，与群众期盼相比仍有差距。",
    "今年以来，共组织开展专项检查{n}次，发现并督促整改问题隐患{k}处，约谈相关责任人{few}人。",
    "我们把{topic}纳入年度综合考核，考核结果与评先评优、干部使用直接挂钩，倒逼责任落实。",
    "针对{problem}的问题，{org}会同有关单位开展了{n}次联合调研，形成调研报告{few}份。",
    "要加强宣传引导，通过政务新媒体、村村通广播等渠道，让{topic}的政策家喻户晓、深入人心。",
    "全年计划新建、改建{topic}配套设施{n}处，其中{k}处已完成主体工程，剩余部分预计{month}月底前完工。",
    "要强化要素保障，积极争取上级专项资金，统筹整合涉农资金{money}万元，优先保障{topic}重点项目。",
    "对工作推进不力、敷衍塞责的单位和个人，{org}将按照有关规定严肃追责问责，绝不姑息迁就。",
    "通过{measure}，全县{topic}工作群众满意度达到{pct}%，较去年同期提高{few}个百分点。",
    "要建立健全{topic}工作月调度、季通报、年考核制度，每月{day}日前报送上月工作进展。",
    "广大干部职工要发扬连续作战的优良作风，以时不我待的紧迫感推动{topic}各项任务落地见效。",
    "{org}先后召开专题会议{few}次，研究解决{topic}工作中的具体困难，形成了一批可复制的经验做法。",
    "这些成绩的取得，离不开上级的正确领导，离不开各部门的密切配合，更离不开广大群众的理解支持。",
    "今后一个时期，我们将坚持{measure}不动摇，努力把{topic}工作打造成为全市有影响力的工作品牌。",
)


@dataclass(frozen=True)
class Document:
    """A generated document: title, date (YYYY-MM-DD) and paragraphs."""

    title: str
    date: str
    paragraphs: tuple[str, ...]


def _rng(key: str) -> random.Random:
    # A stable seed: hash() of a str differs between processes.
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))  # noqa: S311


def _sentence(rng: random.Random, template: str, topic: str, org: str) -> str:
    return template.format(
        topic=topic, org=org, measure=rng.choice(_MEASURES), problem=rng.choice(_PROBLEMS),
        month=rng.randint(1, 12), day=rng.randint(1, 28), money=rng.randint(120, 98000),
        n=rng.randint(12, 480), k=rng.randint(3, 11), few=rng.randint(2, 9),
        people=rng.randint(1200, 86000), pct=rng.randint(86, 99),
    )


def document(key: str, number: int = 1) -> Document:
    """The document served at `key` (a page path): deterministic, distinct for every key."""
    rng = _rng(key)
    topic = rng.choice(_TOPICS)
    org = rng.choice(_ORGS)
    year = 2021 + number % 4
    title = _TITLES[(number - 1) % len(_TITLES)].format(year=year, topic=topic, org=org)
    date = f"{year}-{(number * 5) % 12 + 1:02d}-{(number * 7) % 28 + 1:02d}"
    # Each document speaks from its own few templates, so two documents share little wording
    # (far below the archive's near-duplicate threshold).
    own = rng.sample(_SENTENCES, 8)
    paragraphs = []
    for _ in range(rng.randint(6, 8)):
        templates = rng.sample(own, rng.randint(3, 4))
        paragraphs.append("".join(_sentence(rng, t, topic, org) for t in templates))
    return Document(title, date, tuple(paragraphs))


# --- Pages ----------------------------------------------------------------------------------------
def _head(title: str, canonical: str | None = None) -> str:
    link = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}_公文范文网</title>"
        '<meta name="keywords" content="公文范文,工作总结,讲话稿">'
        f"{link}</head>\n<body>\n"
    )


def _header(kind: str) -> str:
    home = f"/{kind}/index.html"
    nav = "".join(
        f'<li><a href="{home}">{name}</a></li>' for name in ("首页", "工作总结", "讲话稿", "实施方案", "调研报告")
    )
    return (
        f'<div class="header"><div class="logo"><a href="{home}">公文范文网</a></div>'
        f'<ul class="nav">{nav}</ul></div>\n'
    )


def _breadcrumb(kind: str) -> str:
    home = f"/{kind}/index.html"
    return (
        f'<div class="position">当前位置：<a href="{home}">首页</a> &gt; '
        f'<a href="{home}">公文范文</a> &gt; 正文</div>\n'
    )


_FOOTER = (
    '<div class="footer"><p>本站文章均由网友投稿，仅供学习参考，如有侵权请联系删除。</p>'
    "<p>Copyright © 2024 公文范文网 版权所有 备案号：京ICP备00000000号</p></div>\n</body></html>\n"
)


def _article_top(doc: Document) -> str:
    return (
        f'<div class="article"><h1>{html.escape(doc.title)}</h1>'
        f'<div class="info">发布时间：{doc.date} 来源：网友投稿 作者：佚名</div>\n<div class="content">\n'
    )


def _paragraphs(doc: Document) -> str:
    return "".join(f"<p>　　{html.escape(p)}</p>\n" for p in doc.paragraphs)


def document_page(kind: str, doc: Document, *, canonical: str | None = None, depth: int = 0) -> str:
    """A template-site document page; `depth` nests the article text in that many <div>s."""
    return (
        _head(doc.title, canonical) + _header(kind) + _breadcrumb(kind) + _article_top(doc)
        + "<div>" * depth + _paragraphs(doc) + "</div>" * depth
        + "</div></div>\n" + _FOOTER
    )


def index_page(kind: str, links: Iterable[tuple[str, str]]) -> str:
    """A list page: one entry per (href, label)."""
    entries = "".join(f'<li><a href="{html.escape(href)}">{html.escape(label)}</a></li>\n' for href, label in links)
    return (
        _head("公文范文") + _header(kind) + _breadcrumb(kind)
        + f'<div class="list"><h2>最新文章</h2><ul>\n{entries}</ul></div>\n' + _FOOTER
    )


def _doc_path(kind: str, number: int) -> str:
    return f"/{kind}/doc-{number}.html"


def _doc_links(kind: str, numbers: Iterable[int] = range(1, DOCUMENTS + 1)) -> list[tuple[str, str]]:
    return [(_doc_path(kind, n), document(_doc_path(kind, n), n).title) for n in numbers]


def _script_page(kind: str, doc: Document) -> str:
    # The whole text exists only as a JavaScript string: no crawler without a browser sees it.
    text = json.dumps("".join(f"<p>{p}</p>" for p in doc.paragraphs), ensure_ascii=False)
    text = text.replace("</", "<\\/")  # a literal </p> would not end the script, but </script> would
    return _head(doc.title) + f"<script>document.write({text});</script>\n</body></html>\n"


# --- Big payloads ---------------------------------------------------------------------------------
_bomb_lock = threading.Lock()
_bomb: bytes | None = None


def gzip_bomb() -> bytes:
    """A gzip body inflating to exactly GZIP_BOMB_INFLATED bytes of HTML (built once per process)."""
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            doc = document("/gzip_bomb/doc-bomb.html")
            top = (_head(doc.title) + _header("gzip_bomb") + _article_top(doc)
                   + f"<p>　　{doc.paragraphs[0]}</p>\n").encode()
            bottom = ("</div></div>\n" + _FOOTER).encode()
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            parts = [packer.compress(top)]
            filler = GZIP_BOMB_INFLATED - len(top) - len(bottom)
            chunk = b" " * (1 << 20)
            while filler > 0:
                piece = chunk[: min(filler, len(chunk))]
                parts.append(packer.compress(piece))
                filler -= len(piece)
            parts += [packer.compress(bottom), packer.flush()]
            _bomb = b"".join(parts)
        return _bomb


def _huge_chunks() -> Iterator[bytes]:
    doc = document("/huge_page/doc-huge.html")
    yield (_head(doc.title) + _header("huge_page") + _breadcrumb("huge_page") + _article_top(doc)).encode()
    rng = _rng("huge_page")
    size = 0
    while size < HUGE_PAGE_BYTES:
        # 64 paragraphs at a time: few writes, little memory.
        block = "".join(
            "<p>　　" + "".join(_sentence(rng, t, "政务服务改革", "市政府办公室") for t in rng.sample(_SENTENCES, 4))
            + "</p>\n"
            for _ in range(64)
        ).encode()
        size += len(block)
        yield block
    yield ("</div></div>\n" + _FOOTER).encode()


_huge_length: int | None = None


def huge_page_length() -> int:
    """The huge page's Content-Length (computed by generating it once, never holding it)."""
    global _huge_length
    if _huge_length is None:
        _huge_length = sum(len(chunk) for chunk in _huge_chunks())
    return _huge_length


# --- Servers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoggedRequest:
    """A request one of the servers received: method, path (with query) and time (epoch)."""

    method: str
    path: str
    time: float


@dataclass
class _Log:
    name: str
    file: Path | None
    entries: list[LoggedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str) -> None:
        entry = LoggedRequest(method, path, time.time())
        with self.lock:
            self.entries.append(entry)
            if self.file is not None:
                with self.file.open("a", encoding="utf-8") as out:
                    out.write(json.dumps({"server": self.name, **entry.__dict__}, ensure_ascii=False) + "\n")

    def snapshot(self) -> list[LoggedRequest]:
        with self.lock:
            return list(self.entries)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A crawler that hangs up mid-page (a size limit, a timeout) is what the faults are for.
        pass


class FaultSite:
    """The running site. Build it with `serve_faults`; see the module docstring."""

    def __init__(self, kinds: Iterable[str], log_dir: Path | None) -> None:
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}; known: {sorted(KINDS)}")
        self.stopping = threading.Event()
        self._log = _Log("base", log_dir / "requests.jsonl" if log_dir else None)
        self._other_log = _Log("other", self._log.file)
        self._ftp_log = _Log("ftp", self._log.file)
        self._hits: dict[str, int] = {}
        self._hits_lock = threading.Lock()
        self._main = _Server(("127.0.0.1", 0), _handler(self, FaultSite._serve_main, self._log))
        self._other = _Server(("127.0.0.1", 0), _handler(self, FaultSite._serve_other, self._other_log))
        self._ftp = socket.create_server(("127.0.0.1", 0))
        self._ftp.settimeout(0.05)
        self.base = f"http://127.0.0.1:{self._main.server_address[1]}"
        self.other = f"http://127.0.0.1:{self._other.server_address[1]}"
        self.ftp_port: int = self._ftp.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._main.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
            threading.Thread(target=self._other.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
            threading.Thread(target=self._count_ftp, daemon=True),
        ]

    # -- what tests and the benchmark ask ---------------------------------------------------------
    def url(self, kind: str) -> str:
        """The start URL of a kind: its index page."""
        return f"{self.base}/{KINDS[kind].name}/index.html"

    def fault_url(self, kind: str) -> str | None:
        """The fault page of a kind (None for clean)."""
        fault = KINDS[kind].fault
        return self.base + fault if fault else None

    def document_urls(self, kind: str) -> list[str]:
        """The 8 good document pages of a kind."""
        return [self.base + _doc_path(kind, n) for n in range(1, DOCUMENTS + 1)]

    def expected_urls(self, kind: str) -> list[str]:
        """The record URLs a robust crawler stores for a kind (the fault page only if it stores it)."""
        fault = self.fault_url(kind)
        extra = [fault] if KINDS[kind].stores_fault and fault else []
        return self.document_urls(kind) + extra

    def bad_urls(self, kind: str) -> list[str]:
        """Record URLs that would be bad content: the kind's fault pages, and any page of `.other`."""
        urls = [self.base + path for path in KINDS[kind].bad]
        if kind == "scope":
            urls += [f"{self.other}/scope/{name}" for name in ("doc-x.html", "moved.html", *_SITEMAP_ONLY)]
        return urls

    def requests(self, kind: str | None = None) -> list[LoggedRequest]:
        """Requests the main server received, or only those under `/<kind>/` (any case)."""
        entries = self._log.snapshot()
        if kind is None:
            return entries
        prefix = f"/{kind}/".lower()
        return [e for e in entries if e.path.lower().startswith(prefix)]

    def other_requests(self) -> list[LoggedRequest]:
        """Requests the other-port server received: each one is a scope violation."""
        return self._other_log.snapshot()

    def ftp_connections(self) -> int:
        """Connection attempts on the ftp port: each one is a scope violation."""
        return len(self._ftp_log.snapshot())

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start serving (in daemon threads)."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop serving; hanging answers end at once, so this takes well under a second."""
        self.stopping.set()
        for server in (self._main, self._other):
            server.shutdown()
            server.server_close()
        self._threads[2].join()
        self._ftp.close()

    def _count_ftp(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._ftp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._ftp_log.add("CONNECT", "")
            conn.close()

    def first_hit(self, path: str) -> bool:
        """True the first time a path is asked for (per site)."""
        with self._hits_lock:
            self._hits[path] = self._hits.get(path, 0) + 1
            return self._hits[path] == 1

    # -- pages ------------------------------------------------------------------------------------
    def _serve_other(self, handler: _Handler, path: str) -> None:
        doc = document("other:" + path)
        handler.send_page(document_page("scope", doc))

    def _serve_main(self, handler: _Handler, path: str) -> None:
        if path == "/robots.txt":
            handler.send_page("User-agent: *\nDisallow: /robots/private/\n", "text/plain; charset=utf-8")
            return
        if path == "/sitemap.xml":
            handler.send_page(self._sitemap(), "application/xml")
            return
        kind, _, rest = path.lstrip("/").partition("/")
        if kind.lower() == "url_variants":
            kind, rest = kind.lower(), rest.lower()
        if kind not in self.kinds:
            handler.send_page(_NOT_FOUND, status=404)
            return
        page = f"/{kind}/{rest}"
        special = _SPECIAL.get(page)
        if special is not None:
            special(self, handler)
        elif rest in ("", "index.html"):
            handler.send_page(index_page(kind, self._index_links(kind)))
        elif page in _GOOD_PAGES.get(kind, {}):
            number = _GOOD_PAGES[kind][page]
            canonical = page if kind == "url_variants" else None
            handler.send_page(document_page(kind, document(page, number), canonical=canonical))
        else:
            handler.send_page(_NOT_FOUND, status=404)

    def _sitemap(self) -> str:
        urls = [f"{self.other}/scope/{name}" for name in _SITEMAP_ONLY] if "scope" in self.kinds else []
        entries = "".join(f"<url><loc>{html.escape(u)}</loc></url>" for u in urls)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n'
        )

    def _index_links(self, kind: str) -> list[tuple[str, str]]:
        # Fault links first: the fault is met early in the crawl, while most pages are still due.
        docs = _doc_links(kind)
        if kind == "scope":
            extra = [
                (f"{self.other}/scope/doc-x.html", "外站转载文章"),
                (f"ftp://127.0.0.1:{self.ftp_port}/x", "资料下载"),
                ("mailto:office@example.com", "联系我们"),
                ("javascript:void(0)", "收藏本站"),
                ("/scope/moved.html", "已迁移的文章"),
            ]
            return extra + docs
        if kind == "url_variants":
            first = docs[0][1]
            variants = [(path, first) for path in KINDS[kind].bad]
            return variants + docs[1:] + docs[:1]
        if kind in ("robots", "empty"):
            return [(path, "内部资料") for path in KINDS[kind].bad] + docs
        fault = KINDS[kind].fault
        return ([(fault, "重要文件")] if fault else []) + docs


_NOT_FOUND = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
# Pages of the other port that only the sitemap names (so the log tells the sitemap from a link).
_SITEMAP_ONLY = ("doc-sitemap-1.html", "doc-sitemap-2.html")
_GOOD_PAGES: dict[str, dict[str, int]] = {
    kind: {_doc_path(kind, n): n for n in range(1, DOCUMENTS + 1)} for kind in KINDS
}
_GOOD_PAGES["robots"].update({f"/robots/private/doc-{n}.html": 10 + n for n in (1, 2)})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FaultSite/1.0"
    timeout = 10  # an idle keep-alive connection frees its thread
    site: FaultSite
    serve: Callable[[FaultSite, _Handler, str], None]
    log: _Log

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_page(self, body: str | bytes, content_type: str = HTML_TYPE, *, status: int = 200,
                  headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _any(self) -> None:
        self.log.add(self.command, self.path)
        path = unquote(urlsplit(self.path).path) or "/"
        try:
            type(self).serve(self.site, self, path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = _any


def _handler(site: FaultSite, serve: Callable[[FaultSite, _Handler, str], None], log: _Log) -> type[_Handler]:
    # http.server builds a handler per request from a class: the class carries the site.
    return type("FaultHandler", (_Handler,), {"site": site, "serve": staticmethod(serve), "log": log})


# --- The faults -----------------------------------------------------------------------------------
def _moved(site: FaultSite, handler: _Handler) -> None:
    handler.send_page("", status=302, headers={"Location": f"{site.other}/scope/moved.html"})


def _busy(site: FaultSite, handler: _Handler) -> None:
    path = "/retry_after/doc-busy.html"
    if site.first_hit(path):
        handler.send_page("<html><body><h1>服务器繁忙，请稍后再试</h1></body></html>", status=503,
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    else:
        handler.send_page(document_page("retry_after", document(path)))


def _error(site: FaultSite, handler: _Handler) -> None:
    handler.send_page("<html><body><h1>500 Internal Server Error</h1></body></html>", status=500)


def _hang(site: FaultSite, handler: _Handler) -> None:
    site.stopping.wait()
    handler.close_connection = True


def _truncated(site: FaultSite, handler: _Handler) -> None:
    path = "/truncated/doc-truncated.html"
    page = document_page("truncated", document(path)).encode().ljust(TRUNCATED_CLAIMED, b" ")
    handler.send_response(200)
    handler.send_header("Content-Type", HTML_TYPE)
    handler.send_header("Content-Length", str(TRUNCATED_CLAIMED))
    handler.end_headers()
    handler.wfile.write(page[:TRUNCATED_SENT])
    handler.wfile.flush()
    handler.close_connection = True


def _loop(target: str) -> Callable[[FaultSite, _Handler], None]:
    def redirect(site: FaultSite, handler: _Handler) -> None:
        handler.send_page("", status=302, headers={"Location": target})

    return redirect


def _empty(site: FaultSite, handler: _Handler) -> None:
    handler.send_page(b"")


def _script(site: FaultSite, handler: _Handler) -> None:
    handler.send_page(_script_page("empty", document("/empty/doc-script.html")))


def _bomb_page(site: FaultSite, handler: _Handler) -> None:
    handler.send_page(gzip_bomb(), headers={"Content-Encoding": "gzip"})


def _huge(site: FaultSite, handler: _Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", HTML_TYPE)
    handler.send_header("Content-Length", str(huge_page_length()))
    handler.end_headers()
    if handler.command == "HEAD":
        return
    for chunk in _huge_chunks():
        if site.stopping.is_set():
            handler.close_connection = True
            return
        handler.wfile.write(chunk)


def _deep(site: FaultSite, handler: _Handler) -> None:
    path = "/deep_dom/doc-deep.html"
    handler.send_page(document_page("deep_dom", document(path), depth=DEEP_DOM_DEPTH))


_SPECIAL: dict[str, Callable[[FaultSite, _Handler], None]] = {
    "/scope/moved.html": _moved,
    "/retry_after/doc-busy.html": _busy,
    "/http500/doc-error.html": _error,
    "/hang/doc-hang.html": _hang,
    "/truncated/doc-truncated.html": _truncated,
    "/redirect_loop/a.html": _loop("/redirect_loop/b.html"),
    "/redirect_loop/b.html": _loop("/redirect_loop/a.html"),
    "/empty/doc-empty.html": _empty,
    "/empty/doc-script.html": _script,
    "/gzip_bomb/doc-bomb.html": _bomb_page,
    "/huge_page/doc-huge.html": _huge,
    "/deep_dom/doc-deep.html": _deep,
}


@contextmanager
def serve_faults(tmp_dir: Path | None = None, *, kinds: Iterable[str] | None = None) -> Iterator[FaultSite]:
    """Serve the fault site on free loopback ports until the block ends.

    Args:
        tmp_dir: If given, every request any of the servers receives is also appended to
            `tmp_dir/requests.jsonl` (server, method, path, time), to read after a failure.
        kinds: The kinds to serve (default: all); the others answer 404. See the module
            docstring for why a crawl should be served only its own kind.
    """
    site = FaultSite(KINDS if kinds is None else kinds, tmp_dir)
    site.start()
    try:
        yield site
    finally:
        with suppress(OSError):
            site.stop()
