"""The versioned JSON API, /api/v1/ (django-ninja)."""

from ninja import NinjaAPI

api = NinjaAPI(title="bangfu API", version="1", urls_namespace="api")


@api.get("/health", auth=None)
def health(request):  # type: ignore[no-untyped-def]
    return {"status": "ok"}
