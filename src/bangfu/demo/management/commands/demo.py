"""``bangfu demo``: migrate, load the demo city, create the demo accounts, then serve with a worker."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.accounts.models import ADMIN_ROLES
from bangfu.demo.guard import DemoRefused, check_demo_database
from bangfu.demo.services import DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into SystemExit so the `finally` below stops the worker too.
    raise SystemExit(0)


class Command(BaseCommand):
    help = "准备演示数据（安康市）并启动服务：http://127.0.0.1:8000"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="服务地址（默认 127.0.0.1:8000）")
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
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for user in result.accounts:
            scope = user.region.name if user.region else "—"
            note = "（首次登录需绑定动态口令）" if user.role in ADMIN_ROLES else ""
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
