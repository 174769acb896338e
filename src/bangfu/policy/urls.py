"""URLs of the policy app (mounted at /policy/)."""

from django.urls import path

from bangfu.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.policy_list, name="list"),
    # Calendar routes come before "<key>/" so that "calendar" is never read as a parameter key.
    path("calendar/", views.calendar_list, name="calendar"),
    path("calendar/new/", views.calendar_year_new, name="calendar-new"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar-year"),
    path("<str:key>/", views.policy_history, name="history"),
    path("<str:key>/new/", views.policy_version_new, name="version-new"),
]
