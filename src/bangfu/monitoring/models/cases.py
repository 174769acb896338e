"""Monitoring cases (监测对象识别): leads from every channel, and the identification procedure.

A ``Lead`` (线索) is a possible case, whatever the channel it came by (RULES §5.1): a department warning the
village included, a cadre's report, a household's self-report, a hotline call entered by staff. Every channel
produces the same record with its source; the town accepts it (a case opens) or declines it with a reason
within the policy's deadline.

A ``MonitoringCase`` walks the identification procedure (RULES §6): application and pledge → home check →
data comparison → democratic appraisal → village notice → town review → county approval → announcement →
monitored. The procedure is a state machine declared once, here: ``STEPS`` says who acts at each step and
which policy deadline it has; the transitions (django-fsm) say which step follows which, with return to an
earlier step and rejection (不予纳入) as the other ways out. The services in ``monitoring.identification`` are
the only callers: each transition is one audited transaction that records a ``CaseEvent`` (the case's
timeline) and sets the next deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from bangfu.accounts.models import Role
from bangfu.core.fields import EncryptedTextField
from bangfu.core.storage import private_storage
from bangfu.monitoring.models.screening import ScreeningWarning
from bangfu.regions.scoping import ScopedQuerySet, code_visible_to, reads_business_data
from bangfu.registry.models import Household

# At most this many risk types per case, in order of weight (the national form has five slots).
MAX_RISK_TYPES: Final = 5


class LeadChannel(models.TextChoices):
    DEPARTMENT_WARNING = "department_warning", _("部门筛查预警")
    CADRE_REPORT = "cadre_report", _("基层干部排查")
    SELF_REPORT = "self_report", _("农户自主申报")
    HOTLINE = "hotline", _("热线来电")


class LeadStatus(models.TextChoices):
    PENDING = "pending", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("不予受理")


class LeadQuerySet(ScopedQuerySet["Lead"]):
    pass


class Lead(models.Model):
    """线索: a possible case from one channel, waiting for the town to accept it."""

    channel = models.CharField(_("来源渠道"), max_length=24, choices=LeadChannel.choices)
    region_code = models.CharField(_("所在村"), max_length=12)
    # The registered household, when known (a self-report names a person; the town finds the household).
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="leads", db_index=False
    )
    warning = models.OneToOneField(
        ScreeningWarning, null=True, blank=True, on_delete=models.PROTECT, related_name="lead"
    )
    applicant_name = models.CharField(_("申报人姓名"), max_length=50, blank=True)
    phone = EncryptedTextField(_("联系电话"), kind="phone", blank=True)
    id_number = EncryptedTextField(_("身份证号码"), kind="id_number", blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    # A public report's sender (blind index of the client address), to limit how often one may submit.
    client_index = models.CharField(max_length=64, blank=True, editable=False)
    difficulty = models.TextField(_("困难情况"), max_length=1000, blank=True)
    risk_types = models.JSONField(_("风险类型"), default=list)
    received_on = models.DateField(_("收到日期"))
    due_on = models.DateField(_("受理期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.PENDING
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decline_reason = models.CharField(_("不予受理理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        indexes: ClassVar = [
            models.Index(fields=["region_code", "status", "due_on"], name="monitoring_lead_inbox"),
            models.Index(fields=["id_number_index", "created_at"], name="monitoring_lead_person"),
            models.Index(fields=["client_index", "created_at"], name="monitoring_lead_client"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.received_on:%Y-%m-%d}"


class CaseState(models.TextChoices):
    APPLICATION = "application", _("申请及承诺")
    HOME_CHECK = "home_check", _("入户核查")
    DATA_COMPARISON = "data_comparison", _("信息比对")
    VILLAGE_APPRAISAL = "village_appraisal", _("民主评议")
    VILLAGE_NOTICE = "village_notice", _("村内公示")
    TOWN_REVIEW = "town_review", _("乡镇审核")
    COUNTY_APPROVAL = "county_approval", _("县级审定")
    ANNOUNCEMENT = "announcement", _("结果公告")
    MONITORED = "monitored", _("监测帮扶中")
    NOT_INCLUDED = "not_included", _("不予纳入")
    # Risk elimination (风险消除, RULES §8): the same appraisal, notice and reviews as identification.
    ELIMINATION_APPRAISAL = "elimination_appraisal", _("消除评议")
    ELIMINATION_NOTICE = "elimination_notice", _("消除公示")
    ELIMINATION_TOWN_REVIEW = "elimination_town_review", _("消除乡镇审核")
    ELIMINATION_COUNTY_APPROVAL = "elimination_county_approval", _("消除县级审定")
    ELIMINATED = "eliminated", _("风险已消除")


class EliminationMethod(models.TextChoices):
    """RULES §8.2: 帮扶消除 / 自然消除."""

    BY_ASSISTANCE = "by_assistance", _("帮扶消除")
    NATURAL = "natural", _("自然消除")


class Category(models.TextChoices):
    """The three monitoring categories (RULES §1.2)."""

    UNSTABLE_EXITED = "unstable_exited", _("脱贫不稳定户")
    EDGE = "edge", _("边缘易致贫户")
    SUDDEN_HARDSHIP = "sudden_hardship", _("突发严重困难户")


VILLAGE_LEVEL: Final = frozenset({Role.VILLAGE_TEAM, Role.TOWN})
TOWN_LEVEL: Final = frozenset({Role.TOWN})
COUNTY_LEVEL: Final = frozenset({Role.COUNTY_OFFICE})


@dataclass(frozen=True)
class Step:
    """Who acts at a step of the procedure, and its deadline (a policy key, counted in the policy's calendar
    or working days from the day the step began — or from the case's opening when ``from_opening``)."""

    roles: frozenset[str]
    deadline: str
    from_opening: bool = False
    # The earlier steps this step's actor may send the case back to, with a reason.
    returns_to: tuple[str, ...] = ()


# The procedure, declared once (DESIGN §4.4). The village notice's "deadline" is its minimum length: the
# notice cannot close earlier, and the village forwards the case on the day it ends.
STEPS: Final[dict[str, Step]] = {
    CaseState.APPLICATION: Step(VILLAGE_LEVEL, "deadline.home_check", from_opening=True),
    CaseState.HOME_CHECK: Step(
        VILLAGE_LEVEL, "deadline.home_check", from_opening=True, returns_to=(CaseState.APPLICATION,)
    ),
    CaseState.DATA_COMPARISON: Step(
        VILLAGE_LEVEL, "deadline.info_comparison", returns_to=(CaseState.HOME_CHECK,)
    ),
    CaseState.VILLAGE_APPRAISAL: Step(
        VILLAGE_LEVEL, "deadline.village_appraisal", returns_to=(CaseState.HOME_CHECK,)
    ),
    CaseState.VILLAGE_NOTICE: Step(
        VILLAGE_LEVEL, "deadline.village_notice", returns_to=(CaseState.HOME_CHECK,)
    ),
    CaseState.TOWN_REVIEW: Step(
        TOWN_LEVEL, "deadline.town_review", returns_to=(CaseState.HOME_CHECK, CaseState.VILLAGE_APPRAISAL)
    ),
    CaseState.COUNTY_APPROVAL: Step(
        COUNTY_LEVEL, "deadline.county_approval", returns_to=(CaseState.HOME_CHECK, CaseState.TOWN_REVIEW)
    ),
    CaseState.ANNOUNCEMENT: Step(
        TOWN_LEVEL, "deadline.announcement", returns_to=(CaseState.COUNTY_APPROVAL,)
    ),
    # Elimination: any step may send the proposal back (the household stays monitored).
    CaseState.ELIMINATION_APPRAISAL: Step(
        VILLAGE_LEVEL, "deadline.village_appraisal", returns_to=(CaseState.MONITORED,)
    ),
    CaseState.ELIMINATION_NOTICE: Step(
        VILLAGE_LEVEL, "deadline.village_notice", returns_to=(CaseState.MONITORED,)
    ),
    CaseState.ELIMINATION_TOWN_REVIEW: Step(
        TOWN_LEVEL, "deadline.town_review", returns_to=(CaseState.MONITORED,)
    ),
    CaseState.ELIMINATION_COUNTY_APPROVAL: Step(
        COUNTY_LEVEL, "deadline.county_approval", returns_to=(CaseState.MONITORED,)
    ),
}
OPEN_STATES: Final = frozenset(STEPS)
ELIMINATION_STATES: Final = frozenset(
    {
        CaseState.ELIMINATION_APPRAISAL,
        CaseState.ELIMINATION_NOTICE,
        CaseState.ELIMINATION_TOWN_REVIEW,
        CaseState.ELIMINATION_COUNTY_APPROVAL,
    }
)
IDENTIFICATION_STATES: Final = OPEN_STATES - ELIMINATION_STATES
# A case that has ended: a new lead for the household opens a new case (re-entry keeps the history).
ENDED_STATES: Final = frozenset({CaseState.NOT_INCLUDED, CaseState.ELIMINATED})
RETURN_TARGETS: Final = sorted({target for step in STEPS.values() for target in step.returns_to})
# Every step until the county's decision may end a case as not included (不予纳入), by its actor with a
# reason: the applicant declines to sign, the check or the comparison shows no difficulty, the meeting or an
# upheld objection finds the household ineligible, the town or the county rejects it.
REJECTING_STEPS: Final = tuple(
    state for state in STEPS if state in IDENTIFICATION_STATES and state != CaseState.ANNOUNCEMENT
)


def may_propose_elimination(case: models.Model, user: Any) -> bool:
    """The village team or the town proposes ending a monitored household's monitoring."""
    return (
        isinstance(case, MonitoringCase)
        and reads_business_data(user)
        and getattr(user, "role", None) in VILLAGE_LEVEL
        and code_visible_to(user, case.region_code)
    )


def may_roll_back(case: models.Model, user: Any) -> bool:
    """The county rolls back an elimination found unstable (风险消除回退)."""
    return (
        isinstance(case, MonitoringCase)
        and reads_business_data(user)
        and getattr(user, "role", None) in COUNTY_LEVEL
        and code_visible_to(user, case.region_code)
    )


def may_act(case: models.Model, user: Any) -> bool:
    """Whether ``user`` acts at the case's current step: the step's role, and the case in the user's scope
    (the transitions' permission)."""
    if not isinstance(case, MonitoringCase):
        return False
    step = STEPS.get(case.state)
    return (
        step is not None
        and reads_business_data(user)
        and getattr(user, "role", None) in step.roles
        and code_visible_to(user, case.region_code)
    )


class MonitoringCaseQuerySet(ScopedQuerySet["MonitoringCase"]):
    def open(self) -> MonitoringCaseQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, on: dt.date) -> MonitoringCaseQuerySet:
        """Open cases whose current step, or the whole identification, is past its deadline on ``on``."""
        return self.open().filter(late_q(on))


