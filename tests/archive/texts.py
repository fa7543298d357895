"""Speeches written for the near-duplicate tests, and the edits template sites make to them.

The three speeches are different documents that share the genre's stock phrases (同志们, 一是…
二是…三是…, 不忘初心、牢记使命, 以习近平新时代中国特色社会主义思想为指导): they must never be
linked. The edit helpers make the variants that must be (masks filled in, a paragraph dropped,
the intro reworded, a few sentences changed, site boilerplate added).
"""

from __future__ import annotations

import random

SAFETY = """同志们：
今天，我们召开全县安全生产工作会议，主要任务是以习近平新时代中国特色社会主义思想为指导，总结去年全县安全生产工作，分析当前面临的形势，部署今年的重点任务。刚才，xx同志通报了去年全县安全生产情况，xx副县长对今年的工作作了具体安排，我完全同意，请大家认真抓好落实。
一、认清形势，切实增强做好安全生产工作的责任感。去年以来，全县上下认真贯彻上级决策部署，深入开展安全生产专项整治三年行动，全年未发生较大以上生产安全事故，事故起数和死亡人数实现双下降。但我们也要清醒地看到，全县道路交通、建筑施工、危险化学品等领域隐患依然突出，一些企业主体责任落实不到位，个别乡镇监管力量薄弱，稍有松懈就可能酿成大祸。
二、突出重点，全力抓好安全生产各项工作。一是抓好道路交通安全，重点整治农村面包车、货车非法载人和超限超载问题，完善临水临崖路段防护设施。二是抓好建筑施工安全，严格落实施工许可和安全交底制度，坚决查处违法分包和无证上岗行为。三是抓好危险化学品和消防安全，对全县十二家危化品企业开展一次全覆盖检查，对人员密集场所逐一建立消防档案。
三、压实责任，构建齐抓共管的工作格局。各乡镇、各部门要严格落实党政同责、一岗双责，主要负责同志要亲自研究、亲自部署、亲自督办。安委会办公室要加强统筹协调，每月通报一次隐患整改情况，对工作不力、造成严重后果的，要依规依纪严肃追究责任。
同志们，安全生产责任重于泰山。我们要不忘初心、牢记使命，以更加扎实的作风抓好安全生产各项工作，为全县经济社会高质量发展创造安全稳定的环境。
***县人民政府办公室 xx月xx日"""

RURAL = """同志们：
这次会议的主要任务是以习近平新时代中国特色社会主义思想为指导，全面贯彻中央和省委农村工作会议精神，总结过去一年全镇乡村振兴工作，安排部署今年重点任务。刚才，xx同志宣读了表彰决定，三个村作了交流发言，讲得都很好，希望大家相互学习借鉴。
一、肯定成绩，坚定推进乡村振兴的信心决心。过去一年，全镇新建高标准农田一万二千亩，粮食总产量稳定在四万吨以上，新培育家庭农场二十六个、农民合作社九个，茶叶和中药材两大特色产业综合产值突破三亿元。农村人居环境整治扎实推进，十八个行政村实现生活垃圾集中收运，群众的获得感明显增强。
二、聚焦重点，扎实推动各项任务落地见效。一是稳住粮食生产，严守耕地红线，坚决遏制耕地非农化，确保粮食播种面积只增不减。二是壮大特色产业，围绕茶叶、中药材延伸产业链条，支持龙头企业建设加工车间和冷链仓储，带动更多农户稳定增收。三是建设美丽乡村，持续推进农村改厕和污水治理，每个村至少打造一个干净整洁的示范片区。
三、强化保障，凝聚乡村振兴的强大合力。各村党组织书记是第一责任人，要把乡村振兴工作摆在突出位置，定期研究解决实际问题。镇直各单位要主动下沉服务，驻村工作队要真正沉下身子，帮助村里理思路、找项目、解难题。
同志们，乡村振兴使命光荣、任务艰巨。我们要不忘初心、牢记使命，撸起袖子加油干，奋力谱写全镇乡村振兴新篇章。"""

