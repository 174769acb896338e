from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "bangfu.policy"
    label = "policy"
    verbose_name = "政策参数"
