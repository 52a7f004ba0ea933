"""Every test watches the credentials it hands out: none may show in a response or a log line."""

import re

from rest_framework.test import APIClient

from tests.support import contract

WATCHED: set[str] = set()
RESPONSES: list[str] = []


def watch(*credentials: str) -> None:
    WATCHED.update(credentials)


# SigV4 presigned URLs name the key id in X-Amz-Credential by design (docs/decisions.md:
# presigned URLs).
_PRESIGNED_KEY_ID = re.compile(r"X-Amz-Credential=[^&\"\s]*")


def places_leaked(log_text: str) -> list[str]:
    """Where a watched credential shows up: "logs", "response 3", ... (never the value)."""
    responses = (_PRESIGNED_KEY_ID.sub("X-Amz-Credential=", text) for text in RESPONSES)
    texts = {"logs": log_text} | {f"response {n}": text for n, text in enumerate(responses, 1)}
    return [place for place, text in texts.items() if any(c in text for c in WATCHED)]


class WatchedAPIClient(APIClient):
    """An APIClient that checks every API response against its schema and keeps every
    response body for the end-of-test leak check."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        contract.response_check(response)
        if not getattr(response, "streaming", False):
            RESPONSES.append(response.content.decode(errors="replace"))
        return response
