"""``{% load regions %}``: the region breadcrumb and the region picker.

{% block breadcrumb %}{% region_breadcrumb region %}{% endblock %}
<form method="get">{% region_picker value=request.GET.region %} …</form>
"""

from __future__ import annotations

from django import template

from bangfu.regions.models import Region
from bangfu.regions.picker import Picker, build_picker
from bangfu.regions.scoping import code_visible_to

register = template.Library()


@register.inclusion_tag("regions/breadcrumb.html", takes_context=True)
def region_breadcrumb(
    context: template.Context, region: Region, *, link_last: bool = False
) -> dict[str, object]:
    """``<li class="breadcrumb-item">`` items from the province down to ``region`` (one query).

    Only regions inside the user's scope are links; those above the scope root are plain text, since their
    pages would answer 404. The last item is the current page and is not a link unless ``link_last``.
    """
    user = context.get("user")
    chain = [*region.ancestors(), region]
    crumbs = [
        {
            "region": item,
            "current": item is region and not link_last,
            "linked": (link_last or item is not region) and code_visible_to(user, item.code),
        }
        for item in chain
    ]
    return {"crumbs": crumbs}


@register.inclusion_tag("regions/picker.html", takes_context=True)
def region_picker(
    context: template.Context, *, value: str | None = None, name: str = "region"
) -> dict[str, Picker]:
    """The region picker for the current user, with ``value`` (a code) picked; a field named ``name``."""
    return {"picker": build_picker(user=context.get("user"), value=value, name=name)}
