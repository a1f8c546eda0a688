"""Synthetic word lists for the mock site.

Everything here is invented for the mock (company names, codes, phrases) so generated pages look
like Chinese financial news without reusing any real article text. Media outlet names are real
outlet names because extractors must learn to recognise them. Lists are plain tuples so the
generator stays deterministic: order matters, never sort or shuffle them at import time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Security:
    """A listed security (or an industry board) the generator can link to or mention."""

    name: str
    code: str
    market: str  # SH, SZ, BJ, HK, US, or BK for an industry board
    market_num: int  # East Money market number: 1 SH, 0 SZ/BJ, 116 HK, 105-107 US, 90 board

    @property
    def secid(self) -> str:
        return f"{self.market_num}.{self.code}"

    @property
    def is_board(self) -> bool:
        return self.market == "BK"


# fmt: off
# Two-character name stems and two-character industry words; combined into 4-character names.
_STEMS = (
    "华岳", "中衡", "金川", "新澜", "恒拓", "博远", "天禾", "瑞丰", "东晟", "安信",
    "海纳", "远景", "鼎泰", "汇川", "嘉实", "联创", "宏达", "盛源", "国瓴", "永升",
    "启明", "长青", "凯越", "锦程", "星河", "泰和", "万邦", "卓越", "华锐", "明阳",
    "众诚", "福润", "和信", "广昊", "同益", "润邦", "正通", "英特", "科隆", "航宇",
)
_INDUSTRIES = (
    "科技", "电子", "药业", "能源", "材料", "机械", "电气", "食品", "化工", "银行",
    "证券", "股份", "环保", "医疗", "传媒", "物流", "农业", "光电", "智能", "芯材",
)

# fmt: on


def _names(count: int, offset: int) -> list[str]:
    """Deterministic distinct 4-character company names (stem + industry)."""
    out: list[str] = []
    seen: set[str] = set()
    k = offset
    while len(out) < count:
        stem = _STEMS[k % len(_STEMS)]
        ind = _INDUSTRIES[(k * 7 + k // len(_STEMS)) % len(_INDUSTRIES)]
        name = stem + ind
        if name not in seen:
            seen.add(name)
            out.append(name)
        k += 1
    return out


def _build_securities() -> tuple[Security, ...]:
    names = _names(150, 0)
    out: list[Security] = []
    # Shanghai main board and STAR market.
    for k in range(45):
        base = (600000, 601000, 603000, 605000, 688000)[k % 5]
        code = f"{base + 1 + (k * 137) % 900:06d}"
        out.append(Security(names.pop(0), code, "SH", 1))
    # Shenzhen main board and ChiNext.
    for k in range(45):
        base = (1, 2000, 300000)[k % 3]
        code = f"{base + (k * 211) % 900:06d}"
        out.append(Security(names.pop(0), code, "SZ", 0))
    # Beijing exchange: 8xxxxx, 43xxxx and 92xxxx codes.
    for k in range(15):
        prefix = (830000, 430000, 920000)[k % 3]
        out.append(Security(names.pop(0), f"{prefix + 100 + k * 53:06d}", "BJ", 0))
    # Hong Kong: five-digit codes, names often carry 控股/集团.
    for k in range(20):
        suffix = ("控股", "集团", "")[k % 3]
        out.append(Security(names.pop(0) + suffix, f"{(k * 379 + 17) % 10000:05d}", "HK", 116))
    return tuple(out)


_A_AND_HK = _build_securities()

# US listings named in the spec plus a few more; the exchange number follows East Money's
# convention (105 NASDAQ, 106 NYSE, 107 NYSE American).
US_STOCKS: tuple[Security, ...] = (
    Security("苹果", "AAPL", "US", 105),
    Security("蔚来", "NIO", "US", 106),
    Security("阿里巴巴", "BABA", "US", 106),
    Security("拼多多", "PDD", "US", 105),
    Security("京东", "JD", "US", 105),
    Security("百度", "BIDU", "US", 105),
    Security("小鹏汽车", "XPEV", "US", 106),
    Security("理想汽车", "LI", "US", 105),
    Security("英伟达", "NVDA", "US", 105),
    Security("特斯拉", "TSLA", "US", 105),
    Security("哔哩哔哩", "BILI", "US", 105),
    Security("爱奇艺", "IQ", "US", 105),
    Security("中概样本", "CNSM", "US", 107),
)

STOCKS: tuple[Security, ...] = _A_AND_HK + US_STOCKS
A_SHARES: tuple[Security, ...] = tuple(s for s in STOCKS if s.market in ("SH", "SZ", "BJ"))
HK_STOCKS: tuple[Security, ...] = tuple(s for s in STOCKS if s.market == "HK")

# Industry / concept boards (market number 90). Not stocks: extractors must keep them apart.
BOARDS: tuple[Security, ...] = (
    Security("证券", "BK0473", "BK", 90),
    Security("银行", "BK0475", "BK", 90),
    Security("半导体", "BK1036", "BK", 90),
    Security("光伏设备", "BK1031", "BK", 90),
    Security("白酒", "BK0896", "BK", 90),
    Security("医疗器械", "BK1041", "BK", 90),
    Security("汽车整车", "BK1029", "BK", 90),
    Security("房地产开发", "BK0451", "BK", 90),
    Security("电池", "BK1033", "BK", 90),
    Security("软件开发", "BK0737", "BK", 90),
    Security("煤炭行业", "BK0437", "BK", 90),
    Security("航运港口", "BK0450", "BK", 90),
)
SECURITIES_BOARD: Security = BOARDS[0]  # the one that can hide inside "上海证券报"

# Non-stock keyword links ("infokey"): link text and target.
INFO_KEYS: tuple[tuple[str, str, str], ...] = (
    ("3321", "业绩", "http://data.eastmoney.com/bbsj/"),
    ("3322", "龙虎榜", "http://data.eastmoney.com/stock/lhb.html"),
    ("3323", "融资融券", "http://data.eastmoney.com/rzrq/"),
    ("3324", "大宗交易", "http://data.eastmoney.com/dzjy/"),
    ("3325", "研报", "http://data.eastmoney.com/report/"),
    ("3326", "北向资金", "http://data.eastmoney.com/hsgt/"),
    ("3327", "限售解禁", "http://data.eastmoney.com/dxf/"),
)

# fmt: off
MEDIA: tuple[str, ...] = (
    "证券时报", "中国基金报", "财联社", "上海证券报", "青岛财经网", "央视新闻客户端",
    "中新网", "中国证券报", "证券日报", "经济参考报", "第一财经", "21世纪经济报道",
    "每日经济新闻", "东方财富研究中心", "新华财经", "期货日报",
)
# Outlets whose name contains the board word "证券" (the board link can sit inside them).
MEDIA_WITH_SECURITIES = tuple(m for m in MEDIA if "证券" in m)

EDITORS: tuple[str, ...] = (
    "DF372", "DF515", "DF307", "DF120", "DF398", "DF541", "陈言", "林舟", "周遥", "许墨",
    "王澄", "赵砚", "孙宁", "吴桐",
)

IMAGE_SOURCES: tuple[str, ...] = (
    "视觉中国", "东方IC", "受访者供图", "公司公告截图", "Wind", "东方财富Choice数据",
    "记者摄", "网络",
)

TOPICS: tuple[str, ...] = (
    "稳增长", "新能源车", "数字经济", "专精特新", "储能", "跨境电商", "国产替代", "算力",
    "碳中和", "消费复苏", "乡村振兴", "智能制造", "东数西算", "低空经济", "高端装备",
)

INDEXES: tuple[str, ...] = (
    "上证指数", "深证成指", "创业板指", "科创50", "北证50", "沪深300", "恒生指数",
    "恒生科技指数",
)

SUBHEADS: tuple[str, ...] = (
    "行业景气度持续回升", "机构观点分化", "资金面保持宽松", "业绩预期明显改善",
    "政策红利逐步释放", "短期波动不改长期趋势", "龙头公司加速扩产", "海外需求边际走弱",
    "估值处于历史低位", "风险提示",
)
# fmt: on
SUBHEAD_PREFIXES: tuple[str, ...] = ("一、", "二、", "三、", "四、", "五、")

# Sentence templates. Slots: {co} company (plain text, link or NAME(code) mention),
# {bk} board word, {info} non-stock keyword, {idx} index, {pct} percent, {amt} amount,
# {n} count, {topic} theme, {q} quarter. Mention-friendly templates start with {co}.
CO_SENTENCES: tuple[str, ...] = (
    "{co}盘中一度涨停，截至收盘涨幅为{pct}%，成交额达{amt}亿元。",
    "{co}晚间发布公告称，公司{q}实现营业收入{amt}亿元，同比增长{pct}%。",
    "{co}表示，公司将继续加大研发投入，推动产品结构向高端化转型。",
    "{co}近{n}个交易日累计获北向资金净买入{amt}亿元。",
    "{co}相关负责人在接受记者采访时表示，目前订单饱满，产能利用率处于高位。",
    "{co}披露的投资者关系活动记录表显示，本月共有{n}家机构对公司进行了调研。",
    "{co}股价早盘低开，随后震荡走高，收盘微跌{pct}%。",
    "{co}拟以自有资金回购股份，回购金额不低于{amt}亿元。",
)
BK_SENTENCES: tuple[str, ...] = (
    "{bk}板块午后快速拉升，板块内{n}只个股涨幅超过{pct}%。",
    "从行业表现看，{bk}板块领涨两市，主力资金净流入{amt}亿元。",
    "分析人士认为，{bk}板块估值已回落至近五年低位，配置价值逐步显现。",
)
INFO_SENTENCES: tuple[str, ...] = (
    "从{info}数据来看，多家公司{q}表现好于市场预期。",
    "据东方财富Choice数据统计，近期{info}相关个股累计达{n}只。",
    "市场人士提示，投资者可关注{info}披露期间的结构性机会。",
)
PLAIN_SENTENCES: tuple[str, ...] = (
    "今日{idx}高开高走，午后涨幅有所收窄，两市成交额合计约{amt}亿元。",
    "截至收盘，{idx}报收于{n}点，涨幅为{pct}%。",
    "业内人士指出，{topic}相关产业链有望迎来新一轮景气周期。",
    "机构普遍认为，随着稳增长政策持续发力，市场风险偏好将逐步修复。",
    "从资金面看，央行今日开展{amt}亿元逆回购操作，市场流动性合理充裕。",
    "数据显示，{q}以来已有{n}家上市公司披露相关进展。",
    "多位基金经理表示，当前阶段应更加重视估值与业绩的匹配度。",
    "东方财富Choice数据显示，今年以来共有{n}只新基金成立，合计募资{amt}亿元。",
    "值得注意的是，{topic}概念近期持续活跃，多只个股创出阶段新高。",
    "市场分析人士称，短期内指数或将维持震荡格局，结构性机会仍存。",
    "与此同时，北向资金全天净买入{amt}亿元，连续{n}日保持净流入。",
    "从估值看，部分个股市盈率(TTM)<{n}倍，处于历史较低水平。",
    "有券商研究员认为，R&D投入强度将成为衡量企业成长性的重要指标。",
    "据了解，相关项目总投资约{amt}亿元，预计将于明年上半年投产。",
    "截至发稿，{idx}报收于{n}点，市场情绪整体偏谨慎。",
    "行业协会最新数据显示，{q}行业产销量同比增长{pct}%。",
    "两市个股涨多跌少，超过{n}只个股涨停，赚钱效应有所回暖。",
    "外资机构近期密集发布报告，普遍看好中国资产的中长期表现。",
    "从盘面上看，{topic}方向资金博弈加剧，个股分化较为明显。",
    "债券市场方面，十年期国债收益率小幅下行，报收{pct}%附近。",
    "有私募人士表示，当前市场情绪处于相对低位，可逐步提高仓位。",
    "公开信息显示，上述项目已完成前期备案，预计总产能达{n}万吨。",
    "人民币对美元中间价今日上调{n}个基点，汇率保持基本稳定。",
    "多家券商在最新策略报告中提示，应关注{q}业绩超预期的细分领域。",
    "记者注意到，相关政策落地节奏明显加快，市场预期持续升温。",
    "截至目前，今年以来已有{n}家企业在科创板上市，首发募资约{amt}亿元。",
    "分析师指出，原材料价格回落有望缓解中游制造企业的成本压力。",
    "另据统计，{q}公募基金合计增持相关个股约{amt}亿元。",
    "市场人士表示，{topic}行业仍处于渗透率快速提升阶段，后续空间较大。",
    "板块方面，{topic}、券商、银行等板块涨幅居前，地产、煤炭板块走弱。",
)

TITLE_TEMPLATES: tuple[str, ...] = (
    "{co}：{q}净利润同比增长{pct}%",
    "{co}回应“{topic}”传闻：目前经营一切正常",
    "{topic}板块集体走强，{co}等多股涨停",
    "机构:{n}只个股获评级上调，{co}受关注",
    "{idx}收涨{pct}%，“{topic}”主线延续",
    '{co}拟投资{amt}亿元扩产，"{topic}"布局再提速',
    "北向资金连续{n}日净买入，{topic}获加仓",
    "{co}发布{q}业绩预告：营收创历史新高",
    "监管层：推动{topic}高质量发展",
    "{co}股东减持计划落地，股价回调{pct}%",
    "‘{topic}’能否接力？券商:关注{co}",
    "{n}家公司披露{q}报告，{topic}赛道表现亮眼",
)
QUARTERS: tuple[str, ...] = ("一季度", "上半年", "前三季度", "2021年度", "2022年一季度")