def late_q(on: dt.date) -> models.Q:
    """A case is late on ``on`` when its step is past due, or its identification past the overall limit."""
    return models.Q(state__in=OPEN_STATES, step_due_on__lt=on) | models.Q(
        state__in=IDENTIFICATION_STATES, due_on__lt=on
    )


class MonitoringCase(ConcurrentTransitionMixin, models.Model):
    """One household's identification as a monitoring object (防止返贫监测对象), and then its monitoring."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="cases", db_index=False)
    lead = models.OneToOneField(Lead, on_delete=models.PROTECT, related_name="case")
    region_code = models.CharField(_("所在村"), max_length=12)
    state = FSMField(
        _("环节"), max_length=32, choices=CaseState.choices, default=CaseState.APPLICATION, protected=True
    )
    opened_on = models.DateField(_("受理日期"))
    # The whole procedure's limit (deadline.identification from the opening).
    due_on = models.DateField(_("办结期限"))
    step_started_on = models.DateField(_("本环节开始日期"))
    # The day the case was last sent back: the steps counted from the opening count from here instead.
    restarted_on = models.DateField(_("退回重办日期"), null=True, blank=True)
    step_due_on = models.DateField(_("本环节期限"), null=True, blank=True)
    # A due date that counted working days in a year without an official calendar yet (暂定).
    due_provisional = models.BooleanField(default=False)
    risk_types = models.JSONField(_("风险类型"), default=list)
    category = models.CharField(_("监测对象类别"), max_length=20, choices=Category.choices, blank=True)
    no_labour = models.BooleanField(_("整户无劳动力"), default=False)
    # The village notice: its first day, and the first day the case may leave it.
    notice_starts_on = models.DateField(_("公示开始日期"), null=True, blank=True)
    notice_ends_on = models.DateField(_("公示结束日期"), null=True, blank=True)
    monitored_from = models.DateField(_("纳入监测日期"), null=True, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    elimination_method = models.CharField(
        _("风险消除方式"), max_length=16, choices=EliminationMethod.choices, blank=True
    )
    eliminated_on = models.DateField(_("风险消除日期"), null=True, blank=True)
    # 帮扶联系人: the cadre who visits the household (RULES §9.3).
    contact_cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_cases",
        verbose_name=_("帮扶联系人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = MonitoringCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测对象识别")
        verbose_name_plural = _("监测对象识别")
        constraints: ClassVar = [
            # One case at a time per household; a case not included or eliminated has ended, and a new lead
            # may open another (re-entry).
            models.UniqueConstraint(
                fields=["household"],
                condition=~models.Q(state__in=[CaseState.NOT_INCLUDED, CaseState.ELIMINATED]),
                name="monitoring_case_one_open",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["region_code", "state", "step_due_on"], name="monitoring_case_board"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} {self.household_id}"

    def step_late(self, on: dt.date) -> bool:
        return self.state in OPEN_STATES and self.step_due_on is not None and self.step_due_on < on

    def identification_late(self, on: dt.date) -> bool:
        return self.state in IDENTIFICATION_STATES and self.due_on < on

    def is_late(self, on: dt.date) -> bool:
        """The same test as ``late_q``, on one case."""
        return self.step_late(on) or self.identification_late(on)

    # --- the transitions (declared once; the services in monitoring.identification call them) ------------

    @transition(field=state, source=CaseState.APPLICATION, target=CaseState.HOME_CHECK, permission=may_act)
    def sign_application(self) -> None:
        """申请及承诺授权: the application and pledge signed (or signed by a recorded proxy)."""

    @transition(
        field=state, source=CaseState.HOME_CHECK, target=CaseState.DATA_COMPARISON, permission=may_act
    )
    def record_home_check(self) -> None:
        """入户核查 done: members, income over the window, 三保障 and water, risk types."""

    @transition(
        field=state, source=CaseState.DATA_COMPARISON, target=CaseState.VILLAGE_APPRAISAL, permission=may_act
    )
    def compare_data(self) -> None:
        """信息比对: department and asset data compared; results attached."""

    @transition(
        field=state, source=CaseState.VILLAGE_APPRAISAL, target=CaseState.VILLAGE_NOTICE, permission=may_act
    )
    def record_appraisal(self) -> None:
        """民主评议 held (minutes, attendees); the village notice starts."""

    @transition(
        field=state, source=CaseState.VILLAGE_NOTICE, target=CaseState.TOWN_REVIEW, permission=may_act
    )
    def close_notice(self) -> None:
        """村内公示 over (objections recorded); to the town."""

    @transition(
        field=state, source=CaseState.TOWN_REVIEW, target=CaseState.COUNTY_APPROVAL, permission=may_act
    )
    def town_approve(self) -> None:
        """乡镇审核 passed."""

    @transition(
        field=state, source=CaseState.COUNTY_APPROVAL, target=CaseState.ANNOUNCEMENT, permission=may_act
    )
    def county_approve(self) -> None:
        """县级审定: category, risk types and the no-labour flag confirmed."""

    @transition(field=state, source=CaseState.ANNOUNCEMENT, target=CaseState.MONITORED, permission=may_act)
    def announce(self) -> None:
        """结果公告 posted: the household is monitored."""

    @transition(
        field=state,
        source=[state for state, step in STEPS.items() if step.returns_to],
        target=GET_STATE(lambda case, to: to, states=RETURN_TARGETS),
        permission=may_act,
    )
    def send_back(self, to: str) -> None:
        """Back to an earlier step (``STEPS[state].returns_to``), with a reason."""

    @transition(field=state, source=list(REJECTING_STEPS), target=CaseState.NOT_INCLUDED, permission=may_act)
    def reject(self) -> None:
        """不予纳入, with a reason."""

    # --- risk elimination (RULES §8) ------------------------------------------------------------------

    @transition(
        field=state,
        source=CaseState.MONITORED,
        target=CaseState.ELIMINATION_APPRAISAL,
        permission=may_propose_elimination,
    )
    def propose_elimination(self) -> None:
        """风险消除: proposed with the conditions checked (or as natural elimination with a reason)."""

    @transition(
        field=state,
        source=CaseState.ELIMINATION_APPRAISAL,
        target=CaseState.ELIMINATION_NOTICE,
        permission=may_act,
    )
    def record_elimination_appraisal(self) -> None:
        """民主评议 agreed to the elimination; its notice starts."""

    @transition(
        field=state,
        source=CaseState.ELIMINATION_NOTICE,
        target=CaseState.ELIMINATION_TOWN_REVIEW,
        permission=may_act,
    )
    def close_elimination_notice(self) -> None:
        """消除公示 over (objections recorded); to the town."""

    @transition(
        field=state,
        source=CaseState.ELIMINATION_TOWN_REVIEW,
        target=CaseState.ELIMINATION_COUNTY_APPROVAL,
        permission=may_act,
    )
    def town_accept_elimination(self) -> None:
        """乡镇审核（验收） passed."""

    @transition(
        field=state,
        source=CaseState.ELIMINATION_COUNTY_APPROVAL,
        target=CaseState.ELIMINATED,
        permission=may_act,
    )
    def approve_elimination(self) -> None:
        """县级审定: the risk is eliminated (announced); the household's record stays and is kept updated."""

    @transition(
        field=state, source=CaseState.ELIMINATED, target=CaseState.MONITORED, permission=may_roll_back
    )
    def roll_back_elimination(self) -> None:
        """风险消除回退: an elimination found unstable is undone; the household is monitored again."""


