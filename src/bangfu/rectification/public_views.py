"""Public pages, no login: each county's, town's and village's clearance board (问题整改清零 上网公示) and
the poster of it for the village wall (上墙), A4 or A3, with the QR code of the live board.

They show only what ``rectification.boards`` lets through (RULES §6.4): no person's name, ID number, phone
or health detail; the village group is the finest place named. The pages read no session and are the same
for every visitor, so a proxy may keep them for a minute.
"""

from __future__ import annotations

from typing import Final

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from bangfu.core import qrcodes
from bangfu.core.setbased import no_jit
from bangfu.rectification import boards
from bangfu.regions.codes import Level
from bangfu.regions.models import Region

# Open problems per page of the board ("更多" loads the next).
PAGE_SIZE: Final = 50
# Paper sizes of the poster and how many open problems fit on one sheet of each (the rest are online).
POSTER_ROWS: Final = {"a4": 12, "a3": 17}
# The minute a proxy or browser may keep a public page (the colours change once a day, progress any time).
PUBLIC_MAX_AGE: Final = 60


def _region(code: str) -> Region:
    region = boards.board_region(code)
    if region is None:
        raise Http404(_("没有这个县区、乡镇或村的公示"))
    return region


def _board_url(request: HttpRequest, region: Region) -> str:
    return request.build_absolute_uri(reverse("problem-board-public", kwargs={"code": region.code}))


@require_GET
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def board(request: HttpRequest, code: str) -> HttpResponse:
    """The region's counts by colour and clearance rate, its open problems (paged), the recently closed,
    and its towns' or villages' boards with their counts."""
    region = _region(code)
    today = timezone.localdate()
    after = boards.parse_cursor(request.GET.get("after"))
    with no_jit():
        rows, more = boards.open_rows(region, on=today, limit=PAGE_SIZE, after=after)
        counts, children = boards.counts_and_children(region, on=today)
        closed = boards.recently_closed(region, on=today) if after is None else []
    context = {
        "region": region,
        "ancestors": [r for r in region.ancestors() if r.level >= Level.COUNTY],
        "today": today,
        "counts": counts,
        "rows": rows,
        "more": more,
        "first_page": after is None,
        # The closed ones and the children belong to the first page only ("更多" pages the open list).
        "closed": closed,
        "children": children if after is None else [],
        "children_title": _("各乡镇（街道）") if region.level == Level.COUNTY else _("各村（社区）"),
        "recent_days": boards.RECENT_DAYS,
    }
    return render(request, "rectification/public_board.html", context)


@require_GET
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """One sheet to print and post: counts in big coloured blocks, the open problems that fit, the QR code of
    the live board. ``?size=a3`` for the larger sheet; anything else prints A4."""
    region = _region(code)
    size = request.GET.get("size", "a4")
    if size not in POSTER_ROWS:
        size = "a4"
    today = timezone.localdate()
    with no_jit():
        counts = boards.counts(region, on=today)
        rows, _more = boards.open_rows(region, on=today, limit=POSTER_ROWS[size])
    url = _board_url(request, region)
    context = {
        "region": region,
        "ancestors": [r for r in region.ancestors() if r.level >= Level.COUNTY],
        "town": region.parent if region.level == Level.VILLAGE else None,
        "today": today,
        "counts": counts,
        "rows": rows,
        "more_online": max(counts.open - len(rows), 0),
        "size": size,
        "url": url,
        "qr": qrcodes.svg_data_uri(url, box_size=10),
    }
    return render(request, "rectification/public_poster.html", context)
