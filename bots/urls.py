from django.urls import path

from bots import recorder_views, views

urlpatterns = [
    path("api/v1/bots", views.BotListView.as_view(), name="bot-list"),
    path("api/v1/bots/create_bot", views.BotCreateView.as_view(), name="bot-create"),
    path(
        "api/v1/bots/<str:bot_id>/delete_data",
        views.BotDeleteDataView.as_view(),
        name="bot-delete-data",
    ),
    path("api/v1/bots/<str:bot_id>/status", views.BotStatusView.as_view(), name="bot-status"),
    path(
        "internal/v1/bots/<str:bot_id>/media/<path:file>",
        recorder_views.ArtifactUploadView.as_view(),
        name="recorder-artifact",
    ),
    path("internal/v1/bots/<str:bot_id>/joined", recorder_views.BotJoinedView.as_view()),
    path("internal/v1/bots/<str:bot_id>/left", recorder_views.BotLeftView.as_view()),
]
