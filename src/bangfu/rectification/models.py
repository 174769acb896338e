"""Rectification to zero (排查清零, 三色管理): problems, ledgers, colours, closure, reports, escalation.

A ``Problem`` (问题) is one thing found wrong — by an inspection, an assessment, a self-check, a department's
warning, a resident or a visit — written down with its place (and household or member, when it concerns
one), the measure to fix it, its owners and its deadline. Problems arrive one by one from the screen or as a
``ProblemList`` (问题清单) imported from a ledger workbook; issuing (交办) a list puts its problems in the
inboxes of the units that own them.

The life of a problem is a state machine declared once, on the model (django-fsm): assigned → in progress →
awaiting verification → closed (销号), or back to returned when the verifier rejects the closure; a problem
fixed on the spot (立行立改) is created closed, with its evidence. Every step is a service in
``rectification.services`` that records a ``ProblemEvent`` (the problem's timeline) and an audit event.

The colour (三色) is computed as of a date from the dated facts and the policy's rule
(``rectification.colours``): green once closed; red when overdue, not started within the policy's days, or
its closure was rejected and not yet asked again; yellow otherwise. The colour last recorded is kept on the
problem so that its changes (变色) are events on the timeline too.

A ``WeeklyReport`` (清零周报) is an immutable snapshot per week, region and department; a correction is a new
version. A ``SupervisionOrder`` (督办单) and the further steps of the ladder — ``Escalation`` of kind
circular (通报), interview (约谈) or discipline referral (移交纪检) — name the problems they concern and
appear on those problems' timelines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Final

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from bangfu.accounts.models import Sector
from bangfu.core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from bangfu.core.storage import private_storage
from bangfu.regions.scoping import ScopedQuerySet, scope_q
from bangfu.registry.models import Household, Member

MAX_TEXT: Final = 2000


class ProblemSource(models.TextChoices):
    """Where a problem was found (RULES §10.2 问题来源)."""

    INSPECTION_FEEDBACK = "inspection_feedback", _("巡视巡察反馈")
    ASSESSMENT = "assessment", _("成效考核")
    SUPERVISION = "supervision", _("督查")
    UNANNOUNCED_VISIT = "unannounced_visit", _("暗访")
    SELF_CHECK = "self_check", _("自查")
    DEPARTMENT_WARNING = "department_warning", _("部门预警")
    PUBLIC_REPORT = "public_report", _("群众反映")
    VISIT = "visit", _("走访发现")


class Colour(models.TextChoices):
    """三色: the colour of a problem as of a date."""

    RED = "red", _("红")
    YELLOW = "yellow", _("黄")
    GREEN = "green", _("绿")


class ProblemState(models.TextChoices):
    DRAFT = "draft", _("待交办")
    ASSIGNED = "assigned", _("待整改")
    IN_PROGRESS = "in_progress", _("整改中")
    AWAITING_VERIFICATION = "awaiting_verification", _("待验收销号")
    RETURNED = "returned", _("验收未通过")
    CLOSED = "closed", _("已销号")


# The states in which a problem is still to be solved (counted as open on boards and in reports).
OPEN_STATES: Final = (
    ProblemState.ASSIGNED,
    ProblemState.IN_PROGRESS,
    ProblemState.AWAITING_VERIFICATION,
    ProblemState.RETURNED,
)


class VerifierLevel(models.TextChoices):
    """Who verifies a closure (复核销号): the level above the problem's place, the county for red items."""

    TOWN = "town", _("乡镇")
    COUNTY = "county", _("县区")
    CITY = "city", _("市")


