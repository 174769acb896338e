from django.urls import path

from bangfu.dashboards import views

# No namespace: "home" is the landing page every other app links to (LOGIN_REDIRECT_URL).
urlpatterns = [path("", views.home, name="home")]
