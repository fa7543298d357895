#!/usr/bin/env python3
"""Generate the bundled sample sites and their expected extraction outputs.

Reads the seed page texts in ``<repo>/../shared/seeds`` (or ``--seeds DIR``) and writes

* ``samples/sites/<key>/www/...`` and ``samples/sites/<key>/_site.json`` for the four sites
  (baina, juyou, jianbiao, huiwen),
* ``tests/fixtures/extract/<key>/<case>.json``: the expected records (or skip) of each page,
* ``samples/README.md``: what each site holds.

The generated files are the deliverable and are committed; tests never run this script (it is
the only thing that may read ``../shared``). The HTML is a plausible reconstruction of each
site's CMS markup, not the real markup. Expected texts are built from the seed lines and from
the original texts below, never from an extractor.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = REPO.parent / "shared" / "seeds"
SITES_ROOT = REPO / "samples" / "sites"
FIXTURES_ROOT = REPO / "tests" / "fixtures" / "extract"
LAST_MODIFIED = "Mon, 01 May 2023 00:00:00 GMT"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


# --------------------------------------------------------------------------------------
# Original texts (written for these fixtures; formal 公文 style, masks kept as in the genre)
# --------------------------------------------------------------------------------------

# O1: safety-production meeting speech (baina hidden-content case; edited copy on jianbiao)
O1 = """同志们:
今天,我们召开全区安全生产工作会议,主要任务是深入贯彻落实上级关于安全生产工作的决策部署,总结前一阶段工作,分析当前形势,安排部署下一阶段重点任务。刚才,xx同志通报了今年以来全区安全生产情况,应急管理局、住建局和xx镇作了表态发言,讲得都很实在,我完全同意,请大家抓好落实。
今年以来,在区委、区政府的坚强领导下,各镇街、各部门坚持人民至上、生命至上,扎实开展安全生产专项整治三年行动,全区安全生产形势总体平稳。但也要清醒地看到,部分行业领域隐患依然突出,少数企业主体责任落实不到位,有的干部存在麻痹思想和侥幸心理,***等地接连发生的事故教训十分深刻,必须引以为戒。下面,我讲三点意见。
一、提高政治站位,切实把安全生产摆在突出位置。安全生产是发展的底线、红线和生命线。各级各部门要牢固树立安全发展理念,坚持“党政同责、一岗双责、齐抓共管、失职追责”,把安全生产工作与经济社会发展同研究、同部署、同检查、同考核。主要负责同志要亲自研究、亲自部署、亲自督查,决不能把责任停留在口头上、落实在会议上。
二、聚焦重点领域,深入开展隐患排查整治。要紧盯危险化学品、道路交通、建筑施工、消防、燃气等重点行业领域,组织开展拉网式、全覆盖的隐患排查,建立问题清单、责任清单和整改清单,实行销号管理。对排查出的重大隐患,要挂牌督办、限期整改;对整改不力、屡查屡犯的企业,要依法从严从重处罚,形成有力震慑。
三、压实各方责任,健全安全生产长效机制。要进一步压实企业主体责任,督促企业健全全员安全生产责任制,加大安全投入,加强员工培训。行业主管部门要按照“管行业必须管安全、管业务必须管安全、管生产经营必须管安全”的要求,切实履行监管职责。应急管理部门要加强综合监管和统筹协调,会同有关部门开展常态化督导检查。
同时,要加强应急值守和应急处置能力建设。各镇街、各部门要严格落实领导带班和24小时值班制度,完善应急预案,开展实战化演练,做到信息报送及时准确、应急处置科学高效。一旦发生突发事件,主要负责同志要第一时间赶赴现场,全力组织救援,最大限度减少人员伤亡和财产损失。
同志们,安全生产责任重于泰山。我们要以“时时放心不下”的责任感,以更加坚决的态度、更加有力的措施,全力抓好安全生产各项工作,为全区经济社会高质量发展创造安全稳定的环境!""".split("\n")

# O2: rural-revitalisation meeting speech (baina malformed-HTML case; edited copy on huiwen)
O2 = """同志们:
这次会议的主要任务是,贯彻落实中央和省、市农村工作会议精神,总结去年全县巩固拓展脱贫攻坚成果和乡村振兴工作,安排部署今年重点任务。刚才,***同志传达了市委农村工作会议精神,县农业农村局、县乡村振兴局分别作了安排,xx镇、xx镇作了交流发言,请大家认真抓好落实。
过去一年,全县上下坚持把巩固拓展脱贫攻坚成果同乡村振兴有效衔接作为头等大事,守住了不发生规模性返贫的底线,农村居民人均可支配收入增长x.x%,高于全市平均水平。成绩来之不易,但也要看到,产业基础不牢、村级集体经济薄弱、人居环境整治不平衡等问题依然存在。
第一,要牢牢守住防止规模性返贫底线。要健全防止返贫动态监测和帮扶机制,对脱贫不稳定户、边缘易致贫户和突发严重困难户做到早发现、早干预、早帮扶。要落实好就业帮扶、产业帮扶和兜底保障等政策,确保“两不愁三保障”成果持续巩固。
第二,要加快发展乡村特色产业。要立足全县资源禀赋,做强xx茶叶、xx中药材和生态养殖等特色产业,推进农产品精深加工,发展乡村旅游和农村电商,延长产业链、提升价值链,让农民更多分享产业增值收益。
第三,要扎实推进乡村建设和乡村治理。要以农村人居环境整治提升为抓手,持续推进农村改厕、生活垃圾和污水治理、村容村貌提升。要坚持自治、法治、德治相结合,深化移风易俗,推动形成文明乡风、良好家风、淳朴民风。
第四,要切实加强党对“三农”工作的领导。各级党委要落实五级书记抓乡村振兴的要求,县级领导要带头联镇包村,驻村第一书记和工作队要沉下身子、真抓实干。县委督查室、县乡村振兴局要加强督导考核,对工作不力的严肃问责。
同志们,全面推进乡村振兴任务艰巨、使命光荣。希望大家以只争朝夕的精神和真抓实干的作风,推动全县乡村振兴工作不断迈上新台阶!""".split("\n")

# O3: business-environment meeting speech, ~1500 characters (juyou multi-page article)
O3 = """同志们:
今天召开全市优化营商环境工作推进会,主要任务是贯彻落实省委、省政府关于优化营商环境的决策部署,通报前一阶段工作进展,查找存在的突出问题,动员全市上下以更大力度、更实举措打造一流营商环境。刚才,市发展改革委通报了全市营商环境评价情况,xx区、市市场监管局、市政务服务中心作了交流发言,***同志对有关工作提出了具体要求,我都同意。
营商环境就是生产力、竞争力。近年来,全市各级各部门持续深化“放管服”改革,企业开办时间压缩至1个工作日以内,工程建设项目审批时限压减一半以上,“一网通办”事项覆盖率达到xx%,市场主体总量突破xx万户。这些成绩的取得,是全市上下共同努力的结果。同时也要看到,我们与先进地区相比还有不小差距:有的部门服务意识不强,“门好进、脸好看、事难办”的现象依然存在;有的政策落地“最后一公里”还没有打通,企业获得感不够强;有的地方新官不理旧账,影响了政府公信力。对这些问题,我们必须高度重视,切实加以解决。下面,我就做好下一步工作讲五点意见。
一要在深化改革上持续用力。要围绕企业全生命周期,深入推进审批制度改革,全面推行告知承诺制和容缺受理,让数据多跑路、群众少跑腿。要深化“证照分离”改革,进一步降低市场准入门槛。要加快推进政务服务标准化、规范化、便利化,实现高频事项“一件事一次办”。各部门要主动晒清单、亮底账,凡是没有法律法规依据的审批事项一律取消,凡是能够合并的环节一律合并。
二要在政策落实上精准发力。要全面梳理国家、省、市出台的惠企政策,编制政策清单和办事指南,通过“免申即享”“直达快享”等方式,推动政策红利直达市场主体。要建立常态化政企沟通机制,市级领导要定期走访联系企业,面对面听取意见建议,实打实帮助解决融资、用工、用地等方面的困难和问题。要加大金融支持实体经济力度,引导金融机构增加首贷、信用贷投放。
三要在公平竞争上下足功夫。要坚持各类市场主体一视同仁、平等对待,全面清理妨碍统一市场和公平竞争的各种规定和做法。要加强诚信政府建设,凡是向企业作出的承诺必须兑现,不得以政府换届、领导人员更替等理由违约毁约。要严格规范涉企执法检查,推行“综合查一次”,坚决杜绝随意检查、重复检查。要依法平等保护各类市场主体产权和合法权益。
四要在作风保障上动真碰硬。优化营商环境,关键在人、关键在作风。各级领导干部要树立“人人都是营商环境、事事关乎营商环境”的理念,做到有求必应、无事不扰。要畅通12345政务服务便民热线等诉求渠道,对企业反映的问题做到件件有回应、事事有着落。市纪委监委要聚焦损害营商环境的突出问题开展专项整治,对吃拿卡要、推诿扯皮、以权谋私的,发现一起、查处一起、通报一起。
五要在数字赋能上加快突破。要加快建设全市统一的政务服务平台,推动各部门业务系统互联互通、数据共享,实现“一网通办”“掌上可办”。要拓展电子证照、电子签章在涉企服务中的应用,推行“无证明城市”建设,凡是能够通过数据共享获取的材料,一律不再要求企业和群众重复提交。
会后,各区县、各部门要结合实际,抓紧制定具体落实方案,明确时间表、路线图和责任人。市优化营商环境工作领导小组办公室要加强统筹调度,每季度通报一次工作进展,年底开展综合考评,考评结果纳入年度目标责任考核。
同志们,营商环境只有更好,没有最好。希望大家进一步增强责任感和紧迫感,以钉钉子精神抓好各项任务落实,努力把我市打造成为审批事项最少、办事效率最高、服务质量最优的城市之一,为全市经济社会高质量发展提供有力支撑!""".split("\n")

# O4: office work-style meeting speech (juyou plain document; edited copy on huiwen)
O4 = """同志们:
今天,我们召开机关作风建设专题会议,目的是进一步统一思想、提高认识,以过硬作风推动各项工作落地见效。刚才,***同志通报了近期作风督查情况,x个科室负责同志作了表态发言,希望大家说到做到。
作风建设永远在路上。从这次督查情况看,机关作风总体是好的,但也存在一些不容忽视的问题:有的同志工作标准不高,满足于“过得去”“差不多”;有的办文办事拖拉,群众反映的问题久拖不决;有的纪律观念淡薄,上班时间办私事、迟到早退现象时有发生。这些问题虽然发生在少数人身上,但损害的是整个机关的形象。
一是要强化学习,提升能力本领。要坚持集中学习与个人自学相结合,认真学习党的理论和业务知识,做到学思用贯通、知信行统一。每位同志都要结合岗位实际,努力成为本领域的行家里手。机关党委要组织好每月一次的集中学习和专题研讨。
二是要严明纪律,守住规矩底线。要严格执行考勤、请销假、公务接待和公车使用等各项制度,坚决纠治“四风”特别是形式主义、官僚主义。机关纪委要加大明察暗访力度,对发现的问题及时通报、严肃处理。
三是要转变作风,提高服务效能。要牢固树立以人民为中心的发展思想,推行首问负责、一次性告知和限时办结制度,对群众和基层反映的问题,能马上办的马上办,不能马上办的要说明原因、限期解决。机关各科室要主动深入基层、深入企业开展调查研究,帮助解决实际困难。
同志们,作风建设关键在坚持、要害在认真。希望大家从我做起、从现在做起,以优良的作风和实实在在的成效,向组织和群众交出一份满意的答卷!""".split("\n")


def edited(paragraphs: list[str], edits: list[tuple[str, str]]) -> list[str]:
    """A republished copy with small edits (each edit must apply at least once)."""
    text = "\n".join(paragraphs)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text.split("\n")


# O1 as republished on jianbiao (near duplicate of baina /fanwen/121034.html)
O1_JIANBIAO = edited(O1, [
    ("全区安全生产工作会议", "全县安全生产工作推进会"),
    ("全区安全生产情况,应急管理局、住建局和xx镇", "全县安全生产情况,县应急管理局、交通运输局和xx乡"),
    ("区委、区政府", "县委、县政府"),
    ("各镇街", "各乡镇"),
    ("全区安全生产形势总体平稳", "全县安全生产形势总体平稳"),
    ("为全区经济社会", "为全县经济社会"),
])
# O2 as republished on huiwen (near duplicate of baina /fanwen/121102.html)
O2_HUIWEN = edited(O2, [
    ("分别作了安排", "分别作了具体安排"),
    ("xx中药材", "xx食用菌"),
    ("不断迈上新台阶!", "不断迈上新台阶。"),
])
# O4 as republished on huiwen (near duplicate of juyou /fanwendaquan/gongwenfanwen/186650.html)
O4_HUIWEN = edited(O4, [
    ("机关纪委要加大", "机关党委要加大"),
    ("x个科室", "xx个科室"),
    ("满意的答卷!", "满意的答卷。"),
])


# --------------------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------------------

@dataclass
class Seeds:
    s000_title: str
    s000_date: str
    s000_body: list[str]
    s000_keywords: list[str]
    s001_body: list[str]
    s001_trailer: list[str]
    s002_title: str
    s002_date: str
    s002_filler: str
    s002_parts: list[tuple[str, list[str]]]
    s002_keywords: list[str]
    s003_title: str
    s003_body_raw: list[str]  # raw lines (leading spaces kept); an all-space line = empty <p>
    s003_related: list[tuple[str, str]]
    s004_name: str
    s004_meta: dict
    s004_tags: list[str]
    s004_pieces: list[str]  # [0] is the document's own title line


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def load_seeds(seed_dir: Path) -> Seeds:
    def find(prefix: str) -> Path:
        (hit,) = sorted(seed_dir.glob(prefix + "_*.txt"))
        return hit

    a = _lines(find("000"))
    assert a[0].startswith("当前位置:百纳范文网")
    title0 = a[2]
    assert a[8] == title0 and a[6].startswith("下面是小编")
    date0 = a[4].split("时间:")[1].split(" 来源")[0]
    assert a[68].startswith("推荐访问:")
    body0 = [ln.strip() for ln in a[10:68] if ln.strip()]
    assert body0[0] == "示范区党工委理论中心组学习会议讲话" and body0[-1].startswith("同志们,在统筹")
    kw0 = a[68].split(":", 1)[1].split(" ")

    b = _lines(find("001"))
    b_nonempty = [ln.strip() for ln in b if ln.strip()]
    assert b_nonempty[-2].startswith("预览阅读已结束")
    body1, trailer1 = b_nonempty[:-2], b_nonempty[-2:]

    c = _lines(find("002"))
    title2 = c[2]
    date2 = c[4].split("时间:")[1].split(" 公文范文")[0]
    filler2 = c[10]
    assert filler2.startswith("在日常学习、工作或生活中")
    heads = [i for i, ln in enumerate(c) if ln.startswith("杭州市政协十一届三次会议篇")]
    assert len(heads) == 5
    kw_line = next(i for i, ln in enumerate(c) if ln.startswith("推荐访问:"))
    bounds = heads + [kw_line]
    parts = []
    for k in range(5):
        paras = [ln.strip() for ln in c[bounds[k] + 1:bounds[k + 1]] if ln.strip()]
        parts.append((c[bounds[k]].strip(), paras))
    kw2 = c[kw_line].split(":", 1)[1].split(" ")

    d = _lines(find("003"))
    title3 = d[2]
    assert d[8] == title3 and d[4] == "| 来源:网友投稿"
    rel_at = d.index("相关推荐")
    body3 = [ln.rstrip() for ln in d[10:rel_at] if ln != ""]
    assert d[rel_at + 2] == "热门文章"
    rel_lines = [ln for ln in d[rel_at + 3:] if ln.strip()]
    related3 = [(rel_lines[i], rel_lines[i + 1]) for i in range(0, len(rel_lines), 2)]

    e = _lines(find("004"))
    name4 = e[1].removesuffix(".docx")
    meta4 = {
        "doc_id": e[4].split(":")[1],
        "size": e[6].split(":")[1],
        "pages": int(e[8].split(":")[1].removesuffix("页")),
        "format": e[10].split(":")[1],
        "date": e[12].split(":")[1],
    }
    tags4 = e[21].split(" ")
    pieces4 = e[22].split(" ")
    assert pieces4[0] == name4 and all(pieces4)

    return Seeds(title0, date0, body0, kw0, body1, trailer1, title2, date2, filler2, parts, kw2,
                 title3, body3, related3, name4, meta4, tags4, pieces4)


# --------------------------------------------------------------------------------------
# Page model
# --------------------------------------------------------------------------------------

@dataclass
class Doc:
    """A document-URL-shaped entry of a site (a real document, or a noise case)."""
    id: str
    path: str
    title: str
    date: str | None          # as shown on the page (None: page shows no date)
    list_date: str | None      # as shown on list pages / sidebars
    kind: str                  # doc | empty | not_html | missing
    summary: str = ""
    keywords: list[str] = field(default_factory=list)
    in_sidebar: bool = False


@dataclass
class Page:
    path: str                  # URL path ("/x/" for a directory index)
    body: bytes
    kind: str                  # readme kind
    tests: str                 # readme: what it tests
    expected: dict | None = None
    case: str | None = None     # fixture file name (without .json)
    headers: dict | None = None  # _site.json override
    status: int | None = None


def file_for(path: str) -> str:
    return path.lstrip("/") + ("index.html" if path.endswith("/") else "")


class Site:
    key = ""
    name = ""
    charset = "utf-8"

    def __init__(self, seeds: Seeds):
        self.seeds = seeds
        self.pages: list[Page] = []
        self.tags: dict[str, int] = {}
        self.tag_docs: dict[str, list[Doc]] = {}

    # helpers -------------------------------------------------------------------------
    def enc(self, text: str) -> bytes:
        return text.encode(self.charset)

    def tag_url(self, name: str) -> str:
        if name not in self.tags:
            self.tags[name] = len(self.tags) + 1
        return f"/tag/{self.tags[name]}.html"

    def register_tags(self, doc: Doc, names: list[str]) -> None:
        for n in names:
            self.tag_url(n)
            lst = self.tag_docs.setdefault(n, [])
            if doc not in lst:
                lst.append(doc)

    def add(self, page: Page) -> None:
        assert all(p.path != page.path for p in self.pages), page.path
        self.pages.append(page)

    def expected(self, path: str, note: str, records: list[dict] | None = None,
                 skip: str | None = None, must_not_contain: list[str] | None = None,
                 pages: list[str] | None = None) -> dict:
        out = {"site": self.key, "path": path}
        if pages:
            out["pages"] = pages
        out["note"] = note
        out["records"] = records or []
        out["skip"] = skip
        out["must_not_contain"] = must_not_contain or []
        return out

    @staticmethod
    def record(title: str, published_at: str | None, paragraphs: list[str], category: str | None,
               source: str | None, keywords: list[str], truncated: bool,
               url_suffix: str = "", collection: str | None = None, extra: dict | None = None) -> dict:
        text_paras = [p.strip() for p in paragraphs if p.strip()]
        kw: list[str] = []
        for k in keywords:
            if k not in kw:
                kw.append(k)
        return {
            "url_suffix": url_suffix,
            "title": title,
            "published_at": published_at,
            "text": "\n".join(text_paras),
            "category": category,
            "source": source,
            "keywords": kw,
            "truncated": truncated,
            "collection": collection,
            "extra": extra or {},
        }

    def noise_expected(self, path: str, skip: str, note: str) -> dict:
        return self.expected(path, note, [], skip, [])

    def binary_doc(self, doc: Doc) -> bytes:
        """Bytes that look like an OLE2 (.doc) file: header, zero padding, pseudo-random blocks."""
        out = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00")
        out += b"\x00" * (512 - len(out))
        seed = (self.key + doc.id).encode()
        while len(out) < 4608:
            seed = hashlib.sha256(seed).digest()
            out += seed
        out += doc.title.encode("utf-16-le")
        out += b"\x00" * 64
        return bytes(out)

    def static_assets(self, css: str) -> None:
        self.add(Page("/robots.txt", b"User-agent: *\nDisallow: /search/\n", "robots", "robots.txt: /search/ disallowed"))
        self.add(Page("/skin/css/style.css", css.encode("utf-8"), "asset", "stylesheet (linked from every page)"))
        self.add(Page("/skin/js/common.js",
                      b"(function(){var a=document.querySelectorAll('.readall a,.preview-more a');"
                      b"for(var i=0;i<a.length;i++){a[i].onclick=function(){var h=document.querySelectorAll('.hidecontent');"
                      b"for(var j=0;j<h.length;j++){h[j].style.display='block';}return false;};}})();\n",
                      "asset", "script (linked from every page)"))


def mnc(candidates: list[str], page_text: str, records: list[dict]) -> list[str]:
    """must_not_contain: boilerplate strings present on the page but in no expected text."""
    out = []
    for c in candidates:
        if c in page_text and all(c not in r["text"] for r in records) and c not in out:
            out.append(c)
    return out


def visible_text(markup: str) -> str:
    """Crude text of a page (tags removed, entities decoded) to pick must_not_contain items."""
    import re
    t = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", markup, flags=re.S)
    return html.unescape(t)


def iso_dt(date_time: str) -> str:
    d, t = date_time.split(" ")
    return f"{d}T{t}+08:00"


# --------------------------------------------------------------------------------------
# baina (百纳范文网), utf-8
# --------------------------------------------------------------------------------------

class Baina(Site):
    key = "baina"
    name = "百纳范文网"
    charset = "utf-8"
    LIST = "/zhuanti/jianghuagao/"
    CATEGORY = "专题范文 > 讲话稿"
    BOILER = ["下面是小编", "小编", "推荐访问", "当前隐藏内容免费查看", "声明:本网站", "Copyright",
              "鲁ICP备", "百纳范文网", "热门文章", "当前位置", "来源:网友投稿"]

    def head(self, title: str, kw: str = "", desc: str = "") -> str:
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(title)}</title>
<meta name="keywords" content="{attr(kw)}">
<meta name="description" content="{attr(desc)}">
<link rel="stylesheet" type="text/css" href="/skin/css/style.css">
</head>
<body>
<div class="header">
  <div class="wrap">
    <div class="logo"><a href="/" title="百纳范文网">百纳范文网</a></div>
    <ul class="nav">
      <li><a href="/">首页</a></li>
      <li><a href="/zhuanti/">专题范文</a></li>
      <li><a href="/zhuanti/jianghuagao/">讲话稿</a></li>
      <li><a href="/about.html">关于我们</a></li>
    </ul>
    <div class="user"><a href="/member/login.html">登录</a> | <a href="/member/login.html">注册</a></div>
    <form class="search" action="/search/" method="get"><input type="text" name="q" placeholder="搜索范文"><button type="submit">搜索</button></form>
  </div>
</div>
"""

    def foot(self) -> str:
        return """<div class="footer">
  <p>声明:本网站尊重并保护知识产权,根据《信息网络传播权保护条例》,如果我们转载的作品侵犯了您的权利,请在一个月内通知我们,我们会及时删除。</p>
  <p>Copyright©2012-2024 百纳范文网版权所有 备案号:鲁ICP备12014506号-1</p>
  <p><a href="/about.html">关于我们</a> | <a href="/member/login.html">会员中心</a> | <a href="/">网站首页</a></p>
</div>
<script src="/skin/js/common.js"></script>
</body>
</html>
"""

    def sidebar(self, exclude: str | None = None) -> str:
        items = "".join(
            f'\n      <li><a href="{d.path}" title="{attr(d.title)}">{esc(d.title)}</a><span>{d.list_date}</span></li>'
            for d in self.docs if d.in_sidebar and d.id != exclude)
        return f"""<div class="sidebar">
  <div class="box hot">
    <h3>热门文章</h3>
    <ul>{items}
    </ul>
  </div>
  <div class="box">
    <h3>专题分类</h3>
    <ul><li><a href="/zhuanti/jianghuagao/">讲话稿</a></li></ul>
  </div>
</div>"""

    def doc_frame(self, d: Doc, content_html: str, tags_html: str) -> str:
        return f"""<div class="position">当前位置:<a href="/">百纳范文网</a>&gt;<a href="/zhuanti/">专题范文</a> &gt; <a href="/zhuanti/jianghuagao/">讲话稿</a> &gt; {esc(d.title)}</div>
<div class="main">
<div class="article">
  <h1>{esc(d.title)}</h1>
  <div class="info">时间:{d.date} 来源:网友投稿</div>
{content_html}
{tags_html}
</div>
{self.sidebar(d.id)}
</div>
"""

    def tags_html(self, d: Doc) -> str:
        links = " ".join(f'<a href="{self.tag_url(k)}">{esc(k)}</a>' for k in d.keywords)
        return f'  <div class="tags">推荐访问:{links}</div>'

    def intro(self, title: str) -> str:
        return f"    <p>下面是小编为大家整理的{esc(title)},供大家参考。</p>\n    <h2>{esc(title)}</h2>\n"

    def build(self) -> None:
        s = self.seeds
        self.docs = [
            Doc("121150", "/fanwen/121150.html", "2023年度民主生活会个人对照检查材料(通用)", "2023-07-01 11:20:09",
                "2023-07-01", "empty", "本文档暂无内容预览。", ["民主生活会", "对照检查"]),
            Doc("121034", "/fanwen/121034.html", "在全区安全生产工作会议上的讲话", "2023-06-12 16:25:48",
                "2023-06-12", "doc", O1[1][:60], ["安全生产", "工作会议", "讲话"], in_sidebar=True),
            Doc("121200", "/fanwen/121200.html", "党支部书记抓基层党建述职报告(Word版下载)", None,
                "2023-06-05", "not_html", "Word文档,下载后可直接编辑。"),
            Doc("120987", "/fanwen/120987.html", "在全市作风建设大会上的讲话范文(完整版)", "2023-05-06 08:41:27",
                "2023-05-06", "doc", s.s002_parts[1][1][1][:60], ["作风建设", "讲话", "复工复产"], in_sidebar=True),
            # list page 2
            Doc("121102", "/fanwen/121102.html", "2023年在全县乡村振兴重点工作推进会上的讲话", "2023-02-20 09:30:12",
                "2023-02-20", "doc", O2[1][:60], ["乡村振兴", "推进会", "讲话"], in_sidebar=True),
            Doc("120511", "/fanwen/120511.html", s.s000_title, s.s000_date, s.s000_date[:10], "doc",
                s.s000_body[2][:60], s.s000_keywords),
            Doc("119998", "/fanwen/119998.html", "2022年度个人述职述廉报告", None, "2022-08-30", "missing",
                "个人述职述廉报告范文。"),
        ]
        page1, page2 = self.docs[:4], self.docs[4:]
        for d in self.docs:
            self.register_tags(d, d.keywords)
        self.static_assets(BAINA_CSS)
        by_id = {d.id: d for d in self.docs}

        # documents ---------------------------------------------------------------
        self.doc_seed000(by_id["120511"])
        self.doc_dup(by_id["120987"])
        self.doc_hidden(by_id["121034"])
        self.doc_malformed(by_id["121102"])
        self.doc_empty(by_id["121150"])
        self.doc_not_html(by_id["121200"])
        self.doc_missing(by_id["119998"])

        # lists -------------------------------------------------------------------
        self.list_page(1, page1, 2)
        self.list_page(2, page2, 2)
        self.section_page()
        self.index_page()
        self.tag_pages()
        self.noise_pages()

    def add_doc(self, d: Doc, markup: str, records: list[dict], case: str, tests: str, note: str,
                skip: str | None = None) -> None:
        must = mnc(self.BOILER + [f"{d.title}_百纳范文网"] + ([d.title] if skip is None else []),
                   visible_text(markup), records)
        exp = self.expected(d.path, note, records, skip, must)
        self.add(Page(d.path, self.enc(markup), "document" if skip is None else "noise", tests, exp, case))

    def doc_seed000(self, d: Doc) -> None:
        s = self.seeds
        paras = s.s000_body
        body = f'    <p style="text-align: center;"><strong>{esc(paras[0])}</strong></p>\n' + "".join(
            f"    <p>{esc(p)}</p>\n" for p in paras[1:])
        content = f'  <div class="content">\n{self.intro(d.title)}{body}  </div>'
        markup = self.head(f"{d.title}_百纳范文网", ",".join(d.keywords), paras[2][:80]) + \
            self.doc_frame(d, content, self.tags_html(d)) + self.foot()
        rec = self.record(d.title, iso_dt(d.date), paras, self.CATEGORY, "网友投稿", d.keywords, False)
        self.add_doc(d, markup, [rec], "seed000_speech",
                     "seed 000 verbatim; body starts at its own heading; sidebar dates; list page 2 only",
                     "Seed 000 exactly. The <h2> repeats the page title and is dropped; the body starts at the speech's own heading "
                     "(示范区党工委理论中心组学习会议讲话), which is kept. Masks *** and xx kept. Linked only from list page 2 "
                     "(and tag pages), never from page 1 or a sidebar.")

    def doc_dup(self, d: Doc) -> None:
        paras = self.seeds.s002_parts[1][1]
        body = "".join(f"    <p>{esc(p)}</p>\n" for p in paras)
        content = f'  <div class="content">\n{self.intro(d.title)}{body}  </div>'
        markup = self.head(f"{d.title}_百纳范文网", ",".join(d.keywords), paras[1][:80]) + \
            self.doc_frame(d, content, self.tags_html(d)) + self.foot()
        rec = self.record(d.title, iso_dt(d.date), paras, self.CATEGORY, "网友投稿", d.keywords, False)
        self.add_doc(d, markup, [rec], "dup_of_juyou_part2",
                     "cross-site EXACT duplicate of juyou 186523.html#part-2 under another title",
                     "The 篇二 body of seed 002 republished verbatim under a different title: its text equals juyou "
                     "/fanwendaquan/gongwenfanwen/186523.html#part-2 exactly (the cross-site exact duplicate).")

    def doc_hidden(self, d: Doc) -> None:
        paras = O1
        shown, hidden = paras[:4], paras[4:]
        body = "".join(f"    <p>{esc(p)}</p>\n" for p in shown)
        hid = "".join(f"      <p>{esc(p)}</p>\n" for p in hidden)
        content = (f'  <div class="content">\n{self.intro(d.title)}{body}'
                   f'    <div class="hidecontent" style="display:none">\n{hid}    </div>\n'
                   f'    <div class="readall"><a href="javascript:;" rel="nofollow">当前隐藏内容免费查看</a></div>\n'
                   f"    <script>var _hc=1;</script>\n  </div>")
        markup = self.head(f"{d.title}_百纳范文网", ",".join(d.keywords), paras[1][:80]) + \
            self.doc_frame(d, content, self.tags_html(d)) + self.foot()
        rec = self.record(d.title, iso_dt(d.date), paras, self.CATEGORY, "网友投稿", d.keywords, False)
        self.add_doc(d, markup, [rec], "hidden_content",
                     "second half of the body in div.hidecontent (display:none); readall button inside div.content",
                     "Original speech; paragraphs 5-8 are inside <div class=\"hidecontent\" style=\"display:none\"> and are "
                     "part of the body; the show-all button (当前隐藏内容免费查看) sits INSIDE div.content after it and must be dropped.")

    def doc_malformed(self, d: Doc) -> None:
        p = [esc(x) for x in O2]
        content = f"""  <div class=content>
    <p>下面是小编为大家整理的{esc(d.title)},供大家参考。
    <h2>{esc(d.title)}</h2>
    <P>{p[0]}
    <p>&nbsp&nbsp;{p[1]}</span>
    <p><b>{p[2]}
    <p>{p[3]}</p></p>
    <p><font color=#333333>{p[4]}</font>
    <p align=left>{p[5]}</font></em>
    <P>{p[6]}
    <p>{p[7]}
  </div>
  </div></div></div>"""
        links = " ".join(f"<a href={self.tag_url(k)}>{esc(k)}</a>" for k in d.keywords)
        frame = f"""<div class=position>当前位置:<a href="/">百纳范文网</a>&gt;<a href=/zhuanti/>专题范文</a> &gt; <a href="/zhuanti/jianghuagao/">讲话稿</a> &gt; {esc(d.title)}</div>
<div class="main">
<div class="article">
  <h1>{esc(d.title)}</h1>
  <div class="info">时间:{d.date} 来源:网友投稿</div>
{content}
  <div class="tags">推荐访问:{links}</div>
  <div class="bdsharebuttonbox"><a href="javascript:;" class="bds_more">分享到</a>
{self.sidebar(d.id)}
"""
        markup = self.head(f"{d.title}_百纳范文网", ",".join(d.keywords), O2[1][:80]) + frame + \
            self.foot().replace("</body>\n</html>\n", "")
        rec = self.record(d.title, iso_dt(d.date), O2, self.CATEGORY, "网友投稿", d.keywords, False)
        self.add_doc(d, markup, [rec], "malformed_html",
                     "malformed HTML: unclosed <p>/<b>/<div>, stray </p></span></font></em></div>, unquoted attrs, no </html>",
                     "Original speech with broken markup (unclosed <p>, <b> and share <div>, stray closing tags "
                     "including an extra </div> after the article, &nbsp without ';', unquoted attributes, upper-case <P>, "
                     "no </body></html>); the body must still extract in full, breadcrumb and tags stay well formed.")

    def doc_empty(self, d: Doc) -> None:
        content = f'  <div class="content">\n{self.intro(d.title)}    <p></p>\n  </div>'
        markup = self.head(f"{d.title}_百纳范文网", ",".join(d.keywords), "") + \
            self.doc_frame(d, content, self.tags_html(d)) + self.foot()
        exp = self.expected(d.path, "Document template present but div.content holds only the 小编 intro, the repeated "
                            "title <h2> and an empty <p>: no body, no record.", [], "empty_body", [])
        self.add(Page(d.path, self.enc(markup), "noise", "document-shaped page, body empty after boilerplate", exp,
                      "empty_body"))

    def doc_not_html(self, d: Doc) -> None:
        exp = self.expected(d.path, "Document-shaped URL served as application/msword (attachment, OLE2 bytes): not HTML, "
                            "no record.", [], "not_html", [])
        self.add(Page(d.path, self.binary_doc(d), "noise", "document-pattern URL that is a .doc download (application/msword)",
                      exp, "not_html",
                      headers={"Content-Type": "application/msword",
                               "Content-Disposition": f'attachment; filename="{d.id}.doc"'}))

    def doc_missing(self, d: Doc) -> None:
        exp = self.expected(d.path, "Linked from list page 2 but absent: 404, no record.", [], "not_found", [])
        self.pages.append(Page(d.path, b"", "noise", "broken link: 404", exp, "not_found", status=404))

    # listing pages ------------------------------------------------------------------
    def list_url(self, n: int) -> str:
        return self.LIST if n == 1 else f"{self.LIST}list_{n}.html"

    def pager(self, n: int, total: int, count: int) -> str:
        parts = []
        parts.append(f'<li><a href="{self.list_url(1)}">首页</a></li>')
        if n > 1:
            parts.append(f'<li><a href="{self.list_url(n - 1)}">上一页</a></li>')
        for i in range(1, total + 1):
            parts.append('<li class="thisclass">%d</li>' % i if i == n else f'<li><a href="{self.list_url(i)}">{i}</a></li>')
        if n < total:
            parts.append(f'<li><a href="{self.list_url(n + 1)}">下一页</a></li>')
        parts.append(f'<li><a href="{self.list_url(total)}">末页</a></li>')
        parts.append(f'<li><span class="pageinfo">共 <strong>{total}</strong>页<strong>{count}</strong>条</span></li>')
        return '<div class="pages"><ul>' + "".join(parts) + "</ul></div>"

    def list_items(self, docs: list[Doc]) -> str:
        out = []
        for d in docs:
            out.append(f"""    <li>
      <h3><a href="{d.path}" title="{attr(d.title)}">{esc(d.title)}</a></h3>
      <p class="intro">{esc(d.summary)}…</p>
      <span class="time">{d.list_date}</span>
    </li>""")
        return "\n".join(out)

    def list_page(self, n: int, docs: list[Doc], total: int) -> None:
        url = self.list_url(n)
        title = "讲话稿" + ("" if n == 1 else f"_第{n}页")
        markup = self.head(f"{title}_专题范文_百纳范文网", "讲话稿,讲话稿范文", "百纳范文网讲话稿专题") + f"""<div class="position">当前位置:<a href="/">百纳范文网</a>&gt;<a href="/zhuanti/">专题范文</a> &gt; 讲话稿</div>
<div class="main">
<div class="listbox">
  <h2 class="title">讲话稿</h2>
  <ul class="list">
{self.list_items(docs)}
  </ul>
  {self.pager(n, total, len(self.docs))}
</div>
{self.sidebar()}
</div>
""" + self.foot()
        exp = self.noise_expected(url, "listing", f"List page {n} of the 讲话稿 topic (pagination, dated items): no record.")
        self.add(Page(url, self.enc(markup), "list", f"list page {n}/{total}: numbered links + 下一页", exp, f"list_page{n}"))

    def section_page(self) -> None:
        markup = self.head("专题范文_百纳范文网") + f"""<div class="position">当前位置:<a href="/">百纳范文网</a>&gt;专题范文</div>
<div class="main">
<div class="listbox">
  <h2 class="title">专题范文</h2>
  <ul class="topics"><li><a href="/zhuanti/jianghuagao/">讲话稿</a><span>共{len(self.docs)}篇</span></li></ul>
</div>
{self.sidebar()}
</div>
""" + self.foot()
        exp = self.noise_expected("/zhuanti/", "other", "Topic index (breadcrumb target): links to topics only, no record.")
        self.add(Page("/zhuanti/", self.enc(markup), "list", "topic index (breadcrumb target)", exp, "topic_index"))

    def index_page(self) -> None:
        hot_tags = ["讲话", "安全生产", "乡村振兴"]
        tag_links = " ".join(f'<a href="{self.tag_url(t)}">{esc(t)}</a>' for t in hot_tags)
        latest = self.list_items([d for d in self.docs[:4]])
        markup = self.head("百纳范文网_范文大全_讲话稿_工作总结", "范文,讲话稿", "百纳范文网提供各类范文。") + f"""<div class="main">
<div class="listbox">
  <h2 class="title"><a href="/zhuanti/jianghuagao/">讲话稿</a><a class="more" href="/zhuanti/jianghuagao/">更多&gt;&gt;</a></h2>
  <ul class="list">
{latest}
  </ul>
  <div class="hotsearch">热门搜索:<a href="/search/?q=%E8%AE%B2%E8%AF%9D%E7%A8%BF">讲话稿</a> <a href="/search/?q=%E4%BD%9C%E9%A3%8E%E5%BB%BA%E8%AE%BE">作风建设</a></div>
  <div class="hottags">热门标签:{tag_links}</div>
</div>
{self.sidebar()}
</div>
""" + self.foot()
        exp = self.noise_expected("/", "other", "Home page: latest documents, topic link, hot searches and tags: no record.")
        self.add(Page("/", self.enc(markup), "index", "home: links to list section, search, tag page, about, login", exp, "index"))

    def tag_pages(self) -> None:
        first = True
        for name, num in list(self.tags.items()):
            docs = [d for d in self.tag_docs.get(name, []) if d.kind == "doc"]
            url = f"/tag/{num}.html"
            markup = self.head(f"{name}_标签_百纳范文网") + f"""<div class="position">当前位置:<a href="/">百纳范文网</a>&gt;标签:{esc(name)}</div>
<div class="main">
<div class="listbox">
  <h2 class="title">与“{esc(name)}”相关的范文</h2>
  <ul class="list">
{self.list_items(docs)}
  </ul>
</div>
{self.sidebar()}
</div>
""" + self.foot()
            exp = case = None
            if name == "讲话":
                exp = self.noise_expected(url, "listing", "Tag page: a list of documents (titles, summaries, dates), no body: no record.")
                case = "tag_page"
            self.add(Page(url, self.enc(markup), "tag", f"tag page 「{name}」 (list of documents)", exp, case))

    def noise_pages(self) -> None:
        about = self.head("关于我们_百纳范文网") + """<div class="main">
<div class="article">
  <h1>关于我们</h1>
  <div class="content">
    <p>百纳范文网是一个免费的范文分享平台,收录工作总结、讲话稿、心得体会等各类范文,所有资源均来自网友投稿与网络整理。</p>
    <p>如您发现本站内容侵犯了您的权益,请通过站内信与我们联系,我们将在核实后第一时间处理。</p>
  </div>
</div>
</div>
""" + self.foot()
        self.add(Page("/about.html", self.enc(about), "noise", "about page (article-like, not a document)",
                      self.noise_expected("/about.html", "other", "About page: prose but not a document URL: no record."), "about"))
        docs = [d for d in self.docs if d.kind == "doc" and d.in_sidebar]
        search = self.head("搜索结果_百纳范文网") + f"""<div class="main">
<div class="listbox">
  <h2 class="title">搜索结果</h2>
  <p class="tip">共找到 {len(docs)} 条相关结果</p>
  <ul class="list">
{self.list_items(docs)}
  </ul>
</div>
</div>
""" + self.foot()
        self.add(Page("/search/", self.enc(search), "noise", "search results (disallowed by robots.txt; query ignored)",
                      self.noise_expected("/search/", "other", "Search result page (any ?q=...): disallowed by robots.txt; a list, no record."),
                      "search"))
        login = self.head("会员登录_百纳范文网") + """<div class="main">
<div class="loginbox">
  <h2>会员登录</h2>
  <form action="/member/login.html" method="post">
    <p><label>用户名:<input type="text" name="userid"></label></p>
    <p><label>密码:<input type="password" name="pwd"></label></p>
    <p><button type="submit">登录</button> <a href="/member/login.html">忘记密码?</a></p>
  </form>
</div>
</div>
""" + self.foot()
        self.add(Page("/member/login.html", self.enc(login), "noise", "login form",
                      self.noise_expected("/member/login.html", "other", "Login form: no record."), "login"))


