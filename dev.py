#!/usr/bin/env python3
"""Set-up entry point used by the README: ``python3 dev.py demo`` and ``python3 dev.py test``.

Needs only Python 3.11+. Creates ``.venv`` beside this file, installs the pinned dependencies from
``requirements/*.lock`` (again only when a lock file changed), then:

- ``demo``: migrates an SQLite database under ``var/``, loads the demo city 安康市 and serves it at
  http://127.0.0.1:8000 with a background worker, printing the demo accounts;
- ``test``: runs the whole test suite (extra arguments go to pytest). Browser tests drive Debian's chromium;
  when it is missing and we are root on Debian, it is installed with apt-get.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
LOCKS = {"demo": ROOT / "requirements" / "base.lock", "test": ROOT / "requirements" / "dev.lock"}
BROWSER_PACKAGES = ["chromium", "fonts-noto-cjk"]


def run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]  # noqa: S603


def ensure_venv_support() -> None:
    """Debian splits venv's pip bootstrap into the python3-venv package; install it when we can."""
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        apt = shutil.which("apt-get")
        if not (apt and os.geteuid() == 0):
            sys.exit(
                "缺少 Python 的 venv/ensurepip 模块：请先执行 `sudo apt-get install -y python3-venv`"
                " (python3-venv is required)"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run([apt, "update", "-qq"], env=env)
        run([apt, "install", "-y", "-qq", "python3-venv"], env=env)


def ensure_venv(lock: Path) -> None:
    if not (BIN / "pip").exists():
        ensure_venv_support()
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except Exception:
            # A half-built .venv would make every later run skip creation and fail on a missing pip.
            shutil.rmtree(VENV, ignore_errors=True)
            raise
    stamp = VENV / f".installed-{lock.stem}"
    digest = hashlib.sha256(lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "install", "-q"]
    run([*pip, "-r", str(lock)])
    run([*pip, "--no-deps", "-e", str(ROOT)])
    stamp.write_text(digest)


def ensure_browser() -> None:
    """Debian's chromium and a CJK font for the Playwright tests (their own browser download is not used)."""
    if Path("/usr/bin/chromium").exists() and Path("/usr/share/fonts/opentype/noto").exists():
        return
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run([apt, "update", "-qq"], env=env)
        run([apt, "install", "-y", "-qq", *BROWSER_PACKAGES], env=env)
        return
    sys.exit(
        "浏览器测试需要 Debian 的 chromium 和 fonts-noto-cjk：请以 root 运行或先执行 "
        "`sudo apt-get install -y chromium fonts-noto-cjk`"
    )


def main(argv: list[str]) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs under whatever python3 the user has
        sys.exit("需要 Python 3.11 或更高版本 (Python 3.11+ is required)")
    if not argv or argv[0] not in LOCKS:
        sys.exit("用法: python3 dev.py demo | python3 dev.py test [pytest 参数]")
    action, rest = argv[0], argv[1:]
    ensure_venv(LOCKS[action])
    if action == "demo":
        os.chdir(ROOT)  # the SQLite database and generated keys go to var/ beside this file
        os.execv(str(BIN / "bangfu"), [str(BIN / "bangfu"), "demo", *rest])  # noqa: S606
    ensure_browser()
    result = subprocess.run([str(BIN / "pytest"), *rest], cwd=ROOT, check=False)  # noqa: S603
    sys.exit(result.returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
