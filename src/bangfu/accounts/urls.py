"""URLs of the accounts app (namespace ``accounts``)."""

from django.urls import path

from bangfu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password-change"),
    path("second-factor/setup/", views.second_factor_setup, name="second-factor-setup"),
    path("second-factor/verify/", views.second_factor_verify, name="second-factor-verify"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user-unlock"),
    path("users/<int:pk>/reset-password/", views.user_reset_password, name="user-reset-password"),
    path(
        "users/<int:pk>/reset-second-factor/", views.user_reset_second_factor, name="user-reset-second-factor"
    ),
    path("regions/search/", views.region_search, name="region-search"),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("system/", views.system_status, name="system"),
]