BAINA_CSS = """body{margin:0;font:14px/1.8 "Microsoft YaHei",sans-serif;color:#333}
.wrap,.main,.position{width:1100px;margin:0 auto}.header{background:#1b6ac9;color:#fff}
.header a{color:#fff}.nav li{display:inline-block;margin-right:20px}.article{float:left;width:760px}
.sidebar{float:right;width:300px}.sidebar li span{float:right;color:#999}.content p{text-indent:2em}
.hidecontent{display:none}.readall{text-align:center}.footer{clear:both;text-align:center;color:#666}
"""


# --------------------------------------------------------------------------------------
# juyou (巨优公文网), utf-8
# --------------------------------------------------------------------------------------

class Juyou(Site):
    key = "juyou"
    name = "巨优公文网"
    charset = "utf-8"
    LIST = "/fanwendaquan/gongwenfanwen/"
    CATEGORY = "范文大全 > 公文范文"
    BOILER = ["下面是小编", "小编", "在日常学习、工作或生活中", "推荐访问", "版权所有", "Powered by", "沪ICP备",
              "巨优公文网", "最新文章", "下一页", "上一页", "当前位置", "来源:网友投稿", "未经授权禁止复制"]

    def head(self, title: str, kw: str = "", desc: str = "") -> str:
        return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<meta name="keywords" content="{attr(kw)}">
