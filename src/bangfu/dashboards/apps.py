from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "bangfu.dashboards"
    label = "dashboards"
    verbose_name = "工作台"
