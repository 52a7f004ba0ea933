from rest_framework import serializers

from meetstream.shared.schema import closed, enum_field
from storageconfig.models import AccessMode


class UrlLifeSerializer(serializers.Serializer):
    """How long a presigned URL stays valid."""

    expires_in = serializers.IntegerField(
        help_text="Seconds the URL stays valid: what `?expires_in=` asked (default 3600), or "
        "less when the role session that signed it ends sooner."
    )
    expires_at = serializers.DateTimeField(help_text="When the URL stops working.")
    expires_limited_by = serializers.ChoiceField(
        choices=["role_session"],
        allow_null=True,
        help_text="role_session: the URL lives less than asked because the role's session that "
        "signed it ends sooner; null: it lives as long as asked.",
    )


class AudioUrlSerializer(UrlLifeSerializer):
    bot_id = serializers.CharField()
    audio_url = serializers.URLField()


class VideoUrlSerializer(UrlLifeSerializer):
    bot_id = serializers.CharField()
    video_url = serializers.URLField()


class ScreenshotSerializer(UrlLifeSerializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    captured_at = serializers.DateTimeField(allow_null=True)


class ScreenshotPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ScreenshotSerializer(many=True)


@closed
class WriteOnlySerializer(serializers.Serializer):
    """The guide's 403 when only write access was granted (with `code`)."""

    message = serializers.CharField()
    code = enum_field("WriteOnlyCode", "write_only")
    access_mode = enum_field("WriteOnlyAccessMode", AccessMode.WRITE_ONLY.value)
    bucket = serializers.CharField()
    key = serializers.CharField()


# The documents the recorder stores, as the fetch endpoints return them. They stay open: a
# transcription provider may add fields.


class ChatMessageSerializer(serializers.Serializer):
    sender = serializers.CharField()
    message = serializers.CharField()
    sent_at = serializers.DateTimeField()


class ParticipantSerializer(serializers.Serializer):
    name = serializers.CharField()
    joined_at = serializers.DateTimeField()


class TranscriptWordSerializer(serializers.Serializer):
    word = serializers.CharField()
    start_time = serializers.FloatField()
    end_time = serializers.FloatField()


class TranscriptLineSerializer(serializers.Serializer):
    speaker = serializers.CharField()
    transcript = serializers.CharField()
    start_time = serializers.FloatField(help_text="Seconds from the start of the recording.")
    end_time = serializers.FloatField()
    words = TranscriptWordSerializer(many=True, required=False)


class RawTranscriptSerializer(serializers.Serializer):
    provider = serializers.CharField()
    results = TranscriptLineSerializer(many=True)


class ManifestObjectSerializer(serializers.Serializer):
    file = serializers.CharField()
    key = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    content_type = serializers.CharField()
    etag = serializers.CharField(
        required=False, allow_blank=True, help_text="As the bucket answered the upload."
    )
    version_id = serializers.CharField(
        required=False, allow_null=True, help_text="Null when the bucket does not version."
    )


class ManifestSerializer(serializers.Serializer):
    """manifest.json: where each of the bot's files went, with its size and SHA-256."""

    bot_id = serializers.CharField()
    transcript_id = serializers.CharField()
    bucket = serializers.CharField()
    objects = ManifestObjectSerializer(many=True)


class VerifiedFileSerializer(serializers.Serializer):
    file = serializers.CharField()
    key = serializers.CharField()
    result = serializers.ChoiceField(
        choices=["ok", "missing", "changed", "not_uploaded"],
        help_text="missing: no object at the key; changed: its size or ETag differ from what "
        "the upload recorded; not_uploaded: the file never reached your bucket.",
    )


class VerificationSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    ok = serializers.BooleanField(help_text="Every file is `ok`.")
    checked_at = serializers.DateTimeField()
    files = VerifiedFileSerializer(many=True)
