"""The region picker: a chain of selects from the user's scope region down to the picked region.

The picker's whole state is one code, the picked region. From it the server renders one select per region
on the path from the user's scope root to the picked region (each listing that region's children, with the
next region on the path selected), plus one for the picked region's own children with "全部" selected. Picking
in any select asks ``regions:picker-children`` to render the picker again for the new code (htmx, no script
of ours). Only regions visible to the user are offered.

Every select carries the field's name and the last one's value is the picked code ("全部" of a region's
children has that region's code as value), so a form submits ``region=…`` several times and Django's
``QueryDict`` (``request.GET["region"]``, ``form.data``) reads the last one, which is the picked region.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bangfu.regions.codes import full_code, is_valid_code, parent_code, prefix_of
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to, reads_business_data


@dataclass(frozen=True)
class PickerLevel:
    """One select: the children of ``parent``; ``selected`` is a child's code, or ``parent.code`` for 全部."""

    parent: Region
    options: list[Region]
    selected: str


@dataclass(frozen=True)
class Picker:
    name: str
    root: Region | None
    picked: Region | None
    levels: list[PickerLevel]
    # Several scope roots (an inspection group's assigned counties): a first select switches between them.
    roots: list[Region] = field(default_factory=list)


def scope_root_codes(user: Any) -> list[str]:
    """The codes of the regions a business user's scope starts from (several for inspection groups); empty
    for users who read no business data."""
    if not reads_business_data(user):
        return []
    return [full_code(prefix) for prefix in user.scope_prefixes()]


def scope_root_code(user: Any) -> str | None:
    """The first scope root: where the picker starts when nothing is picked."""
    codes = scope_root_codes(user)
    return codes[0] if codes else None


def build_picker(*, user: Any, value: str | None, name: str = "region") -> Picker:
    """The picker for ``user`` with ``value`` picked (ignored unless a visible code; then the scope root).

    Two queries whatever the depth: the regions on the path (the scope root included), and their children.
    """
    root_codes = scope_root_codes(user)
    if not root_codes:
        return Picker(name=name, root=None, picked=None, levels=[])
    picked_code = value if value and is_valid_code(value) and code_visible_to(user, value) else root_codes[0]
    # The root is the scope region holding the picked code.
    root_code = next((c for c in root_codes if picked_code.startswith(prefix_of(c))), root_codes[0])
    path = _path(root_code, picked_code)
    on_path = {
        region.code: region
        for region in Region.objects.visible_to(user).filter(code__in={*path, *root_codes})
    }
    if root_code not in on_path:
        return Picker(name=name, root=None, picked=None, levels=[])
    if picked_code not in on_path:
        # A well-formed code in scope that does not exist: start again from the root.
        path = [root_code]
    children: defaultdict[str, list[Region]] = defaultdict(list)
    for child in Region.objects.visible_to(user).filter(parent_id__in=path).order_by("code"):
        children[str(child.parent_id)].append(child)
    levels = [
        PickerLevel(
            parent=on_path[code],
            options=children[code],
            selected=path[index + 1] if index + 1 < len(path) else code,
        )
        for index, code in enumerate(path)
        if children[code]
    ]
    roots = [on_path[code] for code in root_codes if code in on_path] if len(root_codes) > 1 else []
    return Picker(name=name, root=on_path[root_code], picked=on_path[path[-1]], levels=levels, roots=roots)


def _path(root_code: str, picked_code: str) -> list[str]:
    """Codes from the root down to the picked region, by the code rules (no query)."""
    path = [picked_code]
    while path[-1] != root_code:
        parent = parent_code(path[-1])
        if parent is None:
            # Not under the root after all; callers check visibility first, so this is only a safeguard.
            return [root_code]
        path.append(parent)
    return path[::-1]
