from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerView

from meetstream.health import ReadinessView, liveness
from meetstream.metrics import metrics_view
from meetstream.schema_views import InternalSchemaView, SchemaView
from meetstream.tenants.views import WebhookSecretView

handler400 = "meetstream.shared.errors.bad_request"
handler404 = "meetstream.shared.errors.not_found"
handler500 = "meetstream.shared.errors.server_error"

urlpatterns = [
    path("healthz", liveness, name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("storageconfig.urls")),
    path("", include("bots.urls")),
    path("", include("media_fetch.urls")),
    path("api/v1/admin/webhook_secret", WebhookSecretView.as_view(), name="webhook-secret"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path(
        "internal/schema/",
        InternalSchemaView.as_view(
            urlconf="bots.recorder.urls", custom_settings=settings.INTERNAL_SCHEMA_SETTINGS
        ),
        name="internal-schema",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="api-docs"), name="home"),
]
