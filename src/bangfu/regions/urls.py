"""URLs of the regions app."""

from django.urls import path

from bangfu.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.my_region, name="index"),
    path("picker/", views.picker_children, name="picker-children"),
    path("<str:code>/", views.region_detail, name="detail"),
]
