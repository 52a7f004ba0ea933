from rest_framework import serializers

from bots.lifecycle import BotStatus
from bots.meetings import meeting_platform
from bots.upload_lifecycle import UploadState
from meetstream import outbound
from meetstream.errors import RuleError
from meetstream.serializers import StrictCharField, StrictSerializer


class TranscriptConfigSerializer(StrictSerializer):
    provider = StrictCharField(max_length=64)

    def validate_provider(self, value: str) -> str:
        if not value.replace("_", "").replace("-", "").isalnum() or not value.isascii():
            raise serializers.ValidationError("Use letters, digits, '-' and '_' only.")
        return value


class RecordingConfigSerializer(StrictSerializer):
    transcript = TranscriptConfigSerializer(required=False)


class BotCreateSerializer(StrictSerializer):
    meeting_link = StrictCharField(max_length=2048)
    bot_name = StrictCharField(max_length=100)
    callback_url = StrictCharField(max_length=2048, required=False)
    recording_config = RecordingConfigSerializer(required=False)

    def validate_meeting_link(self, value: str) -> str:
        try:
            meeting_platform(value)
        except RuleError as error:
            raise serializers.ValidationError(str(error)) from None
        return value

    def validate_callback_url(self, value: str) -> str:
        value = serializers.URLField().run_validation(value)
        try:
            outbound.url_vet(value)
        except RuleError as refused:
            raise serializers.ValidationError(str(refused)) from None
        return value


class BotCreatedSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    transcript_id = serializers.CharField()
    meeting_url = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)


class FailedArtifactSerializer(serializers.Serializer):
    file = serializers.CharField()
    error = serializers.CharField()


class FileUploadSerializer(serializers.Serializer):
    file = serializers.CharField()
    state = serializers.ChoiceField(choices=UploadState.values)
    attempts = serializers.IntegerField(help_text="Attempts made in this round.")
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="When a file in retry_wait is tried again."
    )
    last_error = serializers.CharField(allow_blank=True)


class MediaSummarySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["pending", "uploading", "retrying", "uploaded", "partial", "failed"],
        help_text=(
            "retrying: some file failed for now and waits for its next attempt; partial and "
            "failed: nothing is on its way any more and some (or every) file was given up."
        ),
    )
    artifacts = serializers.IntegerField()
    uploaded = serializers.IntegerField()
    failed = FailedArtifactSerializer(many=True, help_text="The files given up.")
    files = FileUploadSerializer(many=True, help_text="Every file not uploaded yet.")


class BotStatusSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)
    media = MediaSummarySerializer()


class StagedArtifactSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    file = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class BotLifecycleSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    status = serializers.ChoiceField(choices=BotStatus.values)
