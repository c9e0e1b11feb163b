from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "chat.gateway"
    label = "gateway"
    verbose_name = "Gateway"
