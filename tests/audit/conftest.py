"""Fixtures for the audit tests: a request as the constructors see it, and a model with personal fields.

No registry model exists yet, so ``Person`` is declared in an isolated app registry: it has the same
kinds of fields a household member will have (encrypted ID number and phone, a name, a region code), but
never touches the database or the project's migrations.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import models
from django.http import HttpRequest
from django.test import RequestFactory
from django.test.utils import isolate_apps

from bangfu.core.fields import EncryptedTextField

BROWSER = "Mozilla/5.0 (Linux; Android 10) 测试浏览器"


@pytest.fixture
def http_request() -> HttpRequest:
    return RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT=BROWSER)


@pytest.fixture
def person_model() -> Iterator[type[models.Model]]:
    with isolate_apps("bangfu.audit"):

        class Person(models.Model):
            name = models.CharField("姓名", max_length=50)
            id_number = EncryptedTextField("证件号码", kind="id_number")
            # Not a known personal key name: masked only because the field declares its kind.
            contact = EncryptedTextField("联系方式", kind="phone", blank=True)
            id_number_index = models.CharField(max_length=64, blank=True)
            region_code = models.CharField("区划代码", max_length=12)
            income = models.DecimalField("年收入", max_digits=12, decimal_places=2, null=True)
            born_on = models.DateField("出生日期", null=True)

            class Meta:
                app_label = "audit"

            def __str__(self) -> str:
                return self.name

        yield Person
