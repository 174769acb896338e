"""Seed the sourced national defaults (rows for everywhere, "") from ../shared/domain/RULES.md.

Only rules with a national source are seeded here: the 2021 monitoring floor, the housing-safety grades,
the drinking-water indicators, the national code tables and the micro-credit ceiling. Each row cites the
RULES section and its source. Values a province must set itself (its monitoring line, deadlines, alert
thresholds …) are not seeded: a real deployment enters them from its own documents, and until then a lookup
raises PolicyNotSet naming the parameter. The demo loads assumed values for 陕西省 ("61") through
``bangfu.demo.services.seed_demo_policy``, so that no assumption is ever in force in a real deployment.

(The file keeps its first name, under which databases have recorded it; its rows for "61" moved to the demo
before any release.) The data lives in this file, not in app code, so that the migration stays reproducible
when the catalogue changes later.
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations

TRANSITION_START = dt.date(2021, 1, 1)  # start of the 2021–2025 transition period (过渡期), RULES §0

# Sources quoted more than once.
ZONGYANG_ELIMINATION = "安徽枞阳 [gov] https://zongyang.gov.cn/openness/OpennessContent/show/913795.html"
WATER = (
    "《农村饮水安全评价准则》四项指标，重庆城口县水利局2023-03-24 [gov] "
    "http://www.cqck.gov.cn/bm/slj/zwgk_70831/zfxxgkml/zcwd/202303/t20230324_11806313.html"
)
UNDATED = "来源未载生效日期，按过渡期起点2021-01-01录入。"


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
        "housing.unsafe_grades",
        "",
        TRANSITION_START,
        ["C", "D"],
        "RULES.md §7.2：农村住房安全性鉴定C级为局部危房、D级为整幢危房（登封市住建局2022 [gov] "
        "https://df.jiceng.zhengzhou.gov.cn/016004001/6595158.jhtml ；怀远2025 [gov] "
        "https://www.ahhy.gov.cn/zfxxgk/public/49841/51027748.html）。",
    ),
    ("water.min_litres_rich", "", TRANSITION_START, 35, "RULES.md §7.3：丰水地区不低于35升/人·日。" + WATER + "。" + UNDATED),
    ("water.min_litres_scarce", "", TRANSITION_START, 20, "RULES.md §7.3：缺水地区不低于20升/人·日。" + WATER + "。" + UNDATED),
    ("water.max_fetch_minutes", "", TRANSITION_START, 20, "RULES.md §7.3：单次取水往返不超过20分钟。" + WATER + "。" + UNDATED),
    ("water.max_horizontal_metres", "", TRANSITION_START, 800, "RULES.md §7.3：取水水平距离不超过800米。" + WATER + "。" + UNDATED),
    ("water.max_vertical_metres", "", TRANSITION_START, 80, "RULES.md §7.3：取水垂直距离不超过80米。" + WATER + "。" + UNDATED),
    ("water.max_outage_days", "", TRANSITION_START, 36, "RULES.md §7.3：年累计断水或供水不足不超过36天。" + WATER + "。" + UNDATED),
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
        + UNDATED,
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