DISCIPLINE = """同志们：
今天召开全市机关作风建设动员大会，主要是以习近平新时代中国特色社会主义思想为指导，深入查摆机关作风方面存在的突出问题，动员全市各级机关以更加过硬的作风服务群众、推动发展。
一、正视问题，深刻认识加强作风建设的紧迫性。从去年明察暗访的情况看，少数机关干部仍然存在门难进、脸难看、事难办的现象，有的窗口单位办事流程繁琐，群众反映一件事要跑好几趟；有的干部满足于开会发文，工作浮在面上，遇到矛盾绕着走。这些问题虽然发生在少数人身上，却严重损害了党和政府的形象。
二、对标要求，着力解决群众反映强烈的问题。一是整治推诿扯皮，全面推行首问负责、限时办结和一次性告知制度，群众办事原则上只进一扇门、最多跑一次。二是整治文山会海，市级会议数量比去年压缩三成，能合并的合并，能视频的视频。三是整治不作为慢作为，对企业和群众的诉求建立台账，实行销号管理，逾期未办结的一律通报。
三、建立长效机制，推动作风建设常态长效。市纪委监委要加大监督检查力度，每季度开展一次明察暗访，典型问题一律点名道姓通报曝光。各单位主要负责同志要带头转变作风，把作风建设与业务工作同部署、同检查、同考核。
同志们，作风建设永远在路上。让我们不忘初心、牢记使命，以好作风树立好形象，以好形象推动新发展。"""

SPEECHES = {"safety": SAFETY, "rural": RURAL, "discipline": DISCIPLINE}

NAMES = ("张建国", "李红梅", "王志强", "刘晓东", "陈丽华", "赵国庆")

BOILERPLATE_HEAD = "本文由网友投稿，仅供学习参考，如有侵权请联系删除。"
BOILERPLATE_TAIL = "更多精彩范文，请关注本站讲话稿频道。"


def paragraphs(text: str) -> list[str]:
    """Split a text into its paragraphs (lines)."""
    return text.split("\n")


def fill_masks(text: str, names: tuple[str, ...] = NAMES) -> str:
    """Fill every ``xx`` and ``***`` mask with a name, as a site that "personalises" a speech."""
    parts = text.replace("***", "xx").split("xx")
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        out.append(names[i % len(names)])
        out.append(part)
    return "".join(out)


def drop_paragraph(text: str, index: int) -> str:
    """Remove paragraph ``index``."""
    paras = paragraphs(text)
    del paras[index]
    return "\n".join(paras)


def replace_paragraph(text: str, index: int, new: str) -> str:
    """Replace paragraph ``index`` with ``new`` (a reworded intro, say)."""
    paras = paragraphs(text)
    paras[index] = new
    return "\n".join(paras)


def swap_paragraphs(text: str, i: int, j: int) -> str:
    """Exchange two paragraphs."""
    paras = paragraphs(text)
    paras[i], paras[j] = paras[j], paras[i]
    return "\n".join(paras)


def with_boilerplate(text: str) -> str:
    """Add a site's submission notice and trailer."""
    return f"{BOILERPLATE_HEAD}\n{text}\n{BOILERPLATE_TAIL}"


def edit_sentences(text: str, fraction: float, seed: int = 0) -> str:
    """Change ``fraction`` of the sentences: a few characters replaced in each chosen one."""
    rng = random.Random(seed)  # noqa: S311 - test data
    sentences = text.replace("。", "。\0").split("\0")
    long_ones = [i for i, s in enumerate(sentences) if len(s) > 12]
    for i in rng.sample(long_ones, max(1, round(fraction * len(sentences)))):
        s = sentences[i]
        at = rng.randrange(2, len(s) - 8)
        sentences[i] = s[:at] + "进一步" + s[at + 3 :]
    return "".join(sentences)


SAFETY_INTRO_REWORDED = (
    "今天召开的全县安全生产工作会议，是县委、县政府研究决定召开的一次重要会议。会议的任务是"
    "回顾去年的安全生产工作，研判当前形势，安排今年的重点工作。前面，有关同志已经通报了情况，"
    "分管领导也作了安排部署，我都赞成，希望各地各部门抓好贯彻。"
)
