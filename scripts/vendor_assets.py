"""Copy the pinned front-end packages from node_modules/ into src/bangfu/static/vendor/.

The product needs no Node at run time: the built files and their licences are committed. To update a
package, change its version in package.json, then run ``npm install`` (or ``npm ci`` for the locked versions)
and ``npm run vendor`` (this script). ``npm run vendor:check`` (``--check``) compares the committed files with
what the installed packages would produce and exits 1 on any difference.

Each package lands in ``vendor/<dir>/`` with its licence files beside it. Trailing ``sourceMappingURL``
comments are removed because the maps are not shipped (a missing map breaks hashed static storage and
makes browsers request a file that does not exist). ``vendor/manifest.json`` records package, version,
licence and a SHA-256 of every shipped file; a test checks the files against it without needing Node.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR_DIR = ROOT / "src" / "bangfu" / "static" / "vendor"

# A trailing "/*# sourceMappingURL=x.map */" (CSS) or "//# sourceMappingURL=x.map" (JS) line.
SOURCE_MAP_COMMENT = re.compile(rb"\n?(/\*# sourceMappingURL=[^*]*\*/|//# sourceMappingURL=\S*)\s*$")


@dataclass(frozen=True)
class Copy:
    """One file of an npm package: ``source`` inside node_modules/<package>/, shipped as ``target``."""

    package: str
    source: str
    target: str


@dataclass(frozen=True)
class Vendored:
    """A vendored package: its directory under vendor/, the files shipped and the licences beside them."""

    package: str
    directory: str
    files: tuple[Copy, ...]
    licences: tuple[Copy, ...]


PACKAGES = (
    Vendored(
        package="bootstrap",
        directory="bootstrap",
        files=(
            Copy("bootstrap", "dist/css/bootstrap.min.css", "bootstrap.min.css"),
            # The bundle contains Popper (dropdowns, tooltips); its licence is shipped too.
            Copy("bootstrap", "dist/js/bootstrap.bundle.min.js", "bootstrap.bundle.min.js"),
        ),
        licences=(
            Copy("bootstrap", "LICENSE", "LICENSE"),
            Copy("@popperjs/core", "LICENSE.md", "LICENSE-popper.md"),
        ),
    ),
    Vendored(
        package="htmx.org",
        directory="htmx",
        files=(Copy("htmx.org", "dist/htmx.min.js", "htmx.min.js"),),
        licences=(Copy("htmx.org", "LICENSE", "LICENSE"),),
    ),
    Vendored(
        package="echarts",
        directory="echarts",
        files=(Copy("echarts", "dist/echarts.min.js", "echarts.min.js"),),
        # echarts.min.js bundles zrender (BSD-3-Clause) and tslib helpers (0BSD) and embeds parts of d3.
        licences=(
            Copy("echarts", "LICENSE", "LICENSE"),
            Copy("echarts", "NOTICE", "NOTICE"),
            Copy("echarts", "licenses/LICENSE-d3", "LICENSE-d3"),
            Copy("zrender", "LICENSE", "LICENSE-zrender"),
            Copy("tslib", "LICENSE.txt", "LICENSE-tslib.txt"),
        ),
    ),
)


def package_json(package: str) -> dict[str, str]:
    data = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
    return {"version": str(data["version"]), "license": str(data.get("license", ""))}


def shipped_bytes(copy: Copy, *, strip_source_map: bool) -> bytes:
    data = (NODE_MODULES / copy.package / copy.source).read_bytes()
    if strip_source_map and copy.target.endswith((".css", ".js")):
        data = SOURCE_MAP_COMMENT.sub(b"\n", data).rstrip(b"\n") + b"\n"
    return data


def expected_tree() -> tuple[dict[str, bytes], dict[str, dict[str, object]]]:
    """Every file under vendor/ as it should be (relative path -> bytes) and the manifest describing it."""
    files: dict[str, bytes] = {}
    manifest: dict[str, dict[str, object]] = {}
    for vendored in PACKAGES:
        meta = package_json(vendored.package)
        hashes: dict[str, str] = {}
        for copy in vendored.files:
            data = shipped_bytes(copy, strip_source_map=True)
            files[f"{vendored.directory}/{copy.target}"] = data
            hashes[copy.target] = hashlib.sha256(data).hexdigest()
        for copy in vendored.licences:
            files[f"{vendored.directory}/{copy.target}"] = shipped_bytes(copy, strip_source_map=False)
        manifest[vendored.directory] = {
            "package": vendored.package,
            "version": meta["version"],
            "license": meta["license"],
            "files": hashes,
            "licence_files": [copy.target for copy in vendored.licences],
        }
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    return files, manifest


def existing_tree() -> dict[str, bytes]:
    return {
        path.relative_to(VENDOR_DIR).as_posix(): path.read_bytes()
        for path in sorted(VENDOR_DIR.rglob("*"))
        if path.is_file()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when vendor/ differs")
    args = parser.parse_args(argv)
    if not NODE_MODULES.is_dir():
        sys.stderr.write("node_modules/ is missing: run `npm ci` in the repository root first.\n")
        return 2

    expected, manifest = expected_tree()
    current = existing_tree()
    if args.check:
        differing = sorted(p for p in expected if current.get(p) != expected[p])
        unexpected = sorted(set(current) - set(expected))
        for path in differing:
            sys.stdout.write(f"differs or missing: vendor/{path}\n")
        for path in unexpected:
            sys.stdout.write(f"not produced by the manifest: vendor/{path}\n")
        return 1 if differing or unexpected else 0

    # Replace the tree: files of a removed package or file must not linger.
    for path in set(current) - set(expected):
        (VENDOR_DIR / path).unlink()
    for relative, data in expected.items():
        target = VENDOR_DIR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for directory, entry in manifest.items():
        sys.stdout.write(f"vendor/{directory}: {entry['package']} {entry['version']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
