from django.urls import path

from bangfu.core import views

urlpatterns = [path("", views.home, name="home")]
