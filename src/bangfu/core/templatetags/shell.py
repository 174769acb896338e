"""Template filters of the page shell (``{% load shell %}``)."""

from __future__ import annotations

from django import template
from django.contrib.messages.storage.base import Message

register = template.Library()

# Django's message levels -> Bootstrap alert colours ("error" is Bootstrap's "danger").
ALERT_CLASSES = {
    "debug": "secondary",
    "info": "info",
    "success": "success",
    "warning": "warning",
    "error": "danger",
}


@register.filter
def alert_class(message: Message) -> str:
    """``{{ message|alert_class }}`` -> ``alert-danger`` for an error message, and so on."""
    return f"alert-{ALERT_CLASSES.get(message.level_tag, 'secondary')}"


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    """``?…&page=N``: the current query (filters kept, any old page dropped) for page ``number``."""
    query = context["request"].GET.copy()
    query["page"] = str(number)
    return "?" + query.urlencode()
