"""``bangfu demo``: migrate, load the demo city and its synthetic population, create the demo accounts,
then serve with a worker."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bangfu.accounts.models import ADMIN_ROLES, User
from bangfu.demo.cases import seed_demo_cases
from bangfu.demo.departments import load_department_data
from bangfu.demo.guard import DemoRefused, check_demo_database
from bangfu.demo.rectification import seed_demo_problems
from bangfu.demo.services import (
    DEFAULT_HOUSEHOLDS,
    DEFAULT_SEED,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    PopulationRefused,
    build_demo,
    existing_population,
    load_population,
)
from bangfu.monitoring.screening import ScreeningError, screen

PROGRESS_STEPS = 10  # progress lines printed during a large load


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into SystemExit so the `finally` below stops the worker too.
    raise SystemExit(0)


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "准备演示数据（安康市）并启动服务：http://127.0.0.1:8000"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="服务地址（默认 127.0.0.1:8000）")
        parser.add_argument(
            "--households",
            type=_non_negative,
            default=None,
            help=f"生成的演示农户数（默认 {DEFAULT_HOUSEHOLDS:,}；0 表示不生成农户）",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help=f"随机种子：相同种子生成相同数据（默认 {DEFAULT_SEED}）"
        )
        parser.add_argument("--workers", type=int, default=2, help="生成数据的进程数（默认 2）")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")
        parser.add_argument(
            "--allow-non-sqlite", action="store_true", help="允许写入非 SQLite 数据库（仅限测试库）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            check_demo_database(
                demo_usernames={a.username for a in DEMO_ACCOUNTS},
                allow_non_sqlite=options["allow_non_sqlite"],
            )
        except DemoRefused as exc:
            raise CommandError(str(exc), returncode=1) from exc
        call_command("migrate", interactive=False, verbosity=0)
        result = build_demo()
        database = settings.DATABASES["default"]["NAME"]
        self.stdout.write(f"演示区域：安康市，{result.regions.total} 个区划（数据库 {database}）")
        self._population(options)
        self._departments()
        self._cases()
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for user in result.accounts:
            scope = user.region.name if user.region else "—"
            note = "（首次登录需绑定动态口令）" if user.role in ADMIN_ROLES else ""
            if user.may_reveal_personal_data:
                note += "（可查看完整身份证号码和电话）"
            self.stdout.write(f"  {user.username:16s} {user.get_role_display():8s} {scope}{note}")
        if options["no_serve"]:
            return
        # The worker runs beside the server so background jobs work in the demo as in production.
        worker = subprocess.Popen([sys.executable, "-m", "bangfu.cli", "worker", "--no-reload"])
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            self.stdout.write(f"打开 http://{options['addr']}/ 登录")
            call_command("runserver", options["addr"], use_reloader=False, insecure_serving=True)
        finally:
            worker.terminate()
            worker.wait(timeout=10)

    def _departments(self) -> None:
        """Last month's department uploads for the population, and a screening run over them (once)."""
        if existing_population() is None:
            return
        today = timezone.localdate()
        data = load_department_data(on=today, uploader=User.objects.get(username="demo_city"))
        if not data.created:
            return
        try:
            run, _results = screen(on=today)
        except ScreeningError as exc:
            self.stdout.write(f"部门数据：{data.records:,} 条；未能筛查：{exc}")
            return
        self.stdout.write(
            f"部门数据：{data.versions} 个部门上传，{data.records:,} 条；"
            f"筛查生成预警线索 {run.created_warnings:,} 条"
        )

    def _cases(self) -> None:
        """A few households of the demo village along the identification procedure (once)."""
        if existing_population() is None:
            return
        made = seed_demo_cases(on=timezone.localdate())
        if made.cases:
            self.stdout.write(f"监测对象识别：演示村 {made.cases} 户在办，{made.leads} 条农户自主申报待受理")
        problems = seed_demo_problems(on=timezone.localdate())
        if problems:
            self.stdout.write(f"排查清零：演示乡镇 {problems} 个整改问题（红、黄、绿各有）")

    def _population(self, options: dict[str, Any]) -> None:
        next_report = [0]

        def progress(done: int, total: int) -> None:
            # A line every tenth, so a long load shows that it is moving.
            if done >= next_report[0] and total >= 100_000:
                self.stdout.write(f"  已生成 {done:,} / {total:,} 户")
                next_report[0] = done + total // PROGRESS_STEPS

        try:
            result = load_population(
                households=options["households"],
                seed=options["seed"],
                year=timezone.localdate().year,
                workers=options["workers"],
                progress=progress,
            )
        except PopulationRefused as exc:
            raise CommandError(str(exc), returncode=1) from exc
        population = result.population
        if not population.households:
            self.stdout.write("演示人口：未生成（--households 0）")
        elif result.created:
            self.stdout.write(
                f"演示人口：{population.households:,} 户，{population.members:,} 人"
                f"（随机种子 {population.seed}，{population.year} 年，用时 {result.seconds:.0f} 秒）"
            )
        else:
            self.stdout.write(
                f"演示人口已存在：{population.households:,} 户，{population.members:,} 人"
                f"（随机种子 {population.seed}，{population.year} 年），不再重复生成"
            )