class CaseEventQuerySet(ScopedQuerySet["CaseEvent"]):
    pass


class CaseEvent(models.Model):
    """One step of a case's timeline: who did what, when, why, with the step's record."""

    case = models.ForeignKey(MonitoringCase, on_delete=models.PROTECT, related_name="events")
    region_code = models.CharField(_("所在村"), max_length=12)
    action = models.CharField(_("操作"), max_length=32)
    from_state = models.CharField(_("原环节"), max_length=32, choices=CaseState.choices, blank=True)
    to_state = models.CharField(_("新环节"), max_length=32, choices=CaseState.choices)
    on = models.DateField(_("办理日期"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    # What the step recorded (home-check findings, minutes and attendees, objections, comparison results …).
    record = models.JSONField(_("记录"), default=dict)
    attachment = models.FileField(_("附件"), upload_to="cases/%Y/%m/", blank=True, storage=private_storage)
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("识别环节记录")
        verbose_name_plural = _("识别环节记录")
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class NoticeKind(models.TextChoices):
    IDENTIFICATION = "identification", _("防止返贫监测对象识别公示")
    ANNOUNCEMENT = "announcement", _("防止返贫监测对象认定公告")
    ELIMINATION = "elimination", _("防止返贫监测对象风险消除公示")
    ELIMINATION_ANNOUNCEMENT = "elimination_announcement", _("防止返贫监测对象风险消除公告")


class Notice(models.Model):
    """A public notice posted in a village (公示 after the appraisal, 公告 of the result): a snapshot taken
    when it is issued, published online and printed for the village wall. Immutable (DESIGN §4.7): its rows
    are written on its day of issue and never edited; a closed notice stays in the public archive."""

    region_code = models.CharField(_("所在村"), max_length=12)
    kind = models.CharField(_("类型"), max_length=32, choices=NoticeKind.choices)
    starts_on = models.DateField(_("公示开始日期"))
    # The first day after the notice period (a 公示 may close on it); an announcement's posting period.
    ends_on = models.DateField(_("公示期满日期"))
    issuer = models.CharField(_("发布单位"), max_length=100)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公示公告")
        verbose_name_plural = _("公示公告")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["region_code", "kind", "starts_on"], name="monitoring_notice_once"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["region_code", "ends_on"], name="monitoring_notice_village")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on:%Y-%m-%d}"


