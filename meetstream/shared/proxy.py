"""Behind the proxy `make serve` puts in front: the client's address as the proxy saw it."""

from django.conf import settings


class ClientAddressMiddleware:
    """REMOTE_ADDR from CLIENT_ADDRESS_HEADER when it is set: behind a proxy the peer is the
    proxy, and a failure throttle keyed by it would lock every client out at once."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.header = settings.CLIENT_ADDRESS_HEADER

    def __call__(self, request):
        if self.header and (address := request.META.get(self.header, "").strip()):
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
