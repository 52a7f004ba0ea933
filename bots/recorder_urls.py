"""The recorder API's routes: also the urlconf of its own schema (/internal/schema/)."""

from django.urls import path

from bots import recorder_views

urlpatterns = [
    path(
        "internal/v1/bots/<str:bot_id>/media/<path:file>",
        recorder_views.ArtifactUploadView.as_view(),
        name="recorder-artifact",
    ),
    path("internal/v1/bots/<str:bot_id>/joined", recorder_views.BotJoinedView.as_view()),
    path("internal/v1/bots/<str:bot_id>/left", recorder_views.BotLeftView.as_view()),
]
