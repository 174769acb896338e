"""``bangfu demo``: migrate, load the demo city, create the demo accounts, then serve with a worker."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from bangfu.accounts.models import ADMIN_ROLES
from bangfu.demo.services import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "准备演示数据（安康市）并启动服务：http://127.0.0.1:8000"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="服务地址（默认 127.0.0.1:8000）")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    def handle(self, *args: Any, **options: Any) -> None:
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
        try:
            self.stdout.write(f"打开 http://{options['addr']}/ 登录")
            call_command("runserver", options["addr"], use_reloader=False, insecure_serving=True)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
