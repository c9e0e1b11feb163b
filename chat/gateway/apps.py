from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "chat.gateway"
    label = "gateway"
    verbose_name = "Gateway"

    def ready(self):
        from chat.gateway import audit

        audit.connect()