<meta name="description" content="{attr(desc)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link href="/skin/css/style.css" rel="stylesheet">
</head>
<body>
<div class="top">
  <div class="wrap">
    <a class="logo" href="/">巨优公文网</a>
    <ul class="nav">
      <li><a href="/">首页</a></li>
      <li><a href="/fanwendaquan/">范文大全</a></li>
      <li><a href="/fanwendaquan/gongwenfanwen/">公文范文</a></li>
      <li><a href="/about.html">关于本站</a></li>
      <li class="login"><a href="/member/login.html">登录</a></li>
    </ul>
  </div>
</div>
"""

    def foot(self) -> str:
        return """<div class="footer">
  <p><a href="/about.html">关于我们</a> - <a href="/member/login.html">会员登录</a> - <a href="/">返回首页</a></p>
  <p>版权所有:巨优公文网 2018-2024 未经授权禁止复制或建立镜像[巨优公文网]所有资源完全免费共享</p>
  <p>Powered by 巨优公文网 © All Rights Reserved.。备案号:沪ICP备18054162号-1</p>
</div>
<script src="/skin/js/common.js"></script>
</body>
</html>
"""

    def sidebar(self, exclude: str | None = None) -> str:
        items = "".join(
            f'\n      <li><a href="{d.path}">{esc(d.title)}</a><span class="date">{d.list_date}</span></li>'
            for d in self.docs if d.in_sidebar and d.id != exclude)
        return f"""<div class="main-right">
  <div class="box">
    <h3>最新文章</h3>
    <ul>{items}
    </ul>
  </div>
