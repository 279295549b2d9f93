"""A small dict-based i18n helper for the web pages: Chinese by default, English switchable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LANGS: Final = ("zh", "en")
DEFAULT_LANG: Final = "zh"

# key -> (中文, English). Keys are short and stable; templates call t("key").
MESSAGES: Final[Mapping[str, tuple[str, str]]] = {
    "app_name": ("链配 chainmatch", "chainmatch"),
    "tagline": (
        "沪苏浙–皖北 结对合作 · 企业对接",
        "沪苏浙–皖北 pairing programme · partner matching",
    ),
    "menu.zhaoshang": ("招商", "Investment promotion"),
    "menu.peitao": ("配套", "Supply pairing"),
    "menu.events": ("对接会", "Matchmaking events"),
    "menu.analysis": ("分析", "Analysis"),
    "menu.dashboard": ("成效看板", "Dashboard"),
    "signin": ("登录", "Sign in"),
    "signout": ("退出", "Sign out"),
    "signin.title": ("登录", "Sign in"),
    "signin.username": ("用户名", "User name"),
    "signin.password": ("密码", "Password"),
    "signin.help": (
        "账户由系统管理员开设；忘记密码请联系管理员重置。",
        "Accounts are opened by the administrator; ask them to reset a forgotten password.",
    ),
    "signin.bad": (
        "用户名或密码不正确，或账户已停用",
        "Wrong user name or password, or the account is disabled",
    ),
    "signin.locked": (
        "登录失败次数过多，请 15 分钟后再试",
        "Too many failed sign-ins; please try again in 15 minutes",
    ),
    "signin.out": ("您已安全退出", "You have signed out"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "lang.other": ("English", "中文"),
    "role.promotion_office": ("招商局", "Promotion office"),
    "role.organiser": ("会务组织方", "Organiser"),
    "role.analyst": ("分析员", "Analyst"),
    "role.admin": ("管理员", "Administrator"),
    "role.coordinator": ("协调员", "Coordinator"),
    "forbidden": ("当前角色无权访问此页面", "Your role may not open this page"),
    "csrf": ("表单已过期，请刷新后重试", "The form expired; reload the page and try again"),
    "print": ("打印", "Print"),
    "export_xlsx": ("导出 Excel", "Export to Excel"),
    "submit": ("提交", "Submit"),
    "search": ("查询", "Search"),
    "any": ("不限", "Any"),
    "none": ("无", "None"),
    "rank": ("排名", "Rank"),
    "name": ("名称", "Name"),
    "firm": ("企业", "Firm"),
    "city": ("城市", "City"),
    "province": ("省份", "Province"),
    "products": ("主营产品", "Products"),
    "score": ("得分", "Score"),
    "p_success": ("成功概率", "P(success)"),
    "reasons": ("推荐理由", "Reasons"),
    "model_version": ("模型版本", "Model version"),
    "as_of": ("数据截至", "As of"),
    "no_results": ("没有符合条件的候选企业", "No candidates match"),
    "error": ("出错了", "Something went wrong"),
    "ranking_unavailable": (
        "排序服务暂不可用：",
        "The ranking service is not available: ",
    ),
    # 招商
    "zs.title": ("招商目标企业库", "Investment target list"),
    "zs.park": ("园区", "Park"),
    "zs.node": ("产业链环节", "Chain node"),
    "zs.srdi": ("专精特新", "专精特新 (SRDI)"),
    "zs.size": ("企业规模", "Size"),
    "zs.k": ("数量", "How many"),
    "zs.map": ("地图", "Map"),
    "zs.map.park": ("园区所在城市", "Park's city"),
    "zs.map.partner": ("结对城市", "Paired city"),
    "zs.map.cands": ("候选企业所在城市（圆越大企业越多）", "Candidates' cities (bigger = more)"),
    "zs.pick": ("请选择园区", "Choose a park"),
    "srdi.province": ("省级及以上", "Provincial or national"),
    "srdi.national": ("国家级", "National"),
    "size.micro": ("微型 (<20人)", "Micro (<20)"),
    "size.small": ("小型 (20–99人)", "Small (20–99)"),
    "size.medium": ("中型 (100–999人)", "Medium (100–999)"),
    "size.large": ("大型 (≥1000人)", "Large (≥1000)"),
    "zs.not_yours": (
        "这个园区不在您的城市，无法查看它的招商名单。请从列表中选择本市的园区。",
        "This park is not in your city; choose one of your city's parks.",
    ),
    "zs.no_parks": (
        "您所在城市还没有登记园区。请联系分析员导入园区名单（parks.csv）。",
        "Your city has no parks yet; ask an analyst to import parks.csv.",
    ),
    "zs.explain_chance": (
        "成功可能性：模型估计的签约可能性，高 ≥30%，中 10%–30%，低 <10%；名单按它从高到低排列",
        "Chance: the model's estimate of a signed deal; high ≥30%, medium 10–30%, low <10%",
    ),
    "chance": ("成功可能性", "Chance"),
    "level.high": ("高", "High"),
    "level.mid": ("中", "Medium"),
    "level.low": ("低", "Low"),
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "fact.revenue": ("营业收入(万元)", "Revenue (10k CNY)"),
    "fact.staff": ("参保人数", "Insured staff"),
    "fact.quals": ("资质", "Qualifications"),
    "fact.km": ("距离(公里)", "Distance (km)"),
    "fact.latest": ("最近进展", "Last contact"),
    "fact.never": ("尚未联系", "Not contacted"),
    "act.contacted": ("联系", "Contacted"),
    "act.meeting": ("会谈", "Meeting"),
    "act.intention": ("意向", "Intention"),
    "act.signed": ("签约", "Signed"),
    "act.declined": ("不合适", "Not a fit"),
    "act.amount": ("签约金额(万元)", "Amount (10k CNY)"),
    "act.save": ("记录", "Record"),
    "short.none": ("没有找到符合全部条件的企业。", "No firm matches every filter."),
    "short.some": (
        "只找到 {n} 家符合条件的企业（您要的是 {k} 家）。",
        "Only {n} firms match (you asked for {k}).",
    ),
    "short.loosen": ("可以放宽条件：", "Try dropping a filter:"),
    "short.drop": ("去掉「{what}」", "drop “{what}”"),
    "short.nofilter": (
        "没有设置筛选条件，可以换一个产业链环节，或请分析员导入更多企业。",
        "No filter is set; try another chain node, or ask for more firms to be imported.",
    ),
    # 配套
    "pt.title": ("配套对接", "Supply pairing"),
    "pt.leading": ("龙头企业", "Leading firm"),
    "pt.pick": ("请选择企业", "Choose a firm"),
    "pt.search": ("企业名称包含", "Name contains"),
    "pt.side.customer": ("为本地企业找客户", "Customers for our firms"),
    "pt.side.supplier": ("为龙头企业找配套", "Suppliers for a leading firm"),
    "pt.pick_label.customer": ("本地企业", "Our firm"),
    "pt.pick_label.supplier": ("龙头企业", "Leading firm"),
    "pt.explain.customer": (
        "选一家本地企业，看看沪苏浙哪些龙头企业可能采购它的产品、愿意把它纳入供应链。",
        "Pick one of your firms: which 沪苏浙 leading firms could buy what it makes?",
    ),
    "pt.explain.supplier": (
        "选一家龙头企业，看看哪些企业能为它配套供货。",
        "Pick a leading firm: which firms could supply it?",
    ),
    "pt.empty.supplier": (
        "您所在城市还没有登记的龙头企业，所以没有“为龙头企业找配套”的名单。"
        "可以改用“为本地企业找客户”，看看沪苏浙哪些龙头企业可能采购本地企业的产品：",
        "Your city has no leading firm on record, so there is no supplier list. "
        "Try customers for your own firms instead:",
    ),
    "pt.empty.customer": (
        "您所在城市还没有登记的企业。请联系分析员导入企业名录（enterprises.csv）。",
        "Your city has no firms on record; ask an analyst to import enterprises.csv.",
    ),
    "pt.none.customer": (
        "没有找到可能采购这家企业产品的龙头企业：它的产品和已登记龙头企业的需求、产业链环节都对不上。"
        "可以补充它的主营产品描述后再试。",
        "No leading firm could buy what this firm makes (products and chain nodes do not "
        "match any leading firm's needs).",
    ),
    "pt.none.supplier": (
        "没有找到能为这家龙头企业配套的企业：它的需求和已登记企业的产品都对不上。可以补充它的采购需求后再试。",
        "No firm could supply this leading firm; add its needs and try again.",
    ),
    "pt.no_match": ("没有名称包含“{q}”的企业。", "No firm's name contains “{q}”."),
    "pt.record": ("记录进展", "Record progress"),
    "pt.recorded": ("已记录", "Recorded"),
    "pt.latest": ("最新进展", "Latest step"),
    "pt.date": ("日期", "Date"),
    "stage.recommended": ("已推荐", "Recommended"),
    "stage.contacted": ("已联系", "Contacted"),
    "stage.meeting": ("已会谈", "Meeting held"),
    "stage.intention": ("有意向", "Intention"),
    "stage.signed": ("已签约", "Signed"),
    "stage.landed": ("已落地", "Landed"),
    "stage.declined": ("不合适", "Not a fit"),
    # 对接会
    "ev.title": ("对接会", "Matchmaking events"),
    "ev.list": ("对接会列表", "Events"),
    "ev.new": ("新建对接会", "New event"),
    "ev.id": ("编号", "ID"),
    "ev.name": ("名称", "Name"),
    "ev.date": ("日期", "Date"),
    "ev.venue": ("地点", "Venue"),
    "ev.slots": ("时段数", "Slots"),
    "ev.slot_minutes": ("每场分钟", "Minutes per slot"),
    "ev.tables": ("桌数", "Tables"),
    "ev.participants": ("参会企业", "Participants"),
    "ev.participants_file": ("参会企业文件 (CSV/XLSX)", "Participants file (CSV/XLSX)"),
    "ev.participants_text": (
        "或逐行填写：统一社会信用代码,leading|supporting",
        "or one per line: USCC,leading|supporting",
    ),
    "ev.created": ("对接会已创建", "Event created"),
    "ev.plan": ("运行排程", "Run the planner"),
    "ev.replan": ("取消并重新排程", "Cancel and re-plan"),
    "ev.grid": ("时段 × 桌号", "Slot × table"),
    "ev.agendas": ("各企业日程", "Agendas per firm"),
    "ev.time": ("时间", "Time"),
    "ev.table": ("桌号", "Table"),
    "ev.partner": ("对接企业", "Partner"),
    "ev.role.leading": ("龙头企业", "Leading firm"),
    "ev.role.supporting": ("配套企业", "Supporting firm"),
    "ev.no_plan": ("尚未排程", "Not planned yet"),
    "ev.meetings": ("场会谈", "meetings"),
    "ev.plan_version": ("排程版本", "Plan version"),
    "ev.bound": ("已达理论最优的 {pct}%", "{pct}% of the best possible plan"),
    "ev.what": ("这是什么？", "What is this?"),
    "ev.details": ("逐家查看", "Per firm"),
    "ev.bound_q": ("“已达理论最优的 …%”是什么意思？", "What does “…% of the best possible” mean?"),
    "ev.bound_help": (
        "系统按每对企业谈成的可能性给排程打分，再算出在这些时段、桌数和会谈上限下"
        "任何排法都不可能超过的分数（理论最优）。这个百分比是本次排程的得分占理论最优的比例："
        "100% 表示不可能排得更好；99% 以上已经很好，不必再调整。",
        "Each pair is valued by its chance of a deal; the bound is a score no schedule with "
        "these slots, tables and limits can beat. The percentage is this plan's share of it: "
        "100% means no better plan exists.",
    ),
    "ev.summary": ("共排 {n} 场会谈", "{n} meetings planned"),
    "ev.minutes": ("分钟", "min"),
    "ev.starts": ("开始", "starts"),
    "ev.start_hint": (
        "第一场会谈从开始时间起，之后按每场分钟数依次排下去；排程时还可以再改。",
        "The first meeting starts at the start time, the others follow; changeable when planning.",
    ),
    "ev.start_time": ("开始时间", "Start time"),
    "ev.plan_again": ("重新排程", "Plan again"),
    "ev.plan_confirm": (
        "重新排程会按最新名单重排所有会谈，已发出的日程可能作废。确定吗？",
        "Planning again may move every meeting; agendas already sent may change. Continue?",
    ),
    "ev.cancel_confirm": (
        "确定取消「{name}」的参会吗？它的会谈会被取消，其余会谈保持不变，空出的时段会补上其他企业。",
        "Cancel {name}? Its meetings go; every other meeting stays, and the gaps are filled.",
    ),
    "ev.cancel_done": (
        "已取消「{name}」的参会，并补排了空出的时段。",
        "{name} cancelled; gaps filled.",
    ),
    "ev.undo": ("撤销", "Undo"),
    "ev.print": ("打印日程（每家企业一页）", "Print agendas (one page per firm)"),
    "ev.no_meetings": ("没有排到会谈", "No meetings"),
    "ev.add": ("登记更多参会企业", "Register more participants"),
    "ev.role": ("角色", "Role"),
    "ev.was": ("原来", "Was"),
    "ev.now": ("现在", "Now"),
    "ev.none": ("还没有对接会。可以在右边新建一场。", "No events yet; create one."),
    "ev.count": ("显示 {n} 场，共 {total} 场", "{n} of {total}"),
    "ev.changes": ("调整情况", "What changed"),
    "ev.change.removed": ("取消", "Removed"),
    "ev.change.moved": ("调整", "Moved"),
    "ev.change.added": ("补入", "Added"),
    "ev.cancelled": ("已取消参会", "Cancelled"),
    "ev.open": ("打开", "Open"),
    # 分析
    "an.title": ("效果分析与模型管理", "Outcomes and models"),
    "an.upload": ("上传对接结果 (outcomes.csv / .xlsx)", "Upload outcomes (outcomes.csv / .xlsx)"),
    "an.uploaded": ("导入成功", "Imported"),
    "an.rejected": ("文件未导入：以下行有问题", "Nothing was imported: these rows are wrong"),
    "an.line": ("行号", "Line"),
    "an.column": ("列", "Column"),
    "an.expected": ("应为", "Expected"),
    "an.got": ("实际", "Got"),
    "an.retrain": ("重新训练", "Retrain"),
    "an.promote_if_better": (
        "新模型在测试集上优于当前生产模型时才会上线",
        "The new model goes live only if it beats production on the test window",
    ),
    "an.jobs": ("训练任务", "Retrain jobs"),
    "an.status": ("状态", "Status"),
    "an.versions": ("模型版本", "Model versions"),
    "an.production": ("生产", "production"),
    "an.promote": ("上线", "Promote"),
    "an.rollback": ("回滚到上一版本", "Roll back"),
    "an.report": ("评估报告", "Report"),
    "an.no_models": ("尚无模型", "No models yet"),
    "an.log": ("日志", "Log"),
    "an.created": ("创建时间", "Created"),
    "an.metrics": ("指标", "Metrics"),
    "an.result": ("结果", "Result"),
    "an.no_jobs": ("还没有训练任务", "No retrain jobs yet"),
    "an.trained": ("训练", "trained"),
    "an.kinds": ("适用", "Ranks"),
    "an.window": ("训练数据", "Training data"),
    "an.basis": ("评估口径", "Measured on"),
    "an.metric": ("指标", "Metric"),
    "an.new": ("这个模型", "This model"),
    "an.prod_same": ("当时的生产模型（同一测试窗口）", "Production then (same test window)"),
    "an.diff": ("差值", "Difference"),
    "an.rule": ("规则排序（基线）", "Rule baseline"),
    "an.compare_hint": (
        "每个版本都和训练当时的生产模型在同一测试窗口、同一批查询上比较；数值越大越好（测试查询数除外）。",
        "Each version is compared with the production model of its time, on the same test "
        "window and queries; higher is better.",
    ),
    "an.upload_hint": (
        "整份文件要么全部导入，要么一行都不导入；将来的日期、同一天对同一对企业既签约又拒绝的记录会被拒收。",
        "All or nothing; future dates and signed + declined on one day for one pair are refused.",
    ),
    "an.rollback_to": ("回滚到 {to}", "Roll back to {to}"),
    "an.rollback_confirm": (
        "确定回滚吗？生产模型会换回 {to}，之后所有名单都按它排序。",
        "Roll back? Production returns to {to}; every list is ranked by it from now on.",
    ),
    "an.promote_confirm": (
        "确定上线 {when} 训练的模型吗？之后所有名单都按它排序。",
        "Promote the model trained {when}? Every list is ranked by it from now on.",
    ),
    "an.promote_rejected_confirm": (
        "注意：{guard}。上线后名单质量可能变差。仍要上线吗？",
        "Warning: {guard}. Lists may get worse. Promote anyway?",
    ),
    "an.despite": ("（未通过检查）", " (guard rejected)"),
    "job.queued": ("排队中", "queued"),
    "job.running": ("训练中", "running"),
    "job.succeeded": ("已完成", "succeeded"),
    "job.failed": ("失败", "failed"),
}


def normalise_lang(lang: str | None) -> str:
    """``lang`` if it is a supported language, else the default (Chinese)."""
    return lang if lang in LANGS else DEFAULT_LANG


def translate(lang: str, key: str, **values: object) -> str:
    """The text of ``key`` in ``lang``; unknown keys come back as the key itself (visible)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[0] if normalise_lang(lang) == "zh" else pair[1]
    return text.format(**values) if values else text
