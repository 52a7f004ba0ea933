from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from meetstream.health import ReadinessView, liveness
from meetstream.metrics import metrics_view
from meetstream.views import WebhookSecretView

handler400 = "meetstream.errors.bad_request"
handler404 = "meetstream.errors.not_found"
handler500 = "meetstream.errors.server_error"

urlpatterns = [
    path("healthz", liveness, name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("storageconfig.urls")),
    path("", include("bots.urls")),
    path("", include("media_fetch.urls")),
    path("api/v1/admin/webhook_secret", WebhookSecretView.as_view(), name="webhook-secret"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