</div>"""

    def keywords_html(self, d: Doc) -> str:
        links = " ".join(f'<a href="{self.tag_url(k)}" target="_blank">{esc(k)}</a>' for k in d.keywords)
        return f'<div class="keywords">推荐访问:{links}</div>'

    def frame(self, d: Doc, content: str, pagelink: str = "") -> str:
        return f"""<div class="wrap">
<div class="crumb">当前位置:<a href="/">巨优公文网</a>&gt;<a href="/fanwendaquan/">范文大全</a> &gt; <a href="/fanwendaquan/gongwenfanwen/">公文范文</a> &gt; {esc(d.title)}</div>
<div class="main">
<div class="main-left">
<h1 class="title">{esc(d.title)}</h1>
<div class="attr">时间:{d.date} <a href="/fanwendaquan/gongwenfanwen/">公文范文</a> 来源:网友投稿</div>
{content}
{pagelink}
{self.keywords_html(d)}
</div>
{self.sidebar(d.id)}
</div>
</div>
"""

    def intro(self, title: str) -> str:
        return f"<p>下面是小编为大家整理的{esc(title)},供大家参考。</p>\n<p><strong>{esc(title)}</strong></p>\n"

    def add_doc(self, d: Doc, markup: str, records: list[dict], case: str, tests: str, note: str,
                pages: list[str] | None = None, extra_markup: str = "", extra_must: list[str] | None = None) -> None:
        must = mnc(self.BOILER + [f"{d.title}-巨优公文网", d.title] + (extra_must or []),
                   visible_text(markup + extra_markup), records)
        exp = self.expected(d.path, note, records, None, must, pages)
        self.add(Page(d.path, self.enc(markup), "document", tests, exp, case))

    def build(self) -> None:
        s = self.seeds
        self.docs = [
            Doc("186700", self.LIST + "186700.html", "2023年上半年工作总结及下半年工作计划范文", "2023-06-20 09:15:31",
                "2023-06-20", "empty", "本文暂无内容。", ["工作总结", "工作计划"]),
            Doc("186650", self.LIST + "186650.html", "2023年在机关作风建设专题会议上的讲话", "2023-06-02 14:03:55",
                "2023-06-02", "doc", O4[1][:60], ["作风建设", "机关", "讲话"], in_sidebar=True),
            Doc("186720", self.LIST + "186720.html", "2023年党建工作要点(Word下载版)", None, "2023-05-28", "not_html",
                "Word文档下载。"),
            Doc("186601", self.LIST + "186601.html", "在全市优化营商环境工作推进会上的讲话", "2023-05-15 10:12:40",
                "2023-05-15", "doc", O3[1][:60], ["营商环境", "推进会", "讲话"], in_sidebar=True),
            # page 2
            Doc("186523", self.LIST + "186523.html", s.s002_title, s.s002_date, s.s002_date[:10], "doc",
                s.s002_filler[:60], s.s002_keywords),
            Doc("185999", self.LIST + "185999.html", "2023年政府工作报告学习心得体会", None, "2023-03-10", "missing",
                "政府工作报告学习心得。"),
        ]
        for d in self.docs:
            self.register_tags(d, d.keywords)
        self.static_assets(JUYOU_CSS)
        by_id = {d.id: d for d in self.docs}
        self.doc_compilation(by_id["186523"])
        self.doc_multipage(by_id["186601"])
        self.doc_plain(by_id["186650"])
        self.doc_empty(by_id["186700"])
        self.doc_not_html(by_id["186720"])
        self.doc_missing(by_id["185999"])
        self.list_page(1, self.docs[:4], 2)
        self.list_page(2, self.docs[4:], 2)
        self.section_page()
        self.index_page()
        self.tag_pages()
        self.noise_pages()

    def doc_compilation(self, d: Doc) -> None:
        s = self.seeds
        body = self.intro(d.title) + f"<p>{esc(s.s002_filler)}</p>\n"
        for head, paras in s.s002_parts:
            body += f"<h3>{esc(head)}</h3>\n" + "".join(f"<p>{esc(p)}</p>\n" for p in paras)
        content = f'<div id="content" class="content">\n{body}</div>'
        markup = self.head(f"{d.title}-巨优公文网", ",".join(d.keywords[:3]), s.s002_filler[:80]) + \
            self.frame(d, content) + self.foot()
        recs = [self.record(head, iso_dt(d.date), paras, self.CATEGORY, "网友投稿", d.keywords, False,
                            url_suffix=f"#part-{i}", collection=d.title)
                for i, (head, paras) in enumerate(s.s002_parts, 1)]
        self.add_doc(d, markup, recs, "compilation_five_parts",
                     "compilation (五篇): 5 records #part-1..#part-5; filler paragraph; 推荐访问 with a repeated item",
                     "Seed 002 exactly: a compilation page whose title is unrelated to the bodies. One record per <h3> part "
                     "(title = part heading, collection = page title, text = that part's paragraphs only). The 小编 intro, the "
                     "<strong> title line and the filler paragraph (在日常学习、工作或生活中...) are dropped. Keywords de-duplicated. "
                     "Part 2 is republished verbatim on baina /fanwen/120987.html (exact duplicate).",
                     extra_must=[head for head, _ in s.s002_parts])

    def doc_multipage(self, d: Doc) -> None:
        chunks = [O3[:3], O3[3:6], O3[6:]]
        names = [f"{d.id}.html", f"{d.id}_2.html", f"{d.id}_3.html"]
        urls = [self.LIST + n for n in names]
        markups = []
        for i, chunk in enumerate(chunks):
            links = []
            if i > 0:
                links.append(f'<a href="{names[i - 1]}">上一页</a>')
            for j, n in enumerate(names):
                links.append(f'<span class="current">{j + 1}</span>' if j == i else f'<a href="{n}">{j + 1}</a>')
            if i < len(names) - 1:
                links.append(f'<a href="{names[i + 1]}">下一页</a>')
            pagelink = '<div class="pagelink">' + "".join(links) + "</div>"
            body = (self.intro(d.title) if i == 0 else "") + "".join(f"<p>{esc(p)}</p>\n" for p in chunk)
            content = f'<div id="content" class="content">\n{body}</div>'
            markups.append(self.head(f"{d.title}" + ("" if i == 0 else f"(第{i + 1}页)") + "-巨优公文网",
                                     ",".join(d.keywords), O3[1][:80]) + self.frame(d, content, pagelink) + self.foot())
        rec = self.record(d.title, iso_dt(d.date), O3, self.CATEGORY, "网友投稿", d.keywords, False)
        self.add_doc(d, markups[0], [rec], "multipage_article",
                     "article split over 3 pages (<id>.html, <id>_2.html, <id>_3.html) with div.pagelink",
                     "Original speech split over three pages; one merged record for the first page's URL, text = the "
                     "paragraphs of pages 1-3 in order. The 小编 intro and <strong> title only on page 1; pagelink "
                     "(1 2 3 下一页/上一页) dropped.",
                     pages=urls, extra_markup="".join(markups[1:]))
        for i in (1, 2):
            self.add(Page(urls[i], self.enc(markups[i]), "document (page %d/3)" % (i + 1),
                          f"page {i + 1} of the multi-page article (covered by multipage_article.json)"))

    def doc_plain(self, d: Doc) -> None:
        p = [esc(x) for x in O4]
        body = self.intro(d.title) + "".join(f"<p>{x}\n" for x in p)
        content = f'<div id="content" class="content">\n{body}</div>\n</div>'
        markup = self.head(f"{d.title}-巨优公文网", ",".join(d.keywords), O4[1][:80]) + \
            self.frame(d, content) + self.foot().replace("</html>\n", "")
        rec = self.record(d.title, iso_dt(d.date), O4, self.CATEGORY, "网友投稿", d.keywords, False)
        self.add_doc(d, markup, [rec], "plain_speech_malformed",
                     "plain one-page speech; mildly malformed (no </p>, stray </div>, no </html>)",
                     "Original speech on one page. Mild tag soup: paragraphs never closed, a stray </div> after the content "
                     "div, no </html>. A near duplicate (small edits) is on huiwen /doc/2001345.html.")

    def doc_empty(self, d: Doc) -> None:
        content = '<div id="content" class="content">\n</div>'
        markup = self.head(f"{d.title}-巨优公文网", ",".join(d.keywords), "") + self.frame(d, content) + self.foot()
        exp = self.expected(d.path, "Document template (title, attr, keywords) present, div#content empty: no record.",
                            [], "empty_body", [])
        self.add(Page(d.path, self.enc(markup), "noise", "document-shaped page with empty div#content", exp, "empty_body"))

    def doc_not_html(self, d: Doc) -> None:
        exp = self.expected(d.path, "Document-shaped URL served as application/msword: not HTML, no record.", [], "not_html", [])
        self.add(Page(d.path, self.binary_doc(d), "noise", "document-pattern URL that is a .doc download (application/msword)",
                      exp, "not_html",
                      headers={"Content-Type": "application/msword",
                               "Content-Disposition": f'attachment; filename="{d.id}.doc"'}))

    def doc_missing(self, d: Doc) -> None:
        exp = self.expected(d.path, "Linked from list page 2 but absent: 404, no record.", [], "not_found", [])
        self.pages.append(Page(d.path, b"", "noise", "broken link: 404", exp, "not_found", status=404))

    def list_url(self, n: int) -> str:
        return self.LIST if n == 1 else f"{self.LIST}index_{n}.html"

    def list_items(self, docs: list[Doc]) -> str:
        return "\n".join(
            f'<li><a class="t" href="{d.path}">{esc(d.title)}</a><p>{esc(d.summary)}…</p><span>{d.list_date}</span></li>'
            for d in docs)

    def list_page(self, n: int, docs: list[Doc], total: int) -> None:
        url = self.list_url(n)
        pg = [f'<a href="{self.list_url(1)}">首页</a>']
        if n > 1:
            pg.append(f'<a href="{self.list_url(n - 1)}">上一页</a>')
        for i in range(1, total + 1):
            pg.append(f"<b>{i}</b>" if i == n else f'<a href="{self.list_url(i)}">{i}</a>')
        if n < total:
            pg.append(f'<a href="{self.list_url(n + 1)}">下一页</a>')
        pg.append(f'<a href="{self.list_url(total)}">尾页</a>')
        markup = self.head("公文范文" + ("" if n == 1 else f"(第{n}页)") + "-巨优公文网") + f"""<div class="wrap">
