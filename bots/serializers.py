from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bots.bot.lifecycle import BotStatus
from bots.bot.media_state import MEDIA_STATES
from bots.bot.meetings import MEETING_LINK_PATTERN, meeting_platform
from bots.models import Platform
from bots.pipeline.upload_lifecycle import UploadState
from meetstream.shared.errors import RuleError
from meetstream.shared.serializers import (
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictSerializer,
    receiver_url,
)
from storageconfig.failures import REASONS
from storageconfig.fields import rule
from storageconfig.rules import config_name_check


class TranscriptConfigSerializer(StrictSerializer):
    provider = StrictCharField(max_length=64)

    def validate_provider(self, value: str) -> str:
        if not value.replace("_", "").replace("-", "").isalnum() or not value.isascii():
            raise serializers.ValidationError("Use letters, digits, '-' and '_' only.")
        return value


class RetentionSerializer(StrictSerializer):
    type = StrictChoiceField(["timed", "forever"])
    hours = StrictIntegerField(
        min_value=1, max_value=8760, required=False, help_text="With `timed` only: 1 to 8760."
    )

    def validate(self, attrs):
        if attrs["type"] == "timed" and "hours" not in attrs:
            raise serializers.ValidationError({"hours": ["A timed retention needs hours."]})
        if attrs["type"] == "forever" and "hours" in attrs:
            raise serializers.ValidationError({"hours": ["A forever retention takes no hours."]})
        return attrs


class RecordingConfigSerializer(StrictSerializer):
    transcript = TranscriptConfigSerializer(required=False)
    retention = RetentionSerializer(
        required=False,
        help_text="How long the platform keeps what it holds of the media after the bot left "
        "(default: MEDIA_RETENTION_HOURS, else forever). Your own bucket is never cleaned.",
    )


class StorageChoiceSerializer(StrictSerializer):
    config = StrictCharField(
        max_length=64,
        help_text="A named storage configuration (PUT /api/v1/admin/configs?name=...): the bot's "
        "media goes to its bucket. Without `storage`: the default configuration, else the "
        "platform bucket.",
    )

    validate_config = rule(config_name_check)


@extend_schema_field({"type": "string", "maxLength": 2048, "pattern": MEETING_LINK_PATTERN})
class _MeetingLinkField(StrictCharField):
    pass


class BotCreateSerializer(StrictSerializer):
    meeting_link = _MeetingLinkField(
        max_length=2048, help_text="An https:// Zoom, Google Meet or Microsoft Teams link."
    )
    bot_name = StrictCharField(max_length=100)
    callback_url = StrictCharField(max_length=2048, required=False)
    recording_config = RecordingConfigSerializer(required=False)
    storage = StorageChoiceSerializer(required=False)

    def validate_meeting_link(self, value: str) -> str:
        try:
            meeting_platform(value)
        except RuleError as error:
            raise serializers.ValidationError(str(error)) from None
        return value

    def validate_callback_url(self, value: str) -> str:
        return receiver_url(value)

    def create_arguments(self) -> dict:
        """The validated request as bots.bot.services.bot_create takes it."""
        data = self.validated_data
        recording = data.get("recording_config", {})
        return {
            "meeting_link": data["meeting_link"],
            "bot_name": data["bot_name"],
            "callback_url": data.get("callback_url", ""),
            "transcript_provider": recording.get("transcript", {}).get("provider", "meetstream"),
            "retention": recording.get("retention"),
            "storage_config_name": data.get("storage", {}).get("config", ""),
        }


class BotCreatedSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    transcript_id = serializers.CharField()
    meeting_url = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)


class FailedArtifactSerializer(serializers.Serializer):
    file = serializers.CharField()
    error = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=REASONS, help_text="Why it was given up (the table of reasons in docs/api.md)."
    )


class FileUploadSerializer(serializers.Serializer):
    file = serializers.CharField()
    state = serializers.ChoiceField(choices=UploadState.values)
    attempts = serializers.IntegerField(help_text="Attempts made in this round.")
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="When a file in retry_wait is tried again."
    )
    last_error = serializers.CharField(allow_blank=True)


MEDIA_STATE_HELP = (
    "retrying: some file failed for now and waits for its next attempt; partial and failed: "
    "nothing is on its way any more and some (or every) file was given up; expired: the "
    "retention ran out and what the platform held is deleted; deleting, deleted: a "
    "delete_data request."
)


class KeptFileSerializer(serializers.Serializer):
    file = serializers.CharField()
    bucket = serializers.CharField()
    key = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=REASONS, help_text="write_only, access_denied, credentials_erased..."
    )
    message = serializers.CharField()


class MediaSummarySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=MEDIA_STATES, help_text=MEDIA_STATE_HELP)
    artifacts = serializers.IntegerField()
    uploaded = serializers.IntegerField()
    expired = serializers.IntegerField(help_text="Files deleted when the retention ran out.")
    deleted = serializers.IntegerField(help_text="Files deleted on request.")
    kept = serializers.IntegerField(help_text="Files a deletion left in your bucket.")
    fallback = serializers.IntegerField(
        help_text="Files given up at your bucket and kept in the platform bucket instead "
        "(`fallback: platform`): fetches serve them; `redeliver` moves them."
    )
    redeliverable_until = serializers.DateTimeField(
        allow_null=True,
        help_text="Until when the given-up files' copies are held for `redeliver` "
        "(MEDIA_HOLD_HOURS); null when none is.",
    )
    failed = FailedArtifactSerializer(many=True, help_text="The files given up.")
    files = FileUploadSerializer(many=True, help_text="Every file on its way or given up.")
    kept_files = KeptFileSerializer(many=True, help_text="Each file kept, with why.")
    deletion_requested_at = serializers.DateTimeField(allow_null=True)
    deletion_finished_at = serializers.DateTimeField(allow_null=True)


class RetentionStatusSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["timed", "forever"])
    hours = StrictIntegerField(allow_null=True)
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Null until the bot left, and with `forever`."
    )


class BotStatusSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)
    retention = RetentionStatusSerializer()
    media = MediaSummarySerializer()


class BotListMediaSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=MEDIA_STATES, help_text=MEDIA_STATE_HELP)
    artifacts = serializers.IntegerField()
    uploaded = serializers.IntegerField()


class BotListItemSerializer(serializers.Serializer):
    bot_id = serializers.CharField(source="public_id")
    transcript_id = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)
    platform = serializers.ChoiceField(choices=Platform.values)
    created_at = serializers.DateTimeField()
    storage_config = serializers.SerializerMethodField(
        help_text="The named storage configuration it chose; null: the default one."
    )
    media = serializers.SerializerMethodField()

    def get_storage_config(self, bot) -> str | None:
        return bot.storage_config_name or None

    @extend_schema_field(BotListMediaSerializer)
    def get_media(self, bot) -> dict:
        return {
            "state": bot.media_state,
            "artifacts": bot.media_artifacts,
            "uploaded": bot.media_uploaded,
        }


class BotPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = BotListItemSerializer(many=True)


class BotListQuerySerializer(serializers.Serializer):
    status = StrictChoiceField(BotStatus.values, required=False)
    storage_config = StrictCharField(
        max_length=64, required=False, help_text="Bots that chose this named configuration."
    )
    media_state = StrictChoiceField(MEDIA_STATES, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=100, required=False)
    cursor = serializers.CharField(required=False)


class DeletionAcceptedSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)
    media = MediaSummarySerializer()


class RedeliveryAcceptedSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    files = serializers.IntegerField(help_text="Files sent again to the pinned location.")


class StagedArtifactSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    file = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class BotLifecycleSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)
