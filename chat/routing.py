from django.urls import path

from chat.consumers import ChatConsumer
from chat.experiments.consumer import ExperimentConsumer

websocket_urlpatterns = [path("ws/chat/", ChatConsumer.as_asgi())]
websocket_urlpatterns.append(path("ws/experiments/", ExperimentConsumer.as_asgi()))
