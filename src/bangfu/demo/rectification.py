"""Demo problems (排查清零): a county's list of inspection findings issued to the demo town's villages, in
every colour — solved and closed, in progress, awaiting verification, rejected, late, never started — plus a
problem fixed on the spot, all inside a campaign with its clearance date. Made through the services a
county clerk and a village team use, dated in the recent past; made once (nothing when problems exist)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from bangfu.accounts.models import User
from bangfu.audit import events
from bangfu.rectification import services
from bangfu.rectification.models import Campaign, Problem, ProblemCategory, ProblemSource
from bangfu.regions.models import Region

# (category, description, measure, responsible unit, deadline in days from today, what happens)
FINDINGS = (
    (
        "housing",
        "三组一户住房鉴定为C级，未纳入危房改造",
        "纳入年度危房改造计划并开工",
        "乡镇规划建设办",
        10,
        "closed",
    ),
    ("water", "二组集中供水点冬季管道冻裂，供水不稳定", "更换管道并包裹保温层", "村委会", 20, "awaiting"),
    ("education", "一名义务教育阶段学生长期请假未返校", "劝返复学，落实送教上门", "中心学校", -2, "late"),
    ("medical", "两户未参加城乡居民基本医疗保险", "动员参保并落实资助参保政策", "乡镇医保站", 15, "rejected"),
    ("income", "监测户务工收入未及时更新", "入户核实收入并更新信息", "驻村工作队", -1, "idle"),
    ("records", "帮扶手册填写不完整、前后不一致", "逐户核对并补全帮扶手册", "驻村工作队", 25, "progress"),
    ("policy", "公益性岗位人员考勤记录缺失", "建立考勤台账，按月公示", "村委会", 30, "progress"),
)
# The inspection found them a month ago; the county issued its list three days ago (as far back as the demo
# policy lets work be entered late, rectification.backdate_days), and the work since is dated inside it.
FOUND_DAYS_AGO = 30
ISSUED_DAYS_AGO = 3


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 140, 70)).save(buffer, format="JPEG")
    return SimpleUploadedFile("整改照片.jpg", buffer.getvalue(), content_type="image/jpeg")


def seed_demo_problems(*, on: dt.date) -> int:
    """The demo's problems (see the module docstring); returns how many were made."""
    if Problem.objects.exists() or not ProblemCategory.objects.exists():
        return 0
    county = User.objects.filter(username="demo_county").first()
    town = User.objects.filter(username="demo_town").first()
    village = User.objects.filter(username="demo_village").first()
    if county is None or town is None or village is None or village.region is None or town.region is None:
        return 0
    villages = list(
        Region.objects.filter(parent=town.region).order_by("code").values_list("code", flat=True)[:4]
    )
    if village.region_id not in villages:
        villages[0] = str(village.region_id)
    found, issued = on - dt.timedelta(days=FOUND_DAYS_AGO), on - dt.timedelta(days=ISSUED_DAYS_AGO)
    categories = {c.code: c for c in ProblemCategory.objects.all()}
    made = 0
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=f"{on.year}年防返贫集中排查",
            region_code=str(county.region_id),
            starts_on=found - dt.timedelta(days=7),
            clearance_date=on + dt.timedelta(days=40),
            created_by=county,
        )
        events.created(
            actor=county, obj=campaign, after=events.snapshot(campaign, ("name", "clearance_date"))
        )
        problem_list = services.create_list(
            by=county,
            title=f"{on.year}年县级督查反馈问题清单",
            source=ProblemSource.SUPERVISION,
            issuing_office="汉滨区巩固拓展脱贫攻坚成果领导小组办公室",
            document_number=f"汉滨督〔{on.year}〕7号",
            campaign=campaign,
        )
        problems = []
        for number, (category, description, measure, unit, days, _fate) in enumerate(FINDINGS, start=1):
            problems.append(
                services.create_problem(
                    by=county,
                    on=found,
                    source=ProblemSource.SUPERVISION,
                    category=categories[category],
                    region_code=villages[number % len(villages)]
                    if category != "records"
                    else str(village.region_id),
                    description=description,
                    measure=measure,
                    responsible_unit=unit,
                    lead_unit="乡镇人民政府",
                    responsible_person="包村干部",
                    due_on=on + dt.timedelta(days=days),
                    campaign=campaign,
                    problem_list=problem_list,
                    ledger_number=str(number),
                )
            )
        services.issue_list(problem_list=problem_list, by=county, on=issued)
        worker = _worker(village, town)
        for problem, (_c, _d, _m, _u, _days, fate) in zip(problems, FINDINGS, strict=True):
            problem.refresh_from_db()
            by = worker(problem)
            if fate == "idle":
                continue
            day = issued + dt.timedelta(days=1)
            services.note_progress(
                problem=problem, by=by, on=day, note="已制定整改方案，落实责任人", evidence=[_photo()]
            )
            if fate in ("closed", "awaiting", "rejected"):
                day = issued + dt.timedelta(days=2)
                services.request_closure(
                    problem=problem, by=by, on=day, note="已整改到位", evidence=[_photo()]
                )
            # No one verifies their own request: the town verifies the village's, the county the town's.
            verifier = town if by == village else county
            if fate == "closed":
                services.close_problem(
                    problem=problem, by=verifier, on=day + dt.timedelta(days=1), note="现场核实，同意销号"
                )
            if fate == "rejected":
                services.reject_closure(
                    problem=problem,
                    by=verifier,
                    on=day + dt.timedelta(days=1),
                    reason="佐证材料不能说明已参保",
                )
        services.create_problem(
            by=village,
            on=on - dt.timedelta(days=3),
            source=ProblemSource.VISIT,
            category=categories["infrastructure"],
            region_code=str(village.region_id),
            description="走访发现村道路灯损坏两处",
            measure="当场联系电工更换",
            responsible_unit="村委会",
            due_on=on - dt.timedelta(days=3),
            fixed_on_the_spot=True,
            evidence=[_photo()],
        )
        made = len(problems) + 1
        services.recolour(on=on)
    return made


def _worker(village: User, town: User) -> Callable[[Problem], User]:
    """The demo village's team works on its own village's problems; the town on the others."""

    def pick(problem: Problem) -> User:
        return village if problem.region_code == str(village.region_id) else town

    return pick
