from django.http import HttpRequest, HttpResponse


def locked_out(request: HttpRequest, credentials: object = None, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("账号已锁定", status=403)
