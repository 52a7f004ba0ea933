from django.urls import path

from media_fetch import views

urlpatterns = [
    path("api/v1/bots/<str:bot_id>", views.BotDocumentView.as_view(), name="bot-document"),
    path("api/v1/bots/<str:bot_id>/get_audio", views.AudioView.as_view(), name="bot-audio"),
    path("api/v1/bots/<str:bot_id>/get_video", views.VideoView.as_view(), name="bot-video"),
    path(
        "api/v1/bots/<str:bot_id>/screenshots",
        views.ScreenshotListView.as_view(),
        name="bot-screenshots",
    ),
    path(
        "api/v1/bots/<str:bot_id>/screenshots/<str:screenshot_id>",
        views.ScreenshotView.as_view(),
        name="bot-screenshot",
    ),
    path("api/v1/bots/<str:bot_id>/get_chat", views.ChatView.as_view(), name="bot-chat"),
    path(
        "api/v1/bots/<str:bot_id>/get_participants",
        views.ParticipantsView.as_view(),
        name="bot-participants",
    ),
    path(
        "api/v1/bots/<str:bot_id>/get_transcript",
        views.BotTranscriptView.as_view(),
        name="bot-transcript",
    ),
    path(
        "api/v1/bots/<str:bot_id>/get_manifest", views.ManifestView.as_view(), name="bot-manifest"
    ),
    path("api/v1/bots/<str:bot_id>/media/verify", views.VerifyView.as_view(), name="bot-verify"),
    path(
        "api/v1/transcript/<str:transcript_id>/get_transcript",
        views.TranscriptView.as_view(),
        name="transcript",
    ),
    path(
        "api/v1/transcript/<str:transcript_id>/get_raw_transcript",
        views.RawTranscriptView.as_view(),
        name="raw-transcript",
    ),
]
