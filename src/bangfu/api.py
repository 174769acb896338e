"""The versioned JSON API, /api/v1/ (django-ninja).

Authentication: a per-user bearer token (``Authorization: Bearer bf_…``) or the browser session.
Every error is JSON ``{"code": …, "message": …}`` with a Chinese message (DESIGN.md §6).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from bangfu.accounts.tokens import TOKEN_RE, ExpiredToken, MalformedToken, user_for_token
from bangfu.audit import events
from bangfu.core.schemas import ErrorOut
from bangfu.core.views import record_out_of_scope
from bangfu.datasets.api import router as datasets_router
from bangfu.monitoring.api import router as monitoring_router
from bangfu.monitoring.case_api import router as cases_router
from bangfu.policy.api import router as policy_router
from bangfu.rectification.api import router as problems_router
from bangfu.rectification.report_api import router as reports_router
from bangfu.regions.api import router as regions_router
from bangfu.regions.scoping import OutOfScope
from bangfu.registry.api import router as registry_router

logger = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            user = user_for_token(token)
        except MalformedToken as exc:
            raise self._refuse(request, reason="malformed", message="API令牌格式不正确") from exc
        except ExpiredToken as exc:
            raise self._refuse(request, reason="expired", message="API令牌已过期", token=token) from exc
        if user is None:
            raise self._refuse(
                request, reason="unknown_or_revoked", message="API令牌无效或已吊销", token=token
            )
        request.user = user
        return user

    @staticmethod
    def _refuse(request: HttpRequest, *, reason: str, message: str, token: str = "") -> AuthenticationError:
        """A refused token is a failed authentication: audited like a failed login (only the public prefix
        of a well-formed token is recorded, never the secret part)."""
        match = TOKEN_RE.fullmatch(token)
        events.security(
            actor=None,
            action="api_token_refused",
            detail={"token": match.group(1) if match else "", "reason": reason},
            request=request,
        )
        return AuthenticationError(message=message)


api = NinjaAPI(
    title="bangfu API",
    version="1",
    description="帮扶平台接口。所有数据按用户的管辖区域和行业范围过滤。",
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
)


def error(request: HttpRequest, *, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else "请先登录或提供有效的API令牌"
    return error(request, status=401, code="unauthenticated", message=message)


@api.exception_handler(AuthorizationError)
def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    # A service's own Chinese reason is kept; ninja's English default is replaced.
    message = exc.message if exc.message and exc.message != "Forbidden" else "没有权限执行此操作"
    return error(request, status=403, code="forbidden", message=message)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    # Services raise Django's PermissionDenied with a Chinese reason; the API answers it as JSON, never a 500.
    return error(request, status=403, code="forbidden", message=str(exc) or "没有权限执行此操作")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Objects outside the user's scope are "not found" too: their existence is not revealed, only audited.
    if isinstance(exc, OutOfScope):
        record_out_of_scope(request, exc)
    return error(request, status=404, code="not_found", message="未找到该对象，或不在您的管辖范围内")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors]
    return error(
        request,
        status=422,
        code="validation_error",
        message="请求参数有误：" + "、".join(fields),
        errors=exc.errors,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, status=exc.status_code, code="error", message=str(exc))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return error(request, status=500, code="server_error", message="服务器内部错误，请稍后再试")


class HealthOut(Schema):
    status: str
    database: str


@api.get("/health", auth=None, response={200: HealthOut, 503: ErrorOut}, tags=["system"])
def health(request: HttpRequest) -> Any:
    """Liveness and database reachability, for load balancers and monitoring."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("health check: database unreachable")
        return Status(503, {"code": "database_unavailable", "message": "数据库不可用"})
    return Status(200, {"status": "ok", "database": connection.vendor})


api.add_router("/", regions_router)
api.add_router("/", policy_router)
api.add_router("/", registry_router)
api.add_router("/", datasets_router)
api.add_router("/", monitoring_router)
api.add_router("/", cases_router)
api.add_router("/", problems_router)
api.add_router("/", reports_router)


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown paths under /api/ answer JSON too, not the HTML 404 page."""
    return JsonResponse({"code": "not_found", "message": "接口不存在"}, status=404)
