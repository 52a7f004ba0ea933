"""The recorder API's routes: also the urlconf of its own schema (/internal/schema/)."""

from django.urls import path

from bots.recorder import views

urlpatterns = [
    path(
        "internal/v1/bots/<str:bot_id>/media/<path:file>",
        views.ArtifactUploadView.as_view(),
        name="recorder-artifact",
    ),
    path("internal/v1/bots/<str:bot_id>/joined", views.BotJoinedView.as_view()),
    path("internal/v1/bots/<str:bot_id>/left", views.BotLeftView.as_view()),
]