<div class="crumb">当前位置:<a href="/">巨优公文网</a>&gt;<a href="/fanwendaquan/">范文大全</a> &gt; 公文范文</div>
<div class="main">
<div class="main-left">
<h2 class="cat">公文范文</h2>
<ul class="list">
{self.list_items(docs)}
</ul>
<div class="page">{"".join(pg)}</div>
</div>
{self.sidebar()}
</div>
</div>
""" + self.foot()
        exp = self.noise_expected(url, "listing", f"List page {n}: no record.")
        self.add(Page(url, self.enc(markup), "list", f"list page {n}/{total}: numbered links + 下一页", exp, f"list_page{n}"))

    def section_page(self) -> None:
        markup = self.head("范文大全-巨优公文网") + f"""<div class="wrap">
<div class="crumb">当前位置:<a href="/">巨优公文网</a>&gt;范文大全</div>
<div class="main"><div class="main-left"><ul class="cats"><li><a href="/fanwendaquan/gongwenfanwen/">公文范文</a></li></ul></div>
{self.sidebar()}
</div>
</div>
""" + self.foot()
        self.add(Page("/fanwendaquan/", self.enc(markup), "list", "section index (breadcrumb target)",
                      self.noise_expected("/fanwendaquan/", "other", "Section index: no record."), "section_index"))

    def index_page(self) -> None:
        tag_links = " ".join(f'<a href="{self.tag_url(t)}">{esc(t)}</a>' for t in ["讲话", "作风建设", "营商环境"])
        markup = self.head("巨优公文网-公文范文_范文大全", "公文范文", "巨优公文网") + f"""<div class="wrap">
<div class="main">
<div class="main-left">
<h2 class="cat"><a href="/fanwendaquan/gongwenfanwen/">公文范文</a> <a class="more" href="/fanwendaquan/gongwenfanwen/">更多</a></h2>
<ul class="list">
{self.list_items(self.docs[:4])}
</ul>
<div class="hotsearch">大家都在搜:<a href="/search/?keyword=%E8%AE%B2%E8%AF%9D">讲话</a></div>
<div class="hottags">热门标签:{tag_links}</div>
</div>
{self.sidebar()}
</div>
</div>
""" + self.foot()
        self.add(Page("/", self.enc(markup), "index", "home: list section, search, tag page, about, login",
                      self.noise_expected("/", "other", "Home page: no record."), "index"))

    def tag_pages(self) -> None:
        for name, num in list(self.tags.items()):
            docs = [d for d in self.tag_docs.get(name, []) if d.kind == "doc"]
            url = f"/tag/{num}.html"
            markup = self.head(f"{name}-标签-巨优公文网") + f"""<div class="wrap">
<div class="crumb">当前位置:<a href="/">巨优公文网</a>&gt;标签:{esc(name)}</div>
<div class="main"><div class="main-left"><h2 class="cat">{esc(name)}</h2>
<ul class="list">
{self.list_items(docs)}
</ul></div>
{self.sidebar()}
</div>
</div>
""" + self.foot()
            exp = case = None
            if name == "讲话":
                exp = self.noise_expected(url, "listing", "Tag page: a list of documents, no body: no record.")
                case = "tag_page"
            self.add(Page(url, self.enc(markup), "tag", f"tag page 「{name}」", exp, case))

    def noise_pages(self) -> None:
        about = self.head("关于本站-巨优公文网") + """<div class="wrap"><div class="main"><div class="main-left">
<h1 class="title">关于本站</h1>
<div class="content"><p>巨优公文网致力于为广大用户提供优质的公文写作参考资料,内容涵盖讲话稿、工作总结、心得体会、述职报告等。</p>
<p>本站所有文章均由网友投稿或网络整理,仅供学习交流使用。</p></div>
</div></div></div>
""" + self.foot()
        self.add(Page("/about.html", self.enc(about), "noise", "about page",
                      self.noise_expected("/about.html", "other", "About page: no record."), "about"))
        docs = [d for d in self.docs if d.kind == "doc" and d.in_sidebar]
        search = self.head("搜索结果-巨优公文网") + f"""<div class="wrap"><div class="main"><div class="main-left">
<h2 class="cat">搜索结果</h2>
<ul class="list">
{self.list_items(docs)}
</ul></div></div></div>
""" + self.foot()
        self.add(Page("/search/", self.enc(search), "noise", "search results (robots-disallowed)",
                      self.noise_expected("/search/", "other", "Search result page: disallowed by robots.txt; a list, no record."),
                      "search"))
        login = self.head("用户登录-巨优公文网") + """<div class="wrap"><div class="main">
