"""The request type of views behind django-htmx's middleware, for the type checker (its own recipe)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that passed ``HtmxMiddleware``: ``request.htmx`` is set (typing only)."""

    htmx: HtmxDetails