class ProblemCategory(models.Model):
    """问题类别: a code table kept as data (收入, 住房, 饮水 …); seeded by a migration, extendable."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    # Problems of some categories are about a person's health (医疗): the public board and the wall poster
    # then show the category, place, owner, deadline and colour, never the description or the measure.
    public_details = models.BooleanField(
        _("公示问题描述"),
        default=True,
        help_text=_("否：该类问题上网公示和上墙时不显示问题描述和整改措施（如涉及个人健康信息）。"),
    )

    class Meta:
        ordering: ClassVar = ["sort_order", "code"]
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A drive with its own clearance date (e.g. “2026年集中排查”, 清零 by 2026-12-31). Every business user
    sees the campaigns (their problems stay scoped); ``region_code`` is the issuing region."""

    name = models.CharField(_("专项名称"), max_length=100)
    region_code = models.CharField(_("发起区域"), max_length=12)
    starts_on = models.DateField(_("开始日期"))
    clearance_date = models.DateField(_("清零时限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-starts_on", "id"]
        verbose_name = _("专项行动")
        verbose_name_plural = _("专项行动")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(clearance_date__gte=F("starts_on")), name="rectification_campaign_dates"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ListState(models.TextChoices):
    DRAFT = "draft", _("待交办")
    ISSUED = "issued", _("已交办")


class ProblemListQuerySet(ScopedQuerySet["ProblemList"]):
    # A list belongs to the region that issues it; the problems in it are scoped by their own places.
    shared_across_sectors = False


class ProblemList(models.Model):
    """问题清单: the problems of one inspection or drive, entered or imported together and issued (交办)
    together."""

    title = models.CharField(_("清单名称"), max_length=200)
    document_number = models.CharField(_("交办文号"), max_length=100, blank=True)
    source = models.CharField(_("问题来源"), max_length=24, choices=ProblemSource.choices)
    region_code = models.CharField(_("交办单位所在区域"), max_length=12)
    issuing_office = models.CharField(_("交办单位"), max_length=100)
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lists",
        verbose_name=_("专项"),
    )
    state = models.CharField(_("状态"), max_length=10, choices=ListState.choices, default=ListState.DRAFT)
    # The ledger import that filled the list, if any (its file's SHA-256 makes a re-import a no-op).
    import_run = models.ForeignKey(
        "registry.ImportRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    issued_on = models.DateField(_("交办日期"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ProblemListQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-id"]
        verbose_name = _("问题清单")
        verbose_name_plural = _("问题清单")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["region_code", "file_sha256"],
                condition=~Q(file_sha256=""),
                name="rectification_list_file_once",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProblemQuerySet(ScopedQuerySet["Problem"]):
    # A sector department sees the problems its sector is responsible for (谁主管谁负责).
    sector_field = "responsible_sector"

    def visible_to(self, user: Any) -> ProblemQuerySet:
        """The problems of the user's scope; a draft (not yet issued) only to the issuing region's users."""
        qs = super().visible_to(user)
        if not qs.query.is_empty():
            qs = qs.filter(
                ~Q(state=ProblemState.DRAFT) | scope_q("problem_list__region_code", user.scope_prefixes())
            )
        return qs  # type: ignore[return-value]

    def issued(self) -> ProblemQuerySet:
        return self.exclude(state=ProblemState.DRAFT)

    def open(self) -> ProblemQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def as_of(self, on: dt.date) -> ProblemQuerySet:
        """The problems that existed (were assigned) on ``on``."""
        return self.filter(assigned_on__lte=on)

    def with_colour(self, on: dt.date) -> ProblemQuerySet:
        """Annotate ``colour_then``: each problem's colour as of ``on`` (set-based, ``colour_expression``)."""
        return self.annotate(colour_then=colour_expression(on))


def last_verdict(on: dt.date) -> Subquery:
    """The kind of a problem's last closure request or rejection up to ``on`` (same day: the later one)."""
    return Subquery(
        ProblemEvent.objects.filter(
            problem=OuterRef("pk"),
            kind__in=(EventKind.CLOSURE_REQUESTED, EventKind.CLOSURE_REJECTED),
            on__lte=on,
        )
        .order_by("-on", "-id")
        .values("kind")[:1]
    )


def colour_expression(on: dt.date) -> Case:
    """三色 as of ``on``, the one definition (pages, reports, recolouring, ``Problem.colour_as_of``):

    green once closed (销号) by then; red when overdue (the deadline has passed), not started (no progress
    noted) by the day the policy allowed for starting, or its closure was rejected and not asked again
    since; yellow otherwise. Only the dated facts are read, so a past date gives the colour it had then.
    """
    return Case(
        When(closed_on__lte=on, then=Value(Colour.GREEN)),
        When(due_on__lt=on, then=Value(Colour.RED)),
        When(
            Q(start_due_on__lt=on) & (Q(started_on__isnull=True) | Q(started_on__gt=on)),
            then=Value(Colour.RED),
        ),
        # Only a problem ever rejected pays for the subquery (a CASE stops at its first true branch).
        When(
            rejection_count__gt=0,
            then=Case(
                When(Exact(last_verdict(on), EventKind.CLOSURE_REJECTED), then=Value(Colour.RED)),
                default=Value(Colour.YELLOW),
            ),
        ),
        default=Value(Colour.YELLOW),
        output_field=models.CharField(),
    )