<form class="login" action="/member/login.html" method="post">
<h2>用户登录</h2>
<p>账号:<input type="text" name="username"></p>
<p>密码:<input type="password" name="password"></p>
<p><input type="submit" value="登录"></p>
</form></div></div>
""" + self.foot()
        self.add(Page("/member/login.html", self.enc(login), "noise", "login form",
                      self.noise_expected("/member/login.html", "other", "Login form: no record."), "login"))


JUYOU_CSS = """body{font-family:"PingFang SC","Microsoft YaHei";margin:0}.wrap{width:1200px;margin:0 auto}
.top{background:#c00}.top a{color:#fff}.nav li{display:inline-block;padding:0 12px}.main-left{float:left;width:840px}
.main-right{float:right;width:330px}.content p{text-indent:2em;line-height:2}.pagelink a,.pagelink span{margin:0 4px}
.footer{clear:both;background:#eee;text-align:center}
"""


# --------------------------------------------------------------------------------------
# jianbiao (简表范文网), utf-8
# --------------------------------------------------------------------------------------

class Jianbiao(Site):
    key = "jianbiao"
    name = "简表范文网"
    charset = "utf-8"
    LIST = "/zhuanti/gongwenfanwen/"
    CATEGORY = "专题范文 > 公文范文"
    BOILER = ["下面是小编", "小编", "相关推荐", "热门文章", "本页是最新发布的", "预览阅读已结束", "mooonya", "联系老师",
              "简表范文网", "当前位置", "来源:网友投稿", "版权所有", "ICP备"]

    def head(self, title: str, kw: str = "", desc: str = "") -> str:
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{esc(title)}</title>
<meta name="keywords" content="{attr(kw)}" />
<meta name="description" content="{attr(desc)}" />
<link href="/skin/css/style.css" rel="stylesheet" type="text/css" />
</head>
<body>
<div id="header">
  <div class="logo"><a href="/">简表范文网</a></div>
  <div id="nav">
    <a href="/">首页</a>
    <a href="/zhuanti/">专题范文</a>
    <a href="/zhuanti/gongwenfanwen/">公文范文</a>
    <a href="/about.html">关于我们</a>
    <a href="/member/login.html">会员登录</a>
  </div>
</div>
"""

    def foot(self) -> str:
        return """<div id="footer">
  <p><a href="/about.html">关于本站</a> | <a href="/member/login.html">会员中心</a></p>
  <p>简表范文网 版权所有 本站内容来源于网友投稿,仅供参考</p>
</div>
<script type="text/javascript" src="/skin/js/common.js"></script>
</body>
</html>
"""

    def related(self) -> str:
        targets = [d for d in self.docs if d.in_sidebar]
        items = []
        for i, ((title, summary), date) in enumerate(zip(self.seeds.s003_related, RELATED_DATES)):
            t = targets[i % len(targets)]
            items.append(f'    <li><a href="{t.path}" target="_blank">{esc(title)}</a><p>{esc(summary)}</p><span>{date}</span></li>')
        return ('<div class="related">\n  <h3>相关推荐</h3>\n  <h3>热门文章</h3>\n  <ul>\n' + "\n".join(items) + "\n  </ul>\n</div>")

    def indent(self, raw: str) -> str:
        """Render a seed-003 line keeping its leading indentation as nbsp / full-width spaces."""
        stripped = raw.lstrip(" ")
        n = len(raw) - len(stripped)
        lead = "&nbsp;" * n if n == 1 else "\u3000" * n
        return lead + esc(stripped.rstrip())

    def frame(self, d: Doc, body: str, info: str) -> str:
        return f"""<div id="main">
<div class="weizhi">当前位置: <a href="/">简表范文网</a> &gt; <a href="/zhuanti/">专题范文</a> &gt; <a href="/zhuanti/gongwenfanwen/">公文范文</a> &gt;</div>
<div class="art">
<h1>{esc(d.title)}</h1>
<div class="art-info">{info}</div>
<div class="art-body">
{body}
</div>
</div>
{self.related()}
</div>
"""

    def intro(self, title: str) -> str:
        return f"<p>下面是小编为大家整理的{esc(title)},供大家参考。</p>\n<p>{esc(title)}</p>\n"

    def add_doc(self, d: Doc, markup: str, records: list[dict], case: str, tests: str, note: str) -> None:
        must = mnc(self.BOILER + [d.title], visible_text(markup), records)
        # the related list's own titles must never leak into a body
        must += [t for t, _ in self.seeds.s003_related[:3] if all(t not in r["text"] for r in records)]
        exp = self.expected(d.path, note, records, None, must)
        self.add(Page(d.path, self.enc(markup), "document", tests, exp, case))

    def build(self) -> None:
        s = self.seeds
        self.docs = [
            Doc("5236", "/a/20230712/5236.html", "在上半年工作总结交流暨推进会上的讲话", "2023-07-12", "2023-07-12", "doc",
                s.s001_body[1][:60], in_sidebar=True),
            Doc("4420", "/a/20230601/4420.html", "2023年防汛工作会议讲话稿", "2023-06-01", "2023-06-01", "empty",
                "防汛工作会议讲话稿。"),
            Doc("4305", "/a/20230520/4305.html", "2023年党风廉政建设工作会议讲话(Word下载)", None, "2023-05-20", "not_html",
                "Word文档下载。"),
            Doc("4188", "/a/20230510/4188.html", "在全县安全生产工作推进会上的讲话稿", "2023-05-10", "2023-05-10", "doc",
                O1_JIANBIAO[1][:60], in_sidebar=True),
            # page 2
            Doc("3999", "/a/20230301/3999.html", "2023年学校工作会议校长讲话稿", None, "2023-03-01", "missing",
                "学校工作会议校长讲话稿。"),
            Doc("4071", "/a/20220315/4071.html", s.s003_title, None, None, "doc", s.s003_body_raw[3].strip()[:60]),
        ]
        tag_map = {"讲话稿": ["5236", "4188", "4071"], "公文范文": ["5236", "4188", "4071", "4420"]}
        by_id = {d.id: d for d in self.docs}
        for name, ids in tag_map.items():
            for i in ids:
                self.register_tags(by_id[i], [name])
        self.static_assets(JIANBIAO_CSS)
        self.doc_seed003(by_id["4071"])
        self.doc_paywall(by_id["5236"])
        self.doc_dated(by_id["4188"])
        self.doc_empty(by_id["4420"])
        self.doc_not_html(by_id["4305"])
        self.doc_missing(by_id["3999"])
        self.list_page(1, self.docs[:4], 2)
        self.list_page(2, self.docs[4:], 2)
        self.section_page()
        self.index_page()
        self.tag_pages()
        self.noise_pages()

    def doc_seed003(self, d: Doc) -> None:
        s = self.seeds
        body = self.intro(d.title) + "".join(f"<p>{self.indent(r)}</p>\n" for r in s.s003_body_raw)
        markup = self.head(f"{d.title}_简表范文网", "讲话,中心组学习", s.s003_body_raw[3].strip()[:80]) + \
            self.frame(d, body.rstrip("\n"), '<span class="time"></span> | 来源:网友投稿') + self.foot()
        rec = self.record(d.title, None, s.s003_body_raw, self.CATEGORY, "网友投稿", [], True)
        self.add_doc(d, markup, [rec], "seed003_no_date",
                     "seed 003: no date on the page (sidebar/related list has dates); nbsp/full-width indents; preview cut at 真...",
                     "Seed 003 exactly: the page gives NO date (published_at null) although the related list below the body "
                     "has dated items. Paragraph indentation (&nbsp; / full-width spaces) is stripped; odd characters (〞) and "
                     "inner spaces kept; the empty first paragraph is skipped. The body ends mid-sentence (真...), so "
                     "truncated=true. The related list (相关推荐/热门文章, titles + summaries + dates) is not body.")

    def doc_paywall(self, d: Doc) -> None:
        s = self.seeds
        body = self.intro(d.title) + "".join(f"<p>\u3000\u3000{esc(p)}</p>\n" for p in s.s001_body) + \
            "".join(f"<p>{esc(p)}</p>\n" for p in s.s001_trailer)
        markup = self.head(f"{d.title}_简表范文网", "讲话", s.s001_body[1][:80]) + \
            self.frame(d, body.rstrip("\n"), f'<span class="time">时间:{d.date}</span> | 来源:网友投稿') + self.foot()
        rec = self.record(d.title, d.date, s.s001_body, self.CATEGORY, "网友投稿", [], True)
        self.add_doc(d, markup, [rec], "paywall_preview",
                     "seed 001 as a truncated preview: paywall trailer (预览阅读已结束 ... 联系老师, with emoji) inside art-body",
                     "Seed 001's body followed, inside div.art-body, by the paywall trailer 预览阅读已结束,若您需要全文或代笔。/ "
                     "请点击👉 mooonya 👈联系老师: the trailer is dropped and truncated=true.")

    def doc_dated(self, d: Doc) -> None:
        p = [esc(x) for x in O1_JIANBIAO]
        body = self.intro(d.title) + "".join(f"<p>\u3000\u3000{x}\n" for x in p) + "</div>"
        markup = self.head(f"{d.title}_简表范文网", "安全生产,讲话", O1_JIANBIAO[1][:80]) + \
            self.frame(d, body, f'<span class="time">时间:{d.date}</span> | 来源:网友投稿') + self.foot().replace("</body>\n</html>\n", "")
        rec = self.record(d.title, d.date, O1_JIANBIAO, self.CATEGORY, "网友投稿", [], False)
        self.add_doc(d, markup, [rec], "dated_speech_near_dup",
                     "date-only 时间 line; near duplicate of baina 121034 (small edits); mildly malformed",
                     "Original speech with 时间:2023-05-10 (date only). It is the safety speech of baina /fanwen/121034.html "
                     "republished with small edits (区->县 etc.): a NEAR duplicate, not an exact one. Mild tag soup: "
                     "unclosed <p>, a stray </div>, no </body></html>.")

    def doc_empty(self, d: Doc) -> None:
        body = "<p>&nbsp;</p>\n<p>\u3000\u3000</p>"
        markup = self.head(f"{d.title}_简表范文网") + \
            self.frame(d, body, f'<span class="time">时间:{d.date}</span> | 来源:网友投稿') + self.foot()
        exp = self.expected(d.path, "Template present, div.art-body holds only whitespace paragraphs: no record.",
                            [], "empty_body", [])
        self.add(Page(d.path, self.enc(markup), "noise", "document-shaped page, art-body only whitespace", exp, "empty_body"))

    def doc_not_html(self, d: Doc) -> None:
        exp = self.expected(d.path, "Document-pattern URL served as application/msword (a .doc download): no record.",
                            [], "not_html", [])
        self.add(Page(d.path, self.binary_doc(d), "noise", "document-pattern URL that is a .doc download (application/msword)",
                      exp, "not_html",
                      headers={"Content-Type": "application/msword",
                               "Content-Disposition": f'attachment; filename="{d.id}.doc"'}))

    def doc_missing(self, d: Doc) -> None:
        exp = self.expected(d.path, "Linked from list page 2 but absent: 404, no record.", [], "not_found", [])
        self.pages.append(Page(d.path, b"", "noise", "broken link: 404", exp, "not_found", status=404))

    def list_url(self, n: int) -> str:
        return self.LIST if n == 1 else f"{self.LIST}{n}.html"

    def list_items(self, docs: list[Doc]) -> str:
        out = []
        for d in docs:
            date = f'<span class="date">{d.list_date}</span>' if d.list_date else ""
            out.append(f'<dl><dt><a href="{d.path}">{esc(d.title)}</a>{date}</dt><dd>{esc(d.summary)}…</dd></dl>')
        return "\n".join(out)

    def list_page(self, n: int, docs: list[Doc], total: int) -> None:
        url = self.list_url(n)
        pg = [f'<a href="{self.list_url(1)}">首页</a>']
        if n > 1:
            pg.append(f'<a href="{self.list_url(n - 1)}">上一页</a>')
        for i in range(1, total + 1):
            pg.append(f'<span class="current">{i}</span>' if i == n else f'<a href="{self.list_url(i)}">{i}</a>')
        if n < total:
            pg.append(f'<a href="{self.list_url(n + 1)}">下一页</a>')
        markup = self.head("公文范文" + ("" if n == 1 else f"_第{n}页") + "_简表范文网") + f"""<div id="main">
<div class="weizhi">当前位置: <a href="/">简表范文网</a> &gt; <a href="/zhuanti/">专题范文</a> &gt; 公文范文</div>
<div class="list">
{self.list_items(docs)}
</div>
<div class="pagelist">{"".join(pg)}</div>
{self.related()}
</div>
""" + self.foot()
        self.add(Page(url, self.enc(markup), "list", f"list page {n}/{total}: numbered links + 下一页",
                      self.noise_expected(url, "listing", f"List page {n}: no record."), f"list_page{n}"))

    def section_page(self) -> None:
        markup = self.head("专题范文_简表范文网") + """<div id="main">
<div class="weizhi">当前位置: <a href="/">简表范文网</a> &gt; 专题范文</div>
<ul class="zt"><li><a href="/zhuanti/gongwenfanwen/">公文范文</a></li></ul>
</div>
""" + self.foot()
        self.add(Page("/zhuanti/", self.enc(markup), "list", "topic index (breadcrumb target)",
                      self.noise_expected("/zhuanti/", "other", "Topic index: no record."), "topic_index"))

    def index_page(self) -> None:
        tag_links = " ".join(f'<a href="{self.tag_url(t)}">{esc(t)}</a>' for t in self.tags)
        markup = self.head("简表范文网_工作总结_讲话稿_范文大全", "范文", "简表范文网") + f"""<div id="main">
<h2><a href="/zhuanti/gongwenfanwen/">公文范文</a></h2>
<div class="list">
{self.list_items(self.docs[:4])}
</div>
<div class="hottags">热门标签:{tag_links}</div>
<div class="hotsearch">热搜:<a href="/search/?q=%E8%AE%B2%E8%AF%9D%E7%A8%BF">讲话稿</a></div>
{self.related()}
</div>
""" + self.foot()
        self.add(Page("/", self.enc(markup), "index", "home: list section, search, tag pages, about, login",
                      self.noise_expected("/", "other", "Home page: no record."), "index"))

    def tag_pages(self) -> None:
        for name, num in self.tags.items():
            docs = [d for d in self.tag_docs.get(name, []) if d.kind == "doc"]
            url = f"/tag/{num}.html"
            markup = self.head(f"{name}_简表范文网") + f"""<div id="main">
<div class="weizhi">当前位置: <a href="/">简表范文网</a> &gt; 标签 &gt; {esc(name)}</div>
<div class="list">
{self.list_items(docs)}
</div>
</div>
""" + self.foot()
            exp = case = None
            if name == "讲话稿":
                exp = self.noise_expected(url, "listing", "Tag page: a list of documents, no body: no record.")
                case = "tag_page"
            self.add(Page(url, self.enc(markup), "tag", f"tag page 「{name}」", exp, case))

    def noise_pages(self) -> None:
        about = self.head("关于我们_简表范文网") + """<div id="main"><div class="art"><h1>关于我们</h1>
<div class="art-body"><p>简表范文网收集整理各类实用范文,包括公文范文、讲话稿、工作总结、心得体会等,供广大网友学习参考。</p>
<p>本站部分内容来自网友投稿,如有侵权请联系我们删除。</p></div></div></div>
""" + self.foot()
        self.add(Page("/about.html", self.enc(about), "noise", "about page",
                      self.noise_expected("/about.html", "other", "About page: no record."), "about"))
        docs = [d for d in self.docs if d.kind == "doc" and d.in_sidebar]
        search = self.head("搜索结果_简表范文网") + f"""<div id="main"><h2>搜索结果</h2>
<div class="list">
{self.list_items(docs)}
</div></div>
""" + self.foot()
        self.add(Page("/search/", self.enc(search), "noise", "search results (robots-disallowed)",
                      self.noise_expected("/search/", "other", "Search result page: disallowed by robots.txt; a list, no record."),
                      "search"))
        login = self.head("会员登录_简表范文网") + """<div id="main"><form action="/member/login.html" method="post">
<h2>会员登录</h2><p>用户名 <input name="user" type="text" /></p><p>密 码 <input name="pass" type="password" /></p>
<p><input type="submit" value="登 录" /></p></form></div>
""" + self.foot()
        self.add(Page("/member/login.html", self.enc(login), "noise", "login form",
                      self.noise_expected("/member/login.html", "other", "Login form: no record."), "login"))


RELATED_DATES = ["2022-04-08", "2022-01-12", "2022-03-30", "2022-03-28", "2022-02-16", "2022-04-26",
                 "2022-04-20", "2022-03-31", "2022-05-18", "2022-04-25", "2022-03-03", "2022-02-21"]

JIANBIAO_CSS = """body{margin:0;font-size:14px;font-family:SimSun,serif}#header,#main,#footer{width:1000px;margin:0 auto}
#nav a{margin-right:16px}.art h1{text-align:center}.art-info{text-align:center;color:#888}
.art-body p{line-height:2}.related li p{color:#666;font-size:12px}.related li span{color:#999}
"""


# --------------------------------------------------------------------------------------
# huiwen (汇文网), GBK
# --------------------------------------------------------------------------------------

class Huiwen(Site):
    key = "huiwen"
    name = "汇文网"
    charset = "gbk"
    LIST = "/list/jianghua_{n}.html"
    BOILER = ["温馨提示", "网站客服", "此文档下载收益归作者所有", "下载文档", "你可能关注的文档", "收起", "展开",
              "分享赚钱", "汇文网", ".docx", "ID:", "大小:", "页数:", "格式:", "部分包含数学公式", "版权所有"]

    def enc(self, text: str) -> bytes:
        return text.encode("gbk")  # every character must be GBK-encodable (a subset of gb18030)

    def head(self, title: str, meta: str | None = "gbk", kw: str = "", desc: str = "") -> str:
        meta_tag = ""
        if meta == "gbk":
            meta_tag = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">\n'
        elif meta == "gb2312":
            meta_tag = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n'
        return f"""<!DOCTYPE html>
<html>
<head>
{meta_tag}<title>{esc(title)}</title>
<meta name="keywords" content="{attr(kw)}">
<meta name="description" content="{attr(desc)}">
<link rel="stylesheet" href="/skin/css/style.css">
</head>
<body>
<div class="header">
  <div class="w">
    <a class="logo" href="/">汇文网</a>
    <ul class="menu">
      <li><a href="/">首页</a></li>
      <li><a href="/list/jianghua_1.html">讲话致辞</a></li>
      <li><a href="/about.html">关于汇文网</a></li>
    </ul>
    <div class="login"><a href="/member/login.html">登录</a> <a href="/member/login.html">注册</a></div>
  </div>
</div>
"""

    def foot(self) -> str:
        return """<div class="footer">
  <p><a href="/about.html">关于我们</a> | <a href="/member/login.html">用户中心</a> | 网站客服:3074922707</p>
  <p>汇文网 版权所有 &copy; 2017-2024 本站文档均由用户上传,仅供学习交流</p>
</div>
<script src="/skin/js/common.js"></script>
</body>
</html>
"""

    def recommend(self, exclude: str | None = None) -> str:
        items = "".join(
            f'\n    <li><a href="{d.path}">{esc(d.title)}.{d.ext}</a><span>{d.list_date}</span></li>'
            for d in self.docs if d.in_sidebar and d.id != exclude)
        return f'<div class="recommend">\n  <h3>你可能关注的文档</h3>\n  <ul>{items}\n  </ul>\n</div>'

    def tips(self) -> str:
        return """<div class="tips"><b>温馨提示:</b>
  <p>1. 部分包含数学公式或PPT动画的文件,查看预览时可能会显示错乱或异常,文件下载后无此问题,请放心下载。</p>
  <p>2. 本文档由用户上传,版权归属用户,汇文网负责整理代发布。如果您对本文档版权有争议请及时联系客服。</p>
  <p>3. 下载前请仔细阅读文档内容,确认文档内容符合您的需求后进行下载,若出现内容与标题不符可向本站投诉处理。</p>
  <p>4. 下载文档时可能由于网络波动等原因无法下载或下载错误,付费完成后未能成功下载的用户请联系客服处理。</p>
  <p>网站客服:3074922707</p>
</div>"""

    def preview(self, pages: list[list[str]], p_close: bool = True, hide_last: bool = True) -> str:
        out = ['<div class="preview" id="preview">']
        for i, paras in enumerate(pages, 1):
            if i > 1:
                out.append('  <div class="page-gap">此文档下载收益归作者所有 <a href="/member/login.html" class="btn-down">下载文档</a></div>')
            cls, style = "page", ""
            if hide_last and i == len(pages) and len(pages) > 1:
                cls, style = "page hidecontent", ' style="display:none"'
            end = "</p>" if p_close else ""
            ps = "\n".join(f"    <p>{esc(p)}{end}" for p in paras)
            out.append(f'  <div class="{cls}" data-page="{i}"{style}>\n{ps}\n  </div>')
        out.append('  <div class="preview-more"><a href="javascript:;" class="more">展开</a><a href="javascript:;" class="less" style="display:none">收起</a></div>')
        out.append("</div>")
        return "\n".join(out)

    def doc_markup(self, d: Doc, meta: str | None, preview_html: str, malformed: bool = False) -> str:
        tags = " ".join(f'<a href="{self.tag_url(k)}">{esc(k)}</a>' for k in d.keywords)
        top = f"""<div class="w main">
<div class="doc-main">
<div class="doc-top"><h1>{esc(d.title)}.{d.ext}</h1><a class="btn-down" href="/member/login.html">下载文档</a><a class="share" href="javascript:;">分享</a></div>
<ul class="doc-info"><li>ID:{d.id}</li><li>大小:{d.size}</li><li>页数:{d.npages}页</li><li>格式:{d.fmt}</li><li>时间:{d.date}</li></ul>
<div class="doc-act"><a href="javascript:;">收藏</a> <a href="javascript:;">分享赚钱</a></div>
{self.tips()}
<div class="doc-tags">{tags}</div>
{preview_html}
</div>
{"</div>" if malformed else ""}{self.recommend(d.id)}
</div>
"""
        return self.head(f"{d.title}.{d.ext}-汇文网", meta, ",".join(d.keywords), d.summary) + top + \
            (self.foot().replace("</body>\n</html>\n", "") if malformed else self.foot())

    def add_doc(self, d: Doc, markup: str, records: list[dict], case: str, tests: str, note: str,
                headers: dict) -> None:
        must = mnc(self.BOILER + [f"{d.title}.{d.ext}"], visible_text(markup), records)
        exp = self.expected(d.path, note, records, None, must)
        self.add(Page(d.path, self.enc(markup), "document", tests, exp, case, headers=headers))

    def extra(self, d: Doc) -> dict:
        return {"doc_id": d.id, "size": d.size, "pages": d.npages, "format": d.fmt}

    def mkdoc(self, id_, title, date, kind, summary, keywords, size, npages, fmt, in_sidebar=False) -> Doc:
        d = Doc(id_, f"/doc/{id_}.html", title, date, date, kind, summary, keywords, in_sidebar)
        d.size, d.npages, d.fmt, d.ext = size, npages, fmt, fmt.lower()
        return d

    def build(self) -> None:
        s = self.seeds
        m = s.s004_meta
        self.part5 = s.s002_parts[4][1]
        self.docs = [
            self.mkdoc("2005210", "2023年党课讲稿范文", "2023-06-21", "empty", "党课讲稿范文。", ["党课", "讲稿"],
                       "15.20KB", 6, "DOCX"),
            self.mkdoc("2004096", "在全县乡村振兴工作会议上的讲话", "2023-06-03", "doc", O2_HUIWEN[1][:60],
                       ["乡村振兴", "讲话"], "19.50KB", 3, "DOC", in_sidebar=True),
            self.mkdoc("2003518", "在x委x届x次全会闭幕会上的讲话", "2023-05-19", "doc", self.part5[1][:60],
                       ["全会", "闭幕会", "讲话"], "38.42KB", 22, "DOCX", in_sidebar=True),
            self.mkdoc("2005577", "2023年述职述廉报告", None, "not_html", "述职述廉报告。", [], "21.03KB", 8, "DOCX"),
            # page 2
            self.mkdoc("2001345", "机关作风建设专题会议讲话稿", "2023-05-08", "doc", O4_HUIWEN[1][:60],
                       ["作风建设", "机关", "讲话"], "16.80KB", 3, "DOCX"),
            self.mkdoc(m["doc_id"], s.s004_name, m["date"], "doc", s.s004_pieces[2][:60], s.s004_tags,
                       m["size"], m["pages"], m["format"]),
            self.mkdoc("1998000", "在2022年全市经济工作会议上的讲话", None, "missing", "经济工作会议讲话。", [],
                       "30.11KB", 12, "DOCX"),
        ]
        self.docs[3].list_date = "2023-06-10"
        self.docs[6].list_date = "2023-03-15"
        for d in self.docs:
            self.register_tags(d, d.keywords)
        self.static_assets(HUIWEN_CSS)
        by_id = {d.id: d for d in self.docs}
        self.doc_seed004(by_id[m["doc_id"]])
        self.doc_full(by_id["2001345"])
        self.doc_part5(by_id["2003518"])
        self.doc_nocharset(by_id["2004096"])
        self.doc_empty(by_id["2005210"])
        self.doc_not_html(by_id["2005577"])
        self.doc_missing(by_id["1998000"])
        self.list_page(1, self.docs[:4], 2)
        self.list_page(2, self.docs[4:], 2)
        self.index_page()
        self.tag_pages()
        self.noise_pages()

    def doc_seed004(self, d: Doc) -> None:
        pieces = self.seeds.s004_pieces
        # the preview shows the document from its own first line (= the title), over 4 pages, the last hidden
        pages = [pieces[0:5], pieces[5:9], pieces[9:12], pieces[12:]]
        markup = self.doc_markup(d, "gb2312", self.preview(pages))
        rec = self.record(d.title, d.date, pieces[1:], None, None, d.keywords, True, extra=self.extra(d))
        self.add_doc(d, markup, [rec], "seed004_docx_preview",
                     "seed 004 docx preview: metadata -> extra, doc-tags -> keywords, page chrome between preview pages, "
                     "last page hidden, stops mid-sentence; HTTP header LIES (charset=utf-8) while the body is GBK "
                     "(meta gb2312)",
                     "Seed 004: title = h1 without .docx; the preview's first line repeats the title and is dropped; "
                     "paragraphs of the 4 preview pages (the 4th hidden) joined; page chrome (此文档下载收益归作者所有 / 下载文档 / "
                     "展开 / 收起), 温馨提示, doc-info, doc-tags and 你可能关注的文档 are not body. It stops mid-sentence -> "
                     "truncated=true. Served with Content-Type 'text/html; charset=utf-8' although the bytes are GBK "
                     "(meta says gb2312): decoding must not trust the header.",
                     {"Content-Type": "text/html; charset=utf-8"})

    def doc_full(self, d: Doc) -> None:
        paras = O4_HUIWEN
        pages = [[d.title] + paras[:3], paras[3:5], paras[5:]]
        markup = self.doc_markup(d, None, self.preview(pages))
        rec = self.record(d.title, d.date, paras, None, None, d.keywords, False, extra=self.extra(d))
        self.add_doc(d, markup, [rec], "full_preview_header_gbk",
                     "full (not truncated) docx preview; charset only in the HTTP header (gbk), no meta; near duplicate of "
                     "juyou 186650",
                     "Original speech as a complete preview (ends with 。): truncated=false. Charset given only by the "
                     "header 'text/html; charset=gbk', no <meta>. Near duplicate (small edits) of juyou "
                     "/fanwendaquan/gongwenfanwen/186650.html.",
                     {"Content-Type": "text/html; charset=gbk"})

    def doc_part5(self, d: Doc) -> None:
        paras = self.part5
        shown = paras[:19]
        cut_para = paras[19]
        cut = cut_para.index("具体工作中") + len("具体工作中")
        cut_text = cut_para[:cut]
        assert not cut_text.endswith(("。", "!", "?"))
        body = shown + [cut_text]
        pages = [[d.title] + body[:6], body[6:10], body[10:15], body[15:]]
        markup = self.doc_markup(d, "gb2312", self.preview(pages))
        rec = self.record(d.title, d.date, body, None, None, d.keywords, True, extra=self.extra(d))
        self.add_doc(d, markup, [rec], "part5_preview_meta_gb2312",
                     "篇五 of seed 002 as a truncated preview; header 'text/html' without charset + meta gb2312 only; "
                     "contains GBK-only characters (〇, —) outside GB2312",
                     "The 篇五 body of seed 002 as a preview cut mid-paragraph (truncated=true): a prefix of juyou "
                     "186523.html#part-5, not an exact duplicate. Charset only in <meta ... charset=gb2312>; the text holds "
                     "characters outside GB2312 proper (〇 U+3007, — U+2014), so 'gb2312' must be decoded as GBK/gb18030.",
                     {"Content-Type": "text/html"})

    def doc_nocharset(self, d: Doc) -> None:
        paras = O2_HUIWEN
        pages = [[d.title] + paras[:3], paras[3:5], paras[5:]]
        markup = self.doc_markup(d, None, self.preview(pages, p_close=False), malformed=True)
        rec = self.record(d.title, d.date, paras, None, None, d.keywords, False, extra=self.extra(d))
        self.add_doc(d, markup, [rec], "no_charset_anywhere",
                     "GBK bytes with no charset in header or meta (must be sniffed); .doc format; mildly malformed",
                     "Original speech (near duplicate of baina /fanwen/121102.html, small edits) as a complete preview of a "
                     ".doc file (title without .doc). Content-Type 'text/html' and no <meta> charset: the GBK bytes must be "
                     "detected. Mild tag soup: unclosed <p>, a stray </div>, no </body></html>.",
                     {"Content-Type": "text/html"})

    def doc_empty(self, d: Doc) -> None:
        markup = self.doc_markup(d, "gbk", '<div class="preview" id="preview">\n  <div class="page" data-page="1"></div>\n</div>')
        exp = self.expected(d.path, "Doc page with metadata, tips and tags but an empty preview: no record.", [], "empty_body", [])
        self.add(Page(d.path, self.enc(markup), "noise", "document-shaped page, preview empty", exp, "empty_body"))

    def doc_not_html(self, d: Doc) -> None:
        exp = self.expected(d.path, "Document-pattern URL served as application/msword: no record.", [], "not_html", [])
        self.add(Page(d.path, self.binary_doc(d), "noise", "document-pattern URL that is a .doc download (application/msword)",
                      exp, "not_html",
                      headers={"Content-Type": "application/msword",
                               "Content-Disposition": f'attachment; filename="{d.id}.doc"'}))

    def doc_missing(self, d: Doc) -> None:
        exp = self.expected(d.path, "Linked from list page 2 but absent: 404, no record.", [], "not_found", [])
        self.pages.append(Page(d.path, b"", "noise", "broken link: 404", exp, "not_found", status=404))

    def list_url(self, n: int) -> str:
        return self.LIST.format(n=n)

    def list_items(self, docs: list[Doc]) -> str:
        return "\n".join(
            f'<li><a href="{d.path}" class="name">{esc(d.title)}.{d.ext}</a><span class="pg">{d.npages}页</span>'
            f'<span class="time">{d.list_date}</span></li>' for d in docs)

    def list_page(self, n: int, docs: list[Doc], total: int) -> None:
        url = self.list_url(n)
        pg = [f'<a href="{self.list_url(1)}">首页</a>']
        if n > 1:
            pg.append(f'<a href="{self.list_url(n - 1)}">上一页</a>')
        for i in range(1, total + 1):
            pg.append(f'<em>{i}</em>' if i == n else f'<a href="{self.list_url(i)}">{i}</a>')
        if n < total:
            pg.append(f'<a href="{self.list_url(n + 1)}">下一页</a>')
        markup = self.head("讲话致辞" + ("" if n == 1 else f"_第{n}页") + "-汇文网") + f"""<div class="w main">
<div class="crumbs"><a href="/">汇文网</a> &gt; 讲话致辞</div>
<ul class="doclist">
{self.list_items(docs)}
</ul>
<div class="pager">{"".join(pg)}</div>
{self.recommend()}
</div>
""" + self.foot()
        self.add(Page(url, self.enc(markup), "list", f"list page {n}/{total}: numbered links + 下一页",
                      self.noise_expected(url, "listing", f"List page {n}: no record."), f"list_page{n}"))

    def index_page(self) -> None:
        tag_links = " ".join(f'<a href="{self.tag_url(t)}">{esc(t)}</a>' for t in ["讲话", "乡村振兴", "作风建设"])
        markup = self.head("汇文网-文档分享平台", "gbk", "文档,范文", "汇文网") + f"""<div class="w main">
<h2><a href="/list/jianghua_1.html">讲话致辞</a></h2>
<ul class="doclist">
{self.list_items(self.docs[:4])}
</ul>
<div class="hotsearch">热门搜索:<a href="/search/?wd=%BD%B2%BB%B0">讲话</a></div>
<div class="hottags">热门标签:{tag_links}</div>
{self.recommend()}
</div>
""" + self.foot()
        self.add(Page("/", self.enc(markup), "index", "home: list section, search, tag page, about, login",
                      self.noise_expected("/", "other", "Home page: no record."), "index"))

    def tag_pages(self) -> None:
        for name, num in self.tags.items():
            docs = [d for d in self.tag_docs.get(name, []) if d.kind == "doc"]
            url = f"/tag/{num}.html"
            markup = self.head(f"{name}-汇文网") + f"""<div class="w main">
<div class="crumbs"><a href="/">汇文网</a> &gt; 标签:{esc(name)}</div>
<ul class="doclist">
{self.list_items(docs)}
</ul>
</div>
""" + self.foot()
            exp = case = None
            if name == "讲话":
                exp = self.noise_expected(url, "listing", "Tag page: a list of documents, no body: no record.")
                case = "tag_page"
            self.add(Page(url, self.enc(markup), "tag", f"tag page 「{name}」", exp, case))

    def noise_pages(self) -> None:
        about = self.head("关于汇文网") + """<div class="w main"><h1>关于汇文网</h1>
<div class="about"><p>汇文网是一个在线文档分享平台,用户可以上传、预览和下载各类办公文档。</p>
<p>本站文档均由用户上传,汇文网负责整理代发布,如有版权问题请联系客服。</p></div></div>
""" + self.foot()
        self.add(Page("/about.html", self.enc(about), "noise", "about page",
                      self.noise_expected("/about.html", "other", "About page: no record."), "about"))
        docs = [d for d in self.docs if d.kind == "doc" and d.in_sidebar]
        search = self.head("搜索结果-汇文网") + f"""<div class="w main"><h2>搜索结果</h2>
<ul class="doclist">
{self.list_items(docs)}
</ul></div>
""" + self.foot()
        self.add(Page("/search/", self.enc(search), "noise", "search results (robots-disallowed)",
                      self.noise_expected("/search/", "other", "Search result page: disallowed by robots.txt; a list, no record."),
                      "search"))
        login = self.head("用户登录-汇文网") + """<div class="w main"><form class="loginform" action="/member/login.html" method="post">
<h2>用户登录</h2><p>手机号/用户名:<input type="text" name="u"></p><p>密码:<input type="password" name="p"></p>
<p><button type="submit">登录</button></p></form></div>
""" + self.foot()
        self.add(Page("/member/login.html", self.enc(login), "noise", "login form",
                      self.noise_expected("/member/login.html", "other", "Login form: no record."), "login"))


HUIWEN_CSS = """body{margin:0;font:12px/1.6 SimSun,"Microsoft YaHei"}.w{width:1180px;margin:0 auto}
.doc-main{float:left;width:880px}.recommend{float:right;width:280px}.preview .page{background:#fff;padding:40px;margin:10px 0}
.page-gap{text-align:center;color:#999}.tips{border:1px dashed #f90;padding:8px}.footer{clear:both;text-align:center}
"""


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------

def write_site(site: Site) -> None:
    root = SITES_ROOT / site.key
    www = root / "www"
    paths = {}
    for page in site.pages:
        if page.status == 404:
            continue
        target = www / file_for(page.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.body)
        if page.headers or page.status:
            spec = {"status": page.status or 200}
            if page.headers:
                spec["headers"] = page.headers
            paths[page.path] = spec
    cfg = {"charset": site.charset, "last_modified": LAST_MODIFIED, "paths": dict(sorted(paths.items()))}
    (root / "_site.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    fx = FIXTURES_ROOT / site.key
    fx.mkdir(parents=True, exist_ok=True)
    for page in site.pages:
        if page.expected is not None:
            assert page.case, page.path
            (fx / f"{page.case}.json").write_text(
                json.dumps(page.expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def check_site(site: Site) -> None:
    """Sanity checks on the generated model (not a test of any extractor)."""
    cases = [p.case for p in site.pages if p.expected is not None]
    assert len(cases) == len(set(cases)), cases
    for page in site.pages:
        exp = page.expected
        if not exp or not exp["records"]:
            continue
        text = page.body.decode("gb18030" if site.charset == "gbk" else "utf-8")
        if "pages" in exp:
            text = "".join(p.body.decode("utf-8") for p in site.pages if p.path in exp["pages"])
        plain = visible_text(text)
        for rec in exp["records"]:
            for para in rec["text"].split("\n"):
                assert para and para == para.strip(), (page.path, para)
                assert esc(para) in text or para in plain, (page.path, para[:40])
            for bad in exp["must_not_contain"]:
                assert bad not in rec["text"], (page.path, bad)


def readme(sites: list[Site]) -> str:
    out = [README_HEAD]
    for site in sites:
        docs = [p for p in site.pages if p.expected and p.expected["records"]]
        nrec = sum(len(p.expected["records"]) for p in docs)
        out.append(f"\n### {site.key} ({site.name}), {site.charset}\n")
        out.append(SITE_NOTES[site.key] + "\n")
        out.append(f"{len(docs)} document cases, {nrec} expected records.\n")
        out.append("| path | kind | status / type | what it tests | fixture |")
        out.append("|---|---|---|---|---|")
        for p in sorted(site.pages, key=lambda p: (KIND_ORDER.get(p.kind.split(" ")[0], 9), p.path)):
            if p.kind in ("asset",):
                continue
            st = "404" if p.status == 404 else (p.headers or {}).get("Content-Type", "default")
            fx = f"`{p.case}.json`" if p.expected is not None else ""
            if fx and p.expected["skip"]:
                fx += f" (skip `{p.expected['skip']}`)"
            elif fx:
                fx += f" ({len(p.expected['records'])} record{'s' if len(p.expected['records']) > 1 else ''})"
            tests = p.tests.replace("<", "&lt;").replace("|", "/")
            out.append(f"| `{p.path}` | {p.kind} | {st} | {tests} | {fx} |")
        out.append("")
    out.append(README_TAIL)
    return "\n".join(out)


KIND_ORDER = {"document": 0, "noise": 1, "index": 2, "list": 3, "tag": 4, "robots": 5}

README_HEAD = """# Sample sites

Four small local copies of Chinese template-document sites (范文网 / 公文范文), one per spider key,
used as test fixtures and demo data. Serve them with

    python -m samples.serve [--port-base 8101]

(prints `key url` lines; `samples.serve.serve_all()` / `serve_site()` do the same from Python).
Sites are served on 127.0.0.1 only; no real domain appears anywhere.

**The HTML markup is a plausible reconstruction, not the real sites' markup.** The page texts come
from real pages (text dumps without HTML); the templates, class names, URLs, ids, sidebar
entries, dates of the non-seed documents and the noise pages are our guess at what such CMS sites
look like. Four short speeches (安全生产, 乡村振兴, 优化营商环境, 机关作风) were written for these fixtures;
they are not copied from anywhere.

Everything under `sites/` and the expected outputs under `tests/fixtures/extract/` are generated by
`samples/build_sites.py` from the seed texts (`../shared/seeds`, outside the repo) and are committed;
tests never run the generator. Regenerate with `python samples/build_sites.py`.

## Layout

* `sites/<key>/www/`: URL path -> file (`/x/` serves `x/index.html`; query strings ignored, so
  `/search/?q=...` is always `search/index.html`).
* `sites/<key>/_site.json`: `charset` (default Content-Type charset of `.html`), `last_modified`, and
  per-path overrides (`status`, `headers`) used for the charset cases and the non-HTML downloads.
* `robots.txt` on every site: `User-agent: *` / `Disallow: /search/`.
* A missing file (the broken links) is a real 404.

## Expected outputs

`tests/fixtures/extract/<site>/<case>.json`:
`{"site", "path", ["pages"], "note", "records": [...], "skip", "must_not_contain"}`. A record has
`url_suffix` ("" or `#part-N`), `title`, `published_at`, `text`, `category`, `source`, `keywords`,
`truncated`, `collection`, `extra` (field rules: `docs/contracts.md`). `skip` is null for a document,
else one of `listing` (the list-pattern pages and the tag pages: lists of documents, no body),
`empty_body`, `not_html`, `not_found`, or `other` (home, section/topic index, search results, about,
login: pages that match neither the list nor the document pattern; any skip reason is acceptable). `must_not_contain` lists boilerplate strings that appear on the page and must
not reach any record's text. Expected texts were built from the seed lines / source texts, never from
an extractor. A multi-page article gives its first page as `path`, all pages in `pages`, and the merged
record. Only one tag page per site has a fixture; the other generated tag pages are alike.

## Cross-site duplicates (by design)

| text | where | relation |
|---|---|---|
| seed 002 篇二 | juyou `186523.html#part-2`, baina `/fanwen/120987.html` | **exact** duplicate (different titles) |
| seed 002 篇五 | juyou `186523.html#part-5`, huiwen `/doc/2003518.html` | huiwen is a truncated prefix (~80%) |
| 安全生产 speech | baina `/fanwen/121034.html`, jianbiao `/a/20230510/4188.html` | near duplicate (区->县 and a few words) |
| 乡村振兴 speech | baina `/fanwen/121102.html`, huiwen `/doc/2004096.html` | near duplicate (3 small edits) |
| 机关作风 speech | juyou `186650.html`, huiwen `/doc/2001345.html` | near duplicate (3 small edits) |

## Charset cases (huiwen is the GBK site; its files are stored GBK-encoded)

| page | HTTP Content-Type | in-page meta | case |
|---|---|---|---|
| `/doc/1999872.html` (seed 004) | `text/html; charset=utf-8` | gb2312 | header LIES: bytes are GBK |
| `/doc/2001345.html` | `text/html; charset=gbk` | none | header only |
| `/doc/2003518.html` | `text/html` | gb2312 only | meta only; text has 〇 and — (in GBK, not in Python's gb2312 codec): decode gb2312 as gb18030 |
| `/doc/2004096.html` | `text/html` | none | no charset anywhere: must be sniffed |
| all other huiwen pages | `text/html; charset=gbk` | gbk | plain |

The utf-8 sites send `text/html; charset=utf-8` and a utf-8 meta. Characters that GBK lacks (the
`©` of footers) are written as `&copy;` on huiwen. baina/juyou/jianbiao keep the seeds' non-GBK
characters (‚ ‛ © and jianbiao's 👉👈).

## Sites and pages
"""

SITE_NOTES = {
    "baina": "Lists `/zhuanti/jianghuagao/` and `list_2.html`; documents `/fanwen/<id>.html`. Document pages: "
             "`div.position` breadcrumb, `h1`, `div.info` (时间 with time, 来源), `div.content` (小编 intro, `h2` repeated "
             "title, body), `div.tags` 推荐访问, `div.sidebar` 热门文章 with dates, 声明/Copyright footer. "
             "`/fanwen/120511.html` (seed 000) is linked only from list page 2 (and tag pages), never from page 1 or a sidebar.",
    "juyou": "Lists `/fanwendaquan/gongwenfanwen/` and `index_2.html`; documents `/fanwendaquan/gongwenfanwen/<id>.html` "
             "(`<id>_<N>.html` for later pages of a multi-page article). `div.crumb`, `h1.title`, `div.attr`, "
             "`div#content.content`, `div.keywords` 推荐访问, `div.main-right` 最新文章 with dates.",
    "jianbiao": "Lists `/zhuanti/gongwenfanwen/` and `2.html`; documents `/a/<yyyymmdd>/<id>.html`. `div.weizhi`, `h1`, "
                "`div.art-info`, `div.art-body` (indented paragraphs), then `div.related` (相关推荐/热门文章: seed 003's "
                "related titles and summaries with dates; their links point at this site's own documents).",
    "huiwen": "Lists `/list/jianghua_<N>.html`; documents `/doc/<id>.html` (docx preview pages: `div.doc-top h1`, "
              "`ul.doc-info` -> extra, `div.tips` 温馨提示, `div.doc-tags` -> keywords, `div.preview` pages with "
              "`div.page-gap` chrome between pages and the last page hidden, `div.recommend` with dates). No breadcrumb "
              "and no 来源: category and source are null.",
}

README_TAIL = """## Notes

* Page dates: a 时间 line with a time gives `2022-09-15T15:10:05+08:00`, a date only gives
  `2023-05-10`, none gives null (jianbiao seed 003). Sidebar / related / list dates never count.
* A paragraph equal to the page title at the start of the body (baina `h2`, juyou `<strong>` line,
  jianbiao's repeated title, huiwen's preview first line) is the repeated title and is not text.
* Hidden content (`display:none`: baina `div.hidecontent`, huiwen's last preview page) IS body.
* Truncated: jianbiao seed 001 (paywall trailer), jianbiao seed 003 (ends `真...`), huiwen seed 004
  and `/doc/2003518.html` (stop mid-sentence).
* Every site has the same noise set, each linked from the home or list pages: about, login,
  search (robots-disallowed), tag pages, a 404 link, an empty-body document page, a document-pattern
  URL serving `application/msword` bytes (named `<id>.doc` by Content-Disposition), and a malformed
  document page (baina's is the heavy one; juyou, jianbiao and huiwen have mild tag soup on one
  document each).
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    args = ap.parse_args(argv)
    seeds = load_seeds(args.seeds)
    sites = [Baina(seeds), Juyou(seeds), Jianbiao(seeds), Huiwen(seeds)]
    for site in sites:
        site.build()
        check_site(site)
    for site in sites:
        shutil.rmtree(SITES_ROOT / site.key, ignore_errors=True)
        shutil.rmtree(FIXTURES_ROOT / site.key, ignore_errors=True)
        write_site(site)
    (REPO / "samples" / "README.md").write_text(readme(sites), encoding="utf-8")
    for site in sites:
        docs = [p for p in site.pages if p.expected and p.expected["records"]]
        print(f"{site.key}: {len(site.pages)} pages, {len(docs)} document cases, "
              f"{sum(len(p.expected['records']) for p in docs)} records, "
              f"{sum(1 for p in site.pages if p.expected and p.expected['skip'])} skip cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
