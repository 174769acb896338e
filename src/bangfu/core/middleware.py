"""Chinese first: the interface language is zh-Hans unless the user chose another one explicitly."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language.

    Office PCs and phones in the field often carry an English browser locale; the work is done in Chinese,
    so only the language cookie set by the footer's switch (Django's ``set_language`` view) changes it.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ApiMethodNotAllowedMiddleware:
    """A wrong HTTP method under /api/ answers JSON like every other API error, not Django's plain text."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/"):
            allowed = response.get("Allow", "")
            json_response = JsonResponse(
                {"code": "method_not_allowed", "message": f"不支持该请求方法，允许：{allowed}"}, status=405
            )
            json_response["Allow"] = allowed
            return json_response
        return response


class RejectNulBytesMiddleware:
    """Refuse a NUL byte in the path or the query string with a plain 400, before any view sees it.

    PostgreSQL text cannot hold NUL, so such input would otherwise surface as a 500 deep inside a lookup;
    no legitimate code, name or search contains one. Form fields already refuse NUL through Django's own
    validator; this covers URL parts and query parameters in one place.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query_values = (value for _key, values in request.GET.lists() for value in [_key, *values])
        if "\x00" in request.path or any("\x00" in value for value in query_values):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "bad_request", "message": "请求中含有非法字符（NUL）"}, status=400
                )
            return HttpResponseBadRequest(
                "请求中含有非法字符（NUL）", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
