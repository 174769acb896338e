"""The catalogue of policy parameters (政策参数目录): every key the code may ask for, in one place.

A key has a Chinese label, a description, a value shape and a validator. The shape decides how the value
is stored (JSON), entered on the screen and shown. Validators raise ``ValidationError`` keyed by the name of
the input that holds the bad part (``amount``, ``days``, ``unit``, ``number``, ``ratio``, ``items``), with a
Chinese message naming the parameter, so that a form can put the message beside the right input.

Numbers are bounded (every money, month and count key has a maximum) and accepted in plain decimal notation
only. Adding a parameter is adding a ``PolicyKey`` here; a sourced national default is seeded by a data
migration, an assumed value for the demo by ``bangfu.demo.services.seed_demo_policy``.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from bangfu.policy.exceptions import UnknownPolicyKey

Json = Any  # what a JSONField holds: numbers, strings, lists and dicts


class Shape(enum.StrEnum):
    """How a value is stored and entered."""

    MONEY = "money"  # a number of 元, ≥ 0, at most two decimals
    DURATION = "duration"  # {"days": n, "unit": "calendar" | "working"}
    MONTHS = "months"  # a whole number of months
    COUNT = "count"  # a whole number in the key's unit (升/人·日, 分钟, 岁 …)
    RATIO = "ratio"  # a fraction between 0 and 1
    LABELS = "labels"  # a code table: an ordered list of distinct labels

    @property
    def label(self) -> str:
        return str(SHAPE_LABELS[self])


SHAPE_LABELS: dict[Shape, Promise] = {
    Shape.MONEY: _("金额（元）"),
    Shape.DURATION: _("期限（天数及计算方式）"),
    Shape.MONTHS: _("月数"),
    Shape.COUNT: _("整数"),
    Shape.RATIO: _("比例（0–1）"),
    Shape.LABELS: _("代码表（每行一项）"),
}


class DayUnit(enum.StrEnum):
    """How the days of a deadline are counted."""

    CALENDAR = "calendar"
    WORKING = "working"

    @property
    def label(self) -> str:
        return str(DAY_UNIT_LABELS[self])


DAY_UNIT_LABELS: dict[DayUnit, Promise] = {DayUnit.CALENDAR: _("自然日"), DayUnit.WORKING: _("工作日")}

# The names of the inputs a shape is entered through; validators key their errors by them.
SHAPE_INPUTS: dict[Shape, tuple[str, ...]] = {
    Shape.MONEY: ("amount",),
    Shape.DURATION: ("days", "unit"),
    Shape.MONTHS: ("number",),
    Shape.COUNT: ("number",),
    Shape.RATIO: ("ratio",),
    Shape.LABELS: ("items",),
}

MAX_DURATION_DAYS = 3650
MAX_LABEL_LENGTH = 50
# Numbers are accepted in plain decimal notation only (digits, one optional point, an optional minus for a
# clear "must not be negative" message). Decimal would also take "1e400", "NaN" and "Infinity"; "1e400" was
# once stored as a 401-digit monitoring line. Thousands separators are removed before the check.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Far longer than any sane value (the largest maximum has 7 digits), so that a long number is reported as
# too large; anything longer is not read as a number at all.
MAX_NUMBER_TEXT = 40
# How much of a bad input a message echoes back.
SHOWN_LENGTH = 20
NUMERIC_SHAPES = frozenset({Shape.MONEY, Shape.MONTHS, Shape.COUNT})


@dataclass(frozen=True)
class PolicyKey:
    """One parameter of the catalogue."""

    key: str
    label: Promise
    description: Promise
    shape: Shape
    unit: Promise | None = None  # display unit of COUNT values
    minimum: int = 0
    maximum: int | None = None  # required for money, months and counts (checked below)

    def __post_init__(self) -> None:
        # Every number has an upper bound: an unbounded amount is how a typo becomes a policy.
        if self.shape in NUMERIC_SHAPES and self.maximum is None:
            raise ValueError(f"policy key {self.key} ({self.shape}) needs a maximum")

    def validate(self, raw: Json) -> Json:
        """Check ``raw`` (from a form or from code) and return the normalised JSON value to store."""
        return _VALIDATORS[self.shape](self, raw)

    def to_python(self, stored: Json) -> Any:
        """The stored JSON as callers use it: ``Decimal`` for money and ratios, ``int`` for counts and months,
        a dict for durations and a list for code tables."""
        if self.shape in (Shape.MONEY, Shape.RATIO):
            return Decimal(str(stored))
        return stored

    def display(self, stored: Json) -> str:
        """The value as a person reads it: "6,000 元", "15 个工作日", "40%"."""
        if self.shape == Shape.MONEY:
            amount = Decimal(str(stored))
            text = f"{amount:,.2f}" if amount != amount.to_integral_value() else f"{amount:,.0f}"
            return gettext("%(amount)s 元") % {"amount": text}
        if self.shape == Shape.DURATION:
            if stored["unit"] == DayUnit.WORKING:
                return ngettext("%(days)s 个工作日", "%(days)s 个工作日", stored["days"]) % {
                    "days": stored["days"]
                }
            return ngettext("%(days)s 天（自然日）", "%(days)s 天（自然日）", stored["days"]) % {
                "days": stored["days"]
            }
        if self.shape == Shape.MONTHS:
            return ngettext("%(n)s 个月", "%(n)s 个月", stored) % {"n": stored}
        if self.shape == Shape.COUNT:
            return f"{stored} {self.unit}" if self.unit else str(stored)
        if self.shape == Shape.RATIO:
            percent = (Decimal(str(stored)) * 100).normalize()
            return f"{percent:f}%"
        return "、".join(stored)

    def form_initial(self, stored: Json) -> dict[str, Any]:
        """Values for the entry inputs, to prefill a new version with the one in force."""
        if self.shape == Shape.DURATION:
            return {"days": stored["days"], "unit": stored["unit"]}
        if self.shape == Shape.LABELS:
            return {"items": "\n".join(stored)}
        return {SHAPE_INPUTS[self.shape][0]: stored}

    def from_inputs(self, inputs: dict[str, Any]) -> Json:
        """Assemble the raw value from the entry inputs (before ``validate``)."""
        if self.shape == Shape.DURATION:
            return {"days": inputs.get("days"), "unit": inputs.get("unit")}
        if self.shape == Shape.LABELS:
            text = inputs.get("items") or ""
            return [line.strip() for line in str(text).splitlines() if line.strip()]
        return inputs.get(SHAPE_INPUTS[self.shape][0])

    @property
    def is_deadline(self) -> bool:
        return self.shape == Shape.DURATION


def _invalid(spec: PolicyKey, input_name: str, message: str, **params: Any) -> ValidationError:
    text = gettext("“%(label)s”：") % {"label": spec.label} + message % params
    return ValidationError({input_name: ValidationError(text, code="invalid")})


def _decimal(raw: Json) -> Decimal | None:
    """``raw`` as a Decimal when it is a plain decimal number (see ``_PLAIN_NUMBER``), else None."""
    # bool is an int in Python; True is not a yuan amount.
    if raw is None or isinstance(raw, bool | list | dict):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    try:
        text = str(raw).strip().replace(",", "").replace("，", "")
    except ValueError:  # an int too long to print (more than 4,300 digits)
        return None
    if len(text) > MAX_NUMBER_TEXT or not _PLAIN_NUMBER.fullmatch(text):
        return None
    return Decimal(text)


def _shown(raw: Json) -> str:
    """``raw`` as echoed in a message: cut short, so that a pasted page does not come back whole."""
    try:
        text = str(raw)
    except ValueError:
        return "…"
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…"


def _places(number: Decimal) -> int:
    """Digits after the decimal point (0 for 6000 and for 6E+3)."""
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _in_other_notation(raw: Json) -> bool:
    """Whether ``raw`` is a number written in a notation refused here: exponent, NaN or Infinity."""
    if isinstance(raw, float):
        return not math.isfinite(raw) or "e" in repr(raw)
    if not isinstance(raw, str | Decimal):
        return False
    text = str(raw).strip().replace(",", "").replace("，", "")
    if _PLAIN_NUMBER.fullmatch(text):
        return False
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _number(spec: PolicyKey, raw: Json, input_name: str) -> Decimal | None:
    """``raw`` as a plain decimal number, None when it is no number at all; a number in exponent notation,
    NaN or Infinity gets its own message, so that the person sees what to type instead."""
    if _in_other_notation(raw):
        raise _invalid(
            spec,
            input_name,
            gettext("请用普通数字书写（如 7800 或 0.4），不接受科学计数法、NaN 或 Infinity，收到“%(raw)s”。"),
            raw=_shown(raw),
        )
    return _decimal(raw)


def _whole(spec: PolicyKey, raw: Json, input_name: str) -> int | None:
    number = _number(spec, raw, input_name)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _validate_money(spec: PolicyKey, raw: Json) -> Json:
    amount = _number(spec, raw, "amount")
    if amount is None or amount < 0 or _places(amount) > 2:
        raise _invalid(
            spec,
            "amount",
            gettext("金额必须是不小于 0 的数字，最多两位小数（单位：元），收到“%(raw)s”。"),
            raw=_shown(raw),
        )
    if spec.maximum is not None and amount > spec.maximum:
        raise _invalid(spec, "amount", gettext("金额不能超过 %(max)s 元。"), max=f"{spec.maximum:,}")
    # Whole yuan are stored as JSON integers; cents as a two-decimal number (exact through str()).
    return int(amount) if amount == amount.to_integral_value() else float(amount.quantize(Decimal("0.01")))


def _validate_duration(spec: PolicyKey, raw: Json) -> Json:
    if not isinstance(raw, dict):
        raise _invalid(spec, "days", gettext("期限必须包含天数和计算方式。"))
    unknown = set(raw) - {"days", "unit"}
    if unknown:
        raise _invalid(
            spec,
            "days",
            gettext("期限只能包含天数和计算方式，多出：%(extra)s。"),
            extra="、".join(sorted(unknown)),
        )
    days = _whole(spec, raw.get("days"), "days")
    if days is None or not 1 <= days <= MAX_DURATION_DAYS:
        raise _invalid(
            spec,
            "days",
            gettext("天数必须是 1 到 %(max)s 之间的整数，收到“%(raw)s”。"),
            max=MAX_DURATION_DAYS,
            raw=_shown(raw.get("days")),
        )
    unit = raw.get("unit")
    if unit not in {u.value for u in DayUnit}:
        raise _invalid(spec, "unit", gettext("计算方式必须是“自然日”或“工作日”。"))
    return {"days": days, "unit": str(unit)}


def _validate_whole(spec: PolicyKey, raw: Json, *, what: str) -> int:
    number = _whole(spec, raw, "number")
    low, high = spec.minimum, spec.maximum
    if number is None or number < low or (high is not None and number > high):
        bounds = (
            gettext("%(low)s 到 %(high)s 之间") % {"low": low, "high": high}
            if high is not None
            else gettext("不小于 %(low)s") % {"low": low}
        )
        raise _invalid(
            spec,
            "number",
            gettext("%(what)s必须是%(bounds)s的整数，收到“%(raw)s”。"),
            what=what,
            bounds=bounds,
            raw=_shown(raw),
        )
    return number


def _validate_months(spec: PolicyKey, raw: Json) -> Json:
    return _validate_whole(spec, raw, what=gettext("月数"))


def _validate_count(spec: PolicyKey, raw: Json) -> Json:
    return _validate_whole(spec, raw, what=gettext("数值"))


def _validate_ratio(spec: PolicyKey, raw: Json) -> Json:
    ratio = _number(spec, raw, "ratio")
    if ratio is None or not 0 <= ratio <= 1 or _places(ratio) > 4:
        raise _invalid(
            spec,
            "ratio",
            gettext("比例必须是 0 到 1 之间的小数（如 0.4 表示 40%%），最多四位小数，收到“%(raw)s”。"),
            raw=_shown(raw),
        )
    return float(ratio)


def _validate_labels(spec: PolicyKey, raw: Json) -> Json:
    if not isinstance(raw, list) or not raw:
        raise _invalid(spec, "items", gettext("代码表至少要有一项。"))
    seen: set[str] = set()
    labels: list[str] = []
    for position, item in enumerate(raw, start=1):
        text = str(item).strip() if isinstance(item, str) else ""
        if not text or len(text) > MAX_LABEL_LENGTH:
            raise _invalid(
                spec,
                "items",
                gettext("第 %(n)s 项必须是 1 到 %(max)s 个字的文字。"),
                n=position,
                max=MAX_LABEL_LENGTH,
            )
        if text in seen:
            raise _invalid(spec, "items", gettext("第 %(n)s 项“%(text)s”重复。"), n=position, text=text)
        seen.add(text)
        labels.append(text)
    return labels


_VALIDATORS = {
    Shape.MONEY: _validate_money,
    Shape.DURATION: _validate_duration,
    Shape.MONTHS: _validate_months,
    Shape.COUNT: _validate_count,
    Shape.RATIO: _validate_ratio,
    Shape.LABELS: _validate_labels,
}


CATALOGUE: tuple[PolicyKey, ...] = (
    # --- monitoring range and income (RULES §2, §3) -----------------------------------------------------
    PolicyKey(
        "monitoring_line",
        _("防止返贫监测范围（家庭年人均纯收入）"),
        _("家庭年人均纯收入低于此线（并存在风险）的农户纳入监测范围；各省每年确定。"),
        Shape.MONEY,
        maximum=100_000,  # about ten times the highest line found (10,560 元, Fujian 2023)
    ),
    PolicyKey(
        "income_window_months",
        _("收入计算周期"),
        _("新识别时，按识别前一个月为止的若干个月计算家庭纯收入。"),
        Shape.MONTHS,
        minimum=1,
        maximum=24,
    ),
    # --- procedure deadlines (RULES §6, §12.2) ----------------------------------------------------------
    PolicyKey(
        "deadline.self_report_acceptance",
        _("乡镇受理农户申报时限"),
        _("农户通过APP、热线或扫码申报后，乡镇账户须在此期限内受理并交村入户核查。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.home_check",
        _("入户核查时限"),
        _("收到申报或预警线索后，完成入户核查的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.info_comparison",
        _("信息比对时限"),
        _("入户核查后，完成财产等信息比对的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.village_notice",
        _("村内公示期（最少天数）"),
        _("民主评议后在村内公示的最少天数，公示期满方可报乡镇审核。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.village_appraisal",
        _("民主评议时限"),
        _("信息比对完成后，召开民主评议会议（村民代表会议或村两委扩大会议）的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.town_review",
        _("乡镇审核时限"),
        _("村内公示期满报送后，乡镇完成审核的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.county_approval",
        _("县级审定时限"),
        _("乡镇审核通过后，县级完成审定的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.announcement",
        _("结果公告时限"),
        _("县级审定后，以乡镇名义在村内公告识别结果的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.identification",
        _("识别认定总时限"),
        _("自发现线索至完成识别认定（评议公示、乡镇审核、县级审批）的总期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "deadline.warning_feedback",
        _("预警核查结果反馈时限"),
        _("行业部门推送的预警线索核查后，向推送部门反馈结果的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "visit.interval",
        _("监测户走访间隔"),
        _("帮扶联系人对监测户两次走访之间的最长间隔。"),
        Shape.DURATION,
    ),
    # --- rectification to zero (RULES §10) --------------------------------------------------------------
    PolicyKey(
        "rectification.start_within",
        _("问题整改启动时限"),
        _("问题交办后须在此期限内开始整改（登记首条进展），逾期未启动的问题显示为红色。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "rectification.backdate_days",
        _("整改事项补录期限"),
        _(
            "整改进展、申请销号、验收和交办的日期最多可比录入当天早此天数；更早的事项不能补录，以免逾期问题被记作按时完成。"
        ),
        Shape.COUNT,
        unit=_("天"),
        minimum=0,
        maximum=31,
    ),
    PolicyKey(
        "rectification.county_verifies_red",
        _("红色问题由县级验收销号"),
        _("为1时，申请销号时为红色的问题由县级验收销号；为0时由上一级（乡镇）验收。"),
        Shape.COUNT,
        unit=_("（1=是，0=否）"),
        minimum=0,
        maximum=1,
    ),
    PolicyKey(
        "deadline.supervision_reply",
        _("督办单回复时限"),
        _("督办单签发后，被督办单位书面回复整改情况的期限。"),
        Shape.DURATION,
    ),
    PolicyKey(
        "rectification.circular_after_orders",
        _("通报条件：逾期未回复督办单数"),
        _("同一单位逾期未回复（或回复后问题仍逾期）的督办单达到此数，列入拟通报名单。"),
        Shape.COUNT,
        unit=_("份"),
        minimum=1,
        maximum=50,
    ),
    PolicyKey(
        "rectification.interview_after_circulars",
        _("约谈条件：被通报次数"),
        _("同一单位在一年内被通报达到此次数且仍有逾期问题，列入拟约谈名单。"),
        Shape.COUNT,
        unit=_("次"),
        minimum=1,
        maximum=50,
    ),
    PolicyKey(
        "rectification.referral_after_interviews",
        _("移交纪检条件：被约谈次数"),
        _("同一单位在一年内被约谈达到此次数且仍有逾期问题，列入拟移交纪检监察机关名单。"),
        Shape.COUNT,
        unit=_("次"),
        minimum=1,
        maximum=50,
    ),
    # --- elimination (RULES §8) -------------------------------------------------------------------------
    PolicyKey(
        "elimination.min_stable_months",
        _("风险消除前收入稳定最少月数"),
        _("标注风险消除前，家庭收入须持续稳定的最少月数。"),
        Shape.MONTHS,
        minimum=1,
        maximum=60,
    ),
    # --- department alert thresholds (RULES §5.2) -------------------------------------------------------
    PolicyKey(
        "medical.oop_per_stay_monitored",
        _("医保预警：监测对象单次住院自付费用"),
        _("监测对象单次住院经基本医保、大病保险、医疗救助后个人自付超过此额，推送预警。"),
        Shape.MONEY,
        maximum=1_000_000,
    ),
    PolicyKey(
        "medical.oop_per_stay_other",
        _("医保预警：其他农村居民单次住院自付费用"),
        _("其他农村居民单次住院经三重保障后个人自付超过此额，推送预警。"),
        Shape.MONEY,
        maximum=1_000_000,
    ),
    PolicyKey(
        "medical.oop_income_ratio",
        _("医保预警：医疗自付占家庭年收入比例"),
        _("医疗自付费用占家庭年收入的比例超过此值，推送预警。"),
        Shape.RATIO,
    ),
    PolicyKey(
        "employment.no_contribution_months",
        _("人社预警：连续无社保缴费月数"),
        _("务工人员连续无缴费记录达到此月数，推送预警。"),
        Shape.MONTHS,
        minimum=1,
        maximum=24,
    ),
    # --- 三保障 and drinking water standards (RULES §7) ----------------------------------------------------
    PolicyKey(
        "housing.unsafe_grades",
        _("住房安全：危房鉴定等级"),
        _("鉴定为这些等级的住房属于危房（住房安全无保障）。"),
        Shape.LABELS,
    ),
    PolicyKey(
        "water.min_litres_rich",
        _("饮水安全：丰水地区最低水量"),
        _("丰水地区每人每天最低供水量。"),
        Shape.COUNT,
        unit=_("升/人·日"),
        minimum=1,
        maximum=500,
    ),
    PolicyKey(
        "water.min_litres_scarce",
        _("饮水安全：缺水地区最低水量"),
        _("缺水地区每人每天最低供水量。"),
        Shape.COUNT,
        unit=_("升/人·日"),
        minimum=1,
        maximum=500,
    ),
    PolicyKey(
        "water.max_fetch_minutes",
        _("饮水安全：单次取水最长时间"),
        _("未入户的，单次取水往返时间不超过此分钟数视为方便。"),
        Shape.COUNT,
        unit=_("分钟"),
        minimum=1,
        maximum=240,
    ),
    PolicyKey(
        "water.max_horizontal_metres",
        _("饮水安全：取水最大水平距离"),
        _("未入户的，取水水平距离不超过此米数视为方便。"),
        Shape.COUNT,
        unit=_("米"),
        minimum=1,
        maximum=10000,
    ),
    PolicyKey(
        "water.max_vertical_metres",
        _("饮水安全：取水最大垂直距离"),
        _("未入户的，取水垂直距离不超过此米数视为方便。"),
        Shape.COUNT,
        unit=_("米"),
        minimum=1,
        maximum=1000,
    ),
    PolicyKey(
        "water.max_outage_days",
        _("饮水安全：年累计断水最多天数"),
        _("一年内累计断水或供水不足的天数不超过此值，视为供水有保证。"),
        Shape.COUNT,
        unit=_("天/年"),
        minimum=0,
        maximum=366,
    ),
    # --- code tables (RULES §1.2, §4, §8.2) -------------------------------------------------------------
    PolicyKey(
        "codes.monitoring_categories",
        _("代码表：监测对象类别"),
        _("监测对象的类别，按国家系统口径。"),
        Shape.LABELS,
    ),
    PolicyKey(
        "codes.risk_types",
        _("代码表：致贫返贫风险类型"),
        _("每户最多登记五项风险，取自此表；以本省当年指标解释为准。"),
        Shape.LABELS,
    ),
    PolicyKey(
        "codes.elimination_methods",
        _("代码表：风险消除方式"),
        _("风险消除的方式。"),
        Shape.LABELS,
    ),
    # --- assistance (RULES §9.2, §13.2) -----------------------------------------------------------------
    PolicyKey(
        "microcredit.max_amount",
        _("脱贫人口小额信贷：单户最高额度"),
        _("脱贫人口小额信贷单户贷款额度上限。"),
        Shape.MONEY,
        maximum=1_000_000,  # twenty times the national 5万元
    ),
    PolicyKey(
        "welfare_post.max_hire_age",
        _("乡村公益性岗位：新聘人员年龄上限"),
        _("新聘公益性岗位人员的一般年龄上限。"),
        Shape.COUNT,
        unit=_("岁"),
        minimum=16,
        maximum=80,
    ),
    PolicyKey(
        "welfare_post.max_hire_age_relaxed",
        _("乡村公益性岗位：身体健康者年龄上限"),
        _("身体健康的，新聘年龄上限可放宽至此值。"),
        Shape.COUNT,
        unit=_("岁"),
        minimum=16,
        maximum=80,
    ),
)

KEYS: dict[str, PolicyKey] = {spec.key: spec for spec in CATALOGUE}


def get(key: str) -> PolicyKey:
    """The catalogue entry of ``key``; raises UnknownPolicyKey (Chinese message) for anything else."""
    try:
        return KEYS[key]
    except (KeyError, TypeError) as exc:
        raise UnknownPolicyKey(str(key)) from exc
