"""The files a bot produces: which names exist, their category and content type."""

import re
from dataclasses import dataclass

from meetstream.shared.errors import RuleError

MANIFEST = "manifest.json"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
SCREENSHOT = re.compile(rf"^screenshots/(?P<id>{_UUID})\.(?P<ext>png|json)$")
TRANSCRIPT = re.compile(
    rf"^transcription/(?P<provider>{_SEGMENT})/(?P<transcript_id>{_SEGMENT})/"
    r"(?P<kind>raw|processed)_transcript\.json$"
)
_FIXED = {
    "audio.wav": ("audio", "audio/wav"),
    "audio.mp3": ("audio", "audio/mpeg"),
    "meeting_recording.mp4": ("video", "video/mp4"),
    "participants.json": ("metadata", "application/json"),
    "chats.json": ("metadata", "application/json"),
    MANIFEST: ("metadata", "application/json"),
}


@dataclass(frozen=True)
class ArtifactSpec:
    name: str
    category: str
    content_type: str
    screenshot_id: str | None = None

    @property
    def is_sidecar(self) -> bool:
        return self.screenshot_id is not None and self.name.endswith(".json")


def artifact_spec(name: str, *, transcript_provider: str, transcript_id: str) -> ArtifactSpec:
    """The spec of a file the recorder may hand over; RuleError for any other name."""
    if name in _FIXED and name != MANIFEST:
        return ArtifactSpec(name, *_FIXED[name])
    if match := SCREENSHOT.match(name):
        content_type = "image/png" if match["ext"] == "png" else "application/json"
        return ArtifactSpec(name, "metadata", content_type, screenshot_id=match["id"])
    if match := TRANSCRIPT.match(name):
        if (match["provider"], match["transcript_id"]) != (transcript_provider, transcript_id):
            raise RuleError(
                f"Transcripts of this bot go under "
                f"transcription/{transcript_provider}/{transcript_id}/."
            )
        return ArtifactSpec(name, "transcript", "application/json")
    if name == MANIFEST:
        raise RuleError("manifest.json is written by the platform, not the recorder.")
    raise RuleError(
        "Unknown artifact: use audio.wav, audio.mp3, meeting_recording.mp4, participants.json, "
        "chats.json, screenshots/<uuid>.png|json or "
        "transcription/<provider>/<transcript_id>/raw|processed_transcript.json."
    )


def manifest_spec() -> ArtifactSpec:
    return ArtifactSpec(MANIFEST, *_FIXED[MANIFEST])


def screenshot_name(screenshot_id: str) -> str:
    return f"screenshots/{screenshot_id.lower()}.png"


def transcript_name(provider: str, transcript_id: str, *, raw: bool) -> str:
    kind = "raw" if raw else "processed"
    return f"transcription/{provider}/{transcript_id}/{kind}_transcript.json"
