"""Registry pages under /households/ (名称空间 ``registry``)."""

from __future__ import annotations

from django.urls import path

from bangfu.registry.views import changes, duplicates, editing, households, imports

app_name = "registry"

urlpatterns = [
    # reading: search, the household page, its timeline, revealing a full value
    path("", households.household_list, name="household-list"),
    path("<int:pk>/", households.household_detail, name="household-detail"),
    path("<int:pk>/timeline/", households.household_timeline, name="household-timeline"),
    path("members/<int:pk>/reveal/", households.member_reveal, name="member-reveal"),
    path("<int:pk>/reveal-phone/", households.household_reveal_phone, name="household-reveal-phone"),
    # editing: direct for town and above, a change request for a village team
    path("new/", editing.household_create, name="household-create"),
    path("<int:pk>/edit/", editing.household_edit, name="household-edit"),
    path("<int:pk>/members/new/", editing.member_add, name="member-add"),
    path("members/<int:pk>/edit/", editing.member_edit, name="member-edit"),
    path("members/<int:pk>/leave/", editing.member_leave, name="member-leave"),
    path("<int:pk>/income/new/", editing.income_edit, name="income-edit"),
    path("<int:pk>/indicators/new/", editing.indicator_add, name="indicator-add"),
    # change requests (审核)
    path("changes/", changes.change_list, name="change-list"),
    path("changes/<int:pk>/", changes.change_detail, name="change-detail"),
    path("changes/<int:pk>/approve/", changes.change_approve, name="change-approve"),
    path("changes/<int:pk>/reject/", changes.change_reject, name="change-reject"),
    path("changes/<int:pk>/withdraw/", changes.change_withdraw, name="change-withdraw"),
    # likely duplicates
    path("duplicates/", duplicates.duplicate_list, name="duplicate-list"),
    path("duplicates/<int:pk>/resolve/", duplicates.duplicate_resolve, name="duplicate-resolve"),
    # Excel in and out
    path("imports/", imports.import_list, name="import-list"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/errors.xlsx", imports.import_errors_file, name="import-errors-file"),
    path("export/", imports.export_households, name="export"),
]
