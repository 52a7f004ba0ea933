"""Every test watches the credentials it hands out: none may show in a response or a log line."""

from rest_framework.test import APIClient

WATCHED: set[str] = set()
RESPONSES: list[str] = []


def watch(*credentials: str) -> None:
    WATCHED.update(credentials)


def places_leaked(log_text: str) -> list[str]:
    """Where a watched credential shows up: "logs", "response 3", ... (never the value)."""
    texts = {"logs": log_text} | {f"response {n}": text for n, text in enumerate(RESPONSES, 1)}
    return [place for place, text in texts.items() if any(c in text for c in WATCHED)]


class WatchedAPIClient(APIClient):
    """An APIClient that keeps every response body for the end-of-test leak check."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        if not getattr(response, "streaming", False):
            RESPONSES.append(response.content.decode(errors="replace"))
        return response