class NoticeEntry(models.Model):
    """One household on a notice, with only what may be published (``core.masking.PUBLIC_NOTICE_FIELDS``)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="entries")
    case = models.ForeignKey(MonitoringCase, on_delete=models.PROTECT, related_name="notice_entries")
    group = models.CharField(_("村民小组"), max_length=50, blank=True)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    household_size = models.PositiveSmallIntegerField(_("家庭人口数"))
    category = models.CharField(_("监测对象类别"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("公示对象")
        verbose_name_plural = _("公示对象")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["notice", "case"], name="monitoring_notice_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.head_name}"


class MeasureCategory(models.Model):
    """The catalogue of assistance measures (RULES §9.2, the national codes 100A39…), with the risk types each
    category answers ("缺什么补什么"). Data: seeded from RULES, changed without code."""

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("帮扶措施类别"), max_length=50)
    # The risk types this category answers; a plan covers a case's risk when a measure's category lists it.
    risk_types = models.JSONField(_("对应风险类型"), default=list)
    # Development measures need labour capacity (开发式帮扶); protective ones do not (保障性措施), RULES §9.1.
    developmental = models.BooleanField(_("开发式帮扶"), default=False)

    class Meta:
        verbose_name = _("帮扶措施类别")
        verbose_name_plural = _("帮扶措施类别")
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return self.name


class MeasureQuerySet(ScopedQuerySet["Measure"]):
    pass


class Measure(models.Model):
    """One measure of a household's assistance plan (一户一策): what, who is responsible, when, how much, and
    the evidence that it was delivered."""

    case = models.ForeignKey(MonitoringCase, on_delete=models.PROTECT, related_name="measures")
    region_code = models.CharField(_("所在村"), max_length=12)
    category = models.ForeignKey(
        MeasureCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("类别")
    )
    description = models.CharField(_("措施内容"), max_length=200)
    responsible_unit = models.CharField(_("责任单位"), max_length=100)
    responsible_person = models.CharField(_("责任人"), max_length=50)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    evidence = models.CharField(_("落实情况"), max_length=500, blank=True)
    evidence_file = models.FileField(
        _("佐证材料"), upload_to="measures/%Y/%m/", blank=True, storage=private_storage
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="monitoring_measure_period",
            )
        ]

    def __str__(self) -> str:
        return self.description


class IncomeChange(models.TextChoices):
    NONE = "none", _("无明显变化")
    UP = "up", _("增加")
    DOWN = "down", _("减少")


class VisitQuerySet(ScopedQuerySet["Visit"]):
    pass


class Visit(models.Model):
    """走访: a cadre's visit to a monitored household, logged from a phone — a quick checklist, a note, a
    photo and optionally where it was taken. ``client_id`` is made by the phone when the form is filled, so
    that a visit sent again after a failed send is stored once."""

    case = models.ForeignKey(MonitoringCase, on_delete=models.PROTECT, related_name="visits")
    region_code = models.CharField(_("所在村"), max_length=12)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(_("走访日期"))
    # The basic needs as seen on the day (两不愁三保障 and water): need -> secured.
    needs_met = models.JSONField(_("两不愁三保障及饮水"), default=dict)
    income_change = models.CharField(
        _("收入变化"), max_length=8, choices=IncomeChange.choices, default=IncomeChange.NONE
    )
    new_risk = models.BooleanField(_("发现新风险"), default=False)
    note = models.CharField(_("走访情况"), max_length=500, blank=True)
    photo = models.ImageField(_("走访照片"), upload_to="visits/%Y/%m/", blank=True, storage=private_storage)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    client_id = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes: ClassVar = [models.Index(fields=["case", "on"], name="monitoring_visit_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.on:%Y-%m-%d}"


class OverdueDigestQuerySet(ScopedQuerySet["OverdueDigest"]):
    pass


class OverdueDigest(models.Model):
    """The daily digest of late work for one town or county (``monitoring.digest``): the cases whose step or
    identification is past due and the reported leads not accepted in time, as of its day. Rebuilt by the
    morning job; each day's digest stays (what was late when)."""

    region_code = models.CharField(_("区划"), max_length=12)
    on = models.DateField(_("日期"))
    late_cases = models.PositiveIntegerField(_("逾期案件"), default=0)
    late_leads = models.PositiveIntegerField(_("逾期未受理线索"), default=0)
    by_step = models.JSONField(_("各环节逾期数"), default=dict)
    items = models.JSONField(_("逾期清单"), default=list)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    objects = OverdueDigestQuerySet.as_manager()

    class Meta:
        verbose_name = _("逾期通报")
        verbose_name_plural = _("逾期通报")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["region_code", "on"], name="monitoring_digest_day")
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.on:%Y-%m-%d}"
