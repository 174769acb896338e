"""Seed the default policy values for the demo province 陕西省 (61) and the national rules, from
../shared/domain/RULES.md.

Each row cites the RULES section and the source it comes from. RULES has no Shaanxi figure for most
parameters: those rows are set for "61" and say plainly in their source note that they are demo assumptions
adopted from the named place, to be replaced by the province's own documents (a new version, never an edit).
Rows that state national standards or code tables are set for everywhere (""). The data lives in this file,
not in app code, so that the migration stays reproducible when the catalogue changes later.
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations

TRANSITION_START = dt.date(2021, 1, 1)  # start of the 2021–2025 transition period (过渡期), RULES §0

# Sources quoted more than once.
GANSU_2023 = (
    "人民日报2023-02-21 [gov] http://paper.people.com.cn/rmrb/html/2023-02/21/nw.D110000renmrb_20230221_5-10.htm"
)
ZONGYANG_ELIMINATION = "安徽枞阳 [gov] https://zongyang.gov.cn/openness/OpennessContent/show/913795.html"
MEDICAL_PUSH = "[gov-mirror] http://ugaw.cn/mrwzrczsz/rczssdjre"
WATER = (
    "《农村饮水安全评价准则》四项指标，重庆城口县水利局2023-03-24 [gov] "
    "http://www.cqck.gov.cn/bm/slj/zwgk_70831/zfxxgkml/zcwd/202303/t20230324_11806313.html"
)
WATER_DATE_NOTE = "生效日期取过渡期起点2021-01-01，为演示假设。"
NO_SHAANXI = "陕西省数字 RULES 未载，此为演示假设，正式使用前须按陕西省文件录入新版本。"
WELFARE_POSTS = (
    "《贵州省乡村公益性岗位开发管理办法》[gov-mirror] https://newton.com.tw/wiki/"
    "%E8%B2%B4%E5%B7%9E%E7%9C%81%E9%84%89%E6%9D%91%E5%85%AC%E7%9B%8A%E6%80%A7%E5%B4%97%E4%BD%8D"
    "%E9%96%8B%E7%99%BC%E7%AE%A1%E7%90%86%E8%BE%A6%E6%B3%95/59522260"
)


def working(days: int) -> dict[str, object]:
    return {"days": days, "unit": "working"}


def calendar(days: int) -> dict[str, object]:
    return {"days": days, "unit": "calendar"}


# (key, region_prefix, effective_from, value, source_note)
SEEDS: list[tuple[str, str, dt.date, object, str]] = [
    (
        "monitoring_line",
        "",
        TRANSITION_START,
        6000,
        "RULES.md §2.1：2021年全国监测范围底线为脱贫攻坚期国家扶贫标准的1.5倍，约6,000元/人/年"
        "（2020年标准约4,000元）。依据：中央农村工作领导小组《关于健全防止返贫动态监测和帮扶机制的指导意见》"
        "（中农组发〔2021〕7号），县级解读 [gov] https://yyx.gov.cn/37584/38152/61876/61880/content_1871693.html 。"
        "2022年以后未见全国统一数字，由各省每年确定。",
    ),
    (
        "monitoring_line",
        "61",
        dt.date(2024, 1, 1),
        7800,
        "演示假设，不是陕西省公布的数字：RULES.md §2.2 未收录陕西省的监测范围。取相邻的甘肃省陇南市武都区"
        "2024年监测范围7,800元（[3rd] https://laitimes.com/en/article/6ulyq_7ay8o.html）作演示值；"
        "正式使用前须按陕西省当年文件录入新版本。",
    ),
    (
        "income_window_months",
        "61",
        TRANSITION_START,
        12,
        "RULES.md §3.2：新识别时按识别前一个月为止的12个月计算家庭纯收入（江西南康 [gov-mirror] "
        "https://feifeitong.com/nkqxxgk/c130193/202408/ff5100c7e062400b839a427801e6f70f.shtml ；"
        "安徽2020年规则，人民日报2020-06-30 [gov-mirror] http://www.dingqianjf.com/news/show/134/1469160_0.html）。"
        + NO_SHAANXI,
    ),
    (
        "deadline.self_report_acceptance",
        "61",
        TRANSITION_START,
        calendar(2),
        "RULES.md §6.2、§12.2：农户线上申报进入乡镇账户后，乡镇2日内受理并交村入户核查（安徽枞阳2024 [gov] "
        "https://zongyang.gov.cn/openness/OpennessContent/show/941460.html）；原文“2日内”，按自然日计。" + NO_SHAANXI,
    ),
    (
        "deadline.home_check",
        "61",
        TRANSITION_START,
        working(5),
        "RULES.md §6.2：甘肃“一键报贫”2023年规定5个工作日内入户核查（" + GANSU_2023 + "）。"
        "其他地方：安徽2个工作日，某县规程3日。" + NO_SHAANXI,
    ),
    (
        "deadline.info_comparison",
        "61",
        TRANSITION_START,
        calendar(5),
        "RULES.md §6.2：某县规程，入户核查后5日内完成信息比对（[3rd] "
        "https://m.jiusongjiankang.com/health/news/5450632.html ，第三方转载，⚠未经两源确认）。" + NO_SHAANXI,
    ),
    (
        "deadline.village_notice",
        "61",
        TRANSITION_START,
        calendar(5),
        "RULES.md §6.1、§6.4：民主评议后村内公示不少于5天（河南永城2024 [gov] "
        "https://ycs.gov.cn/xzxxgk/cfsjd/cfsjczwgk1511121131/tpgjcg231511121131/jcdx31511121131/"
        "jchsb31511121131/content_18011）。" + NO_SHAANXI,
    ),
    (
        "deadline.identification",
        "61",
        TRANSITION_START,
        working(15),
        "RULES.md §6.2：甘肃2023年规定评议公示、乡镇复核、县级审批在15个工作日内完成（" + GANSU_2023 + " ；"
        "临夏 [gov] https://lxs.gov.cn/lxs/zwgk/zjdbmxx/bm/lxsxczxj/fdzdgknr/ZCJJD/art/2023/"
        "art_d19909862c124d0f8f3a3dc15185cb75.html）。河南为一般不超过15天，安徽、海南为20个工作日。" + NO_SHAANXI,
    ),
    (
        "deadline.warning_feedback",
        "61",
        TRANSITION_START,
        working(5),
        "RULES.md §6.2：甘肃“一键报贫”入户核查后5个工作日内反馈结果（" + GANSU_2023 + "）；礼县“户户清”"
        "后台5个工作日内核实（[media] https://lnews.ichezone.com/Index/Topic/articledetail/id/43920.html）。"
        + NO_SHAANXI,
    ),
    (
        "visit.interval",
        "61",
        TRANSITION_START,
        calendar(30),
        "RULES.md §9.3：走访频次全国未见统一规定，各地不一：孟津每周三帮扶走访日（[gov]），"
        "“每周扶贫工作日、每月扶贫走访日”（县级方案 [3rd] http://qyclass.com/fangan/8229125.html），"
        "乡镇每月核实。演示假设：每30天至少走访一次。" + NO_SHAANXI,
    ),
    (
        "elimination.min_stable_months",
        "61",
        TRANSITION_START,
        6,
        "RULES.md §8.1、§8.4：收入稳定“原则上不得低于半年”（" + ZONGYANG_ELIMINATION + "）；"
        "全国未见最短监测期限。" + NO_SHAANXI,
    ),
    (
        "medical.oop_per_stay_monitored",
        "61",
        TRANSITION_START,
        6000,
        "RULES.md §5.2：医保部门“一月一提取、一月一比对”，监测对象单次住院经基本医保、大病保险、医疗救助后"
        "个人自付超过6,000元推送民政（" + MEDICAL_PUSH + "，⚠省份未明）。" + NO_SHAANXI,
    ),
    (
        "medical.oop_per_stay_other",
        "61",
        TRANSITION_START,
        10000,
        "RULES.md §5.2：其他农村居民单次住院经三重保障后个人自付超过10,000元推送民政（" + MEDICAL_PUSH
        + "，⚠省份未明）。" + NO_SHAANXI,
    ),
    (
        "medical.oop_income_ratio",
        "61",
        TRANSITION_START,
        0.4,
        "RULES.md §5.2：市级规则示例，医疗自付超过家庭年收入40%即预警（河南漯河，[3rd] "
        "https://m.todayonhistory.com/know/223962.html ，⚠第三方描述）。" + NO_SHAANXI,
    ),
    (
        "employment.no_contribution_months",
        "61",
        TRANSITION_START,
        3,
        "RULES.md §5.2 人社行：连续3个月无缴费记录即预警（河南漯河，第三方描述，RULES 未载网址，⚠未经确认）。"
        + NO_SHAANXI,
    ),
    (
        "housing.unsafe_grades",
        "",
        TRANSITION_START,
        ["C", "D"],
        "RULES.md §7.2：农村住房安全性鉴定C级为局部危房、D级为整幢危房（登封市住建局2022 [gov] "
        "https://df.jiceng.zhengzhou.gov.cn/016004001/6595158.jhtml ；怀远2025 [gov] "
        "https://www.ahhy.gov.cn/zfxxgk/public/49841/51027748.html）。",
    ),
    ("water.min_litres_rich", "", TRANSITION_START, 35, "RULES.md §7.3：丰水地区不低于35升/人·日。" + WATER + "。" + WATER_DATE_NOTE),
    ("water.min_litres_scarce", "", TRANSITION_START, 20, "RULES.md §7.3：缺水地区不低于20升/人·日。" + WATER + "。" + WATER_DATE_NOTE),
    ("water.max_fetch_minutes", "", TRANSITION_START, 20, "RULES.md §7.3：单次取水往返不超过20分钟。" + WATER + "。" + WATER_DATE_NOTE),
    ("water.max_horizontal_metres", "", TRANSITION_START, 800, "RULES.md §7.3：取水水平距离不超过800米。" + WATER + "。" + WATER_DATE_NOTE),
    ("water.max_vertical_metres", "", TRANSITION_START, 80, "RULES.md §7.3：取水垂直距离不超过80米。" + WATER + "。" + WATER_DATE_NOTE),
    ("water.max_outage_days", "", TRANSITION_START, 36, "RULES.md §7.3：年累计断水或供水不足不超过36天。" + WATER + "。" + WATER_DATE_NOTE),
    (
        "codes.monitoring_categories",
        "",
        TRANSITION_START,
        ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"],
        "RULES.md §1.2：中农组发〔2021〕7号确定的三类监测对象（大姚县 [gov] http://www.dayao.gov.cn/info/61594/312608.htm ；"
        "阿拉善盟2024 [gov] https://gxq.als.gov.cn/art/2024/8/14/art_2358_522735.html）。"
        "2026年起称“防止返贫致贫对象”，类别名称可能调整（§11）。",
    ),
    (
        "codes.risk_types",
        "",
        TRANSITION_START,
        ["因病", "因残", "因学", "因自然灾害", "因意外事故", "因产业失败", "因务工就业不稳", "因缺劳动力", "因安全饮水", "其他"],
        "RULES.md §4.2：来源中确认的风险类型（国家系统导出校验脚本与某低收入户应用的代码字典，[code]，RULES 未载网址）。"
        "⚠官方100A27完整列表及措辞未取得，请按本省当年指标解释录入新版本。",
    ),
    (
        "codes.elimination_methods",
        "",
        TRANSITION_START,
        ["帮扶消除", "自然消除"],
        "RULES.md §8.2：风险消除方式（" + ZONGYANG_ELIMINATION + "；国家系统导出字段“风险消除方式”，[code]）。",
    ),
    (
        "microcredit.max_amount",
        "",
        TRANSITION_START,
        50000,
        "RULES.md §9.2：脱贫人口小额信贷单户不超过5万元、期限不超过3年（青阳2024-07-10 [gov-mirror] "
        "http://www.chidc.com.cn/OpennessContent/show/1576260.html ；[gov] https://www.bypc.gov.cn/zfxxgk/"
        "bmdwxzjd/xzjd/sqz/fdzdgknr/cwgk/ymc/cwgk/art/2024/art_571d0b3bcc964e0bbae9d692cb777b39.html）。"
        "生效日期取过渡期起点2021-01-01，为演示假设。",
    ),
    (
        "welfare_post.max_hire_age",
        "61",
        TRANSITION_START,
        60,
        "RULES.md §13.2：新聘人员年龄一般不超过60岁（" + WELFARE_POSTS + "）。" + NO_SHAANXI,
    ),
    (
        "welfare_post.max_hire_age_relaxed",
        "61",
        TRANSITION_START,
        65,
        "RULES.md §13.2：身体健康的可放宽至65岁（" + WELFARE_POSTS + "）。" + NO_SHAANXI,
    ),
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    PolicyValue = apps.get_model("policy", "PolicyValue")
    PolicyValue.objects.bulk_create(
        [
            PolicyValue(key=key, region_prefix=prefix, effective_from=start, value=value, source_note=note)
            for key, prefix, start, value, note in SEEDS
        ]
    )


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    PolicyValue = apps.get_model("policy", "PolicyValue")
    for key, prefix, start, _value, _note in SEEDS:
        PolicyValue.objects.filter(
            key=key, region_prefix=prefix, effective_from=start, created_by__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_policy_values_and_calendar_years")]

    operations = [migrations.RunPython(seed, unseed)]
