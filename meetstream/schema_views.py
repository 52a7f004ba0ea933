"""The two schemas: the customer's (/api/schema/) and the recorder's (/internal/schema/)."""

from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from bots.recorder.auth import RecorderTokenAuthentication


class SchemaView(SpectacularAPIView):
    """`?format=json` or `?format=yaml` picks the format (the API's own `format` parameters
    leave DRF's override off); without it, the Accept header does."""

    def perform_content_negotiation(self, request, force=False):
        wanted = request.query_params.get("format")
        for renderer in self.get_renderers():
            if renderer.format == wanted:
                return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)


class InternalSchemaView(SchemaView):
    """The recorder's API, for the recorder: served only with its token."""

    authentication_classes = [RecorderTokenAuthentication]
    permission_classes = [IsAuthenticated]
