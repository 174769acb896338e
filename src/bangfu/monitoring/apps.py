from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "bangfu.monitoring"
    label = "monitoring"
    verbose_name = _("监测预警")

    def ready(self) -> None:
        from bangfu.datasets.signals import version_stored
        from bangfu.monitoring.receivers import screen_new_version

        version_stored.connect(screen_new_version, dispatch_uid="monitoring.screen_new_version")