class Problem(ConcurrentTransitionMixin, models.Model):
    """问题: one item of a rectification ledger (RULES §10.2), with its owners, deadline and state."""

    problem_list = models.ForeignKey(
        ProblemList,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name=_("问题清单"),
    )
    ledger_number = models.CharField(_("清单内编号"), max_length=30, blank=True)
    source = models.CharField(_("问题来源"), max_length=24, choices=ProblemSource.choices)
    category = models.ForeignKey(
        ProblemCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("问题类别")
    )
    # The place the problem belongs to: a village, a town or a county (its owners' scope).
    region_code = models.CharField(_("涉及区域"), max_length=12)
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
        db_index=False,
        verbose_name=_("涉及农户"),
    )
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
        db_index=False,
        verbose_name=_("涉及人员"),
    )
    description = models.TextField(_("问题描述"), max_length=MAX_TEXT)
    measure = models.TextField(_("整改措施"), max_length=MAX_TEXT, blank=True)
    lead_unit = models.CharField(_("牵头单位"), max_length=100, blank=True)
    responsible_unit = models.CharField(_("责任单位"), max_length=100)
    # A sector department responsible for the problem (谁主管谁负责): its users see it in their inbox.
    responsible_sector = models.CharField(
        _("责任行业部门"), max_length=32, choices=Sector.choices, blank=True
    )
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name=_("专项"),
    )
    found_on = models.DateField(_("发现日期"))
    # The day the problem was assigned (交办) to its owners: the clock starts here. None while a draft.
    assigned_on = models.DateField(_("交办日期"), null=True, blank=True)
    # Not started (no progress noted) after this day: red (policy rectification.start_within).
    start_due_on = models.DateField(_("启动整改期限"), null=True, blank=True)
    due_on = models.DateField(_("整改时限"))
    state = FSMField(_("状态"), max_length=24, choices=ProblemState.choices, default=ProblemState.ASSIGNED)
    fixed_on_the_spot = models.BooleanField(_("立行立改"), default=False)
    started_on = models.DateField(_("开始整改日期"), null=True, blank=True)
    closure_requested_on = models.DateField(_("申请销号日期"), null=True, blank=True)
    verifier_level = models.CharField(_("验收层级"), max_length=8, choices=VerifierLevel.choices, blank=True)
    rejection_count = models.PositiveSmallIntegerField(_("验收退回次数"), default=0)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The colour last recorded (by a step or the daily recolouring) and since when: the timeline's 变色.
    colour = models.CharField(_("颜色"), max_length=8, choices=Colour.choices, default=Colour.YELLOW)
    colour_since = models.DateField(_("变色日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        indexes: ClassVar = [
            models.Index(fields=["region_code", "state", "due_on"], name="rectification_problem_board"),
            models.Index(fields=["responsible_sector", "region_code"], name="rectification_problem_sect"),
            models.Index(fields=["assigned_on", "closed_on"], name="rectification_problem_days"),
            models.Index(fields=["household"], name="rectification_problem_hh"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["problem_list", "ledger_number"],
                condition=~Q(ledger_number=""),
                name="rectification_problem_ledger_number",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """The problem's number as printed (问题编号), stable for its whole life."""
        return f"ZG{self.pk:07d}" if self.pk else ""

    def colour_as_of(self, *, on: dt.date) -> Colour:
        """This problem's colour as of ``on``: the SQL definition evaluated for one row (one query)."""
        value = Problem.objects.filter(pk=self.pk).with_colour(on).values_list("colour_then", flat=True).get()
        return Colour(value)

    # --- the workflow (transitions are called by rectification.services only) --------------------------
    @transition(field=state, source=ProblemState.DRAFT, target=ProblemState.ASSIGNED)
    def assign(self) -> None:
        """交办: the problem reaches its owners' inbox."""

    @transition(
        field=state,
        source=(ProblemState.ASSIGNED, ProblemState.IN_PROGRESS, ProblemState.RETURNED),
        target=ProblemState.IN_PROGRESS,
    )
    def note_progress(self) -> None:
        """A progress note (整改进展); the first starts the work."""

    @transition(
        field=state,
        source=(ProblemState.ASSIGNED, ProblemState.IN_PROGRESS, ProblemState.RETURNED),
        target=ProblemState.AWAITING_VERIFICATION,
    )
    def request_closure(self) -> None:
        """申请销号: the owners say it is solved; the verifier checks."""

    @transition(field=state, source=ProblemState.AWAITING_VERIFICATION, target=ProblemState.CLOSED)
    def close(self) -> None:
        """销号: verified solved."""

    @transition(field=state, source=ProblemState.AWAITING_VERIFICATION, target=ProblemState.RETURNED)
    def reject_closure(self) -> None:
        """验收不通过: back to the owners with the reason."""


class EventKind(models.TextChoices):
    CREATED = "created", _("登记问题")
    ASSIGNED = "assigned", _("交办")
    FIXED_ON_THE_SPOT = "fixed_on_the_spot", _("立行立改")
    PROGRESS = "progress", _("整改进展")
    CLOSURE_REQUESTED = "closure_requested", _("申请销号")
    CLOSURE_REJECTED = "closure_rejected", _("验收退回")
    CLOSED = "closed", _("验收销号")
    COLOUR_CHANGED = "colour_changed", _("变色")
    SUPERVISION_ORDER = "supervision_order", _("下发督办单")
    SUPERVISION_REPLY = "supervision_reply", _("督办回复")
    CIRCULAR = "circular", _("通报")
    INTERVIEW = "interview", _("约谈")
    DISCIPLINE_REFERRAL = "discipline_referral", _("移交纪检")


class ProblemEvent(models.Model):
    """One line of a problem's timeline: who did what on which day, with a note and evidence."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    region_code = models.CharField(max_length=12)
    kind = models.CharField(_("事项"), max_length=24, choices=EventKind.choices)
    on = models.DateField(_("日期"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), max_length=MAX_TEXT, blank=True)
    colour_from = models.CharField(max_length=8, choices=Colour.choices, blank=True)
    colour_to = models.CharField(max_length=8, choices=Colour.choices, blank=True)
    # The escalation record or supervision order the event stands for (its number, for the timeline).
    reference = models.CharField(_("文号"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["on", "id"]
        verbose_name = _("问题事项")
        verbose_name_plural = _("问题事项")
        indexes: ClassVar = [
            models.Index(fields=["problem", "kind", "on"], name="rectification_event_kind"),
            models.Index(fields=["region_code", "kind", "on"], name="rectification_event_week"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on:%Y-%m-%d}"


class Evidence(models.Model):
    """A photo or file proving progress or a fix (整改佐证), encrypted at rest like every file of a
    household's life."""

    event = models.ForeignKey(ProblemEvent, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("佐证材料"), upload_to="rectification/%Y/%m/", storage=private_storage)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")

    def __str__(self) -> str:
        return self.original_name


# Both bases define as_manager with their own manager type; the combined one is what both promise.
class WeeklyReportQuerySet(  # type: ignore[override]
    AppendOnlyQuerySet["WeeklyReport"], ScopedQuerySet["WeeklyReport"]
):
    sector_field = "sector"

    def latest_versions(self) -> WeeklyReportQuerySet:
        newer = WeeklyReport.objects.filter(
            week=OuterRef("week"),
            region_code=OuterRef("region_code"),
            sector=OuterRef("sector"),
            version__gt=OuterRef("version"),
        )
        return self.exclude(models.Exists(newer))


class WeeklyReport(AppendOnlyModel):
    """清零周报: the figures of one ISO week for one region (and optionally one responsible department),
    frozen when made. A correction is a new version; earlier versions stay as they were."""

    week = models.CharField(_("周次"), max_length=8)  # ISO week, "2026-W48"
    week_start = models.DateField(_("周一"))
    week_end = models.DateField(_("周日"))
    region_code = models.CharField(_("区域"), max_length=12)
    sector = models.CharField(_("责任行业部门"), max_length=32, choices=Sector.choices, blank=True)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    figures = models.JSONField(_("数据"))
    reason = models.CharField(_("更正原因"), max_length=500, blank=True)
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = WeeklyReportQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-week_start", "region_code", "sector", "-version"]
        verbose_name = _("清零周报")
        verbose_name_plural = _("清零周报")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["week", "region_code", "sector", "version"], name="rectification_report_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.region_code} v{self.version}"


class OrderState(models.TextChoices):
    DRAFT = "draft", _("待签发")
    ISSUED = "issued", _("已签发")
    REPLIED = "replied", _("已回复")


class SupervisionOrderQuerySet(ScopedQuerySet["SupervisionOrder"]):
    # Seen by the recipient's region (and everyone above it, the issuer included).
    region_field = "recipient_region_code"
    sector_field = "recipient_sector"


class SupervisionOrder(models.Model):
    """督办单: a deadline-bound order to a unit about its overdue problems. Drafted by the daily job (or by
    hand), issued by a supervisor, answered by the unit."""

    number = models.CharField(_("督办单编号"), max_length=60, blank=True)
    region_code = models.CharField(_("签发区域"), max_length=12)
    issuing_office = models.CharField(_("督办单位"), max_length=100)
    recipient_unit = models.CharField(_("被督办单位"), max_length=100)
    recipient_region_code = models.CharField(_("被督办单位所在区域"), max_length=12)
    recipient_sector = models.CharField(
        _("被督办行业部门"), max_length=32, choices=Sector.choices, blank=True
    )
    problems = models.ManyToManyField(Problem, related_name="supervision_orders", verbose_name=_("督办问题"))
    reply_due_on = models.DateField(_("回复期限"), null=True, blank=True)
    reply_required = models.BooleanField(_("须书面回复"), default=True)
    state = models.CharField(_("状态"), max_length=8, choices=OrderState.choices, default=OrderState.DRAFT)
    drafted_on = models.DateField(_("拟稿日期"))
    issued_on = models.DateField(_("签发日期"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_on = models.DateField(_("回复日期"), null=True, blank=True)
    reply = models.TextField(_("回复内容"), max_length=MAX_TEXT, blank=True)
    # Set by the reply: until this day the order's problems that are still overdue are answered for; from
    # it on the daily job drafts a new order about them (回访: the unit is checked again).
    follow_up_on = models.DateField(_("复查日期"), null=True, blank=True)
    # The issued document, frozen at issue (the draft is rendered on demand).
    document = models.FileField(
        _("督办单文件"), upload_to="supervision/%Y/", storage=private_storage, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SupervisionOrderQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-drafted_on", "-id"]
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["number"], condition=~Q(number=""), name="rectification_order_number"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["recipient_region_code", "state"], name="rectification_order_inbox"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("督办单（待签发）"))


class EscalationKind(models.TextChoices):
    """The steps of the ladder after a supervision order (RULES §10.5)."""

    CIRCULAR = "circular", _("通报")
    INTERVIEW = "interview", _("约谈")
    DISCIPLINE_REFERRAL = "discipline_referral", _("移交纪检监察")


class EscalationQuerySet(ScopedQuerySet["Escalation"]):
    region_field = "unit_region_code"
    sector_field = "unit_sector"


class Escalation(models.Model):
    """通报 / 约谈 / 移交纪检: a record of one step of the ladder about a unit's late problems."""

    kind = models.CharField(_("类型"), max_length=24, choices=EscalationKind.choices)
    number = models.CharField(_("文号"), max_length=60, blank=True)
    region_code = models.CharField(_("作出单位所在区域"), max_length=12)
    issuing_office = models.CharField(_("作出单位"), max_length=100)
    unit = models.CharField(_("涉及单位"), max_length=100)
    unit_region_code = models.CharField(_("涉及单位所在区域"), max_length=12)
    unit_sector = models.CharField(_("涉及行业部门"), max_length=32, choices=Sector.choices, blank=True)
    # 约谈: the official interviewed (a public official acting in office, not a private person).
    person = models.CharField(_("约谈对象"), max_length=50, blank=True)
    on = models.DateField(_("日期"))
    text = models.TextField(_("内容"), max_length=MAX_TEXT)
    problems = models.ManyToManyField(Problem, related_name="escalations", verbose_name=_("涉及问题"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-on", "-id"]
        verbose_name = _("通报约谈记录")
        verbose_name_plural = _("通报约谈记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit}"
