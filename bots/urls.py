from django.urls import include, path

from bots import views

urlpatterns = [
    path("api/v1/bots", views.BotListView.as_view(), name="bot-list"),
    path("api/v1/bots/create_bot", views.BotCreateView.as_view(), name="bot-create"),
    path(
        "api/v1/bots/<str:bot_id>/delete_data",
        views.BotDeleteDataView.as_view(),
        name="bot-delete-data",
    ),
    path(
        "api/v1/bots/<str:bot_id>/redeliver",
        views.BotRedeliverView.as_view(),
        name="bot-redeliver",
    ),
    path("api/v1/bots/<str:bot_id>/status", views.BotStatusView.as_view(), name="bot-status"),
    path("", include("bots.recorder.urls")),
]
