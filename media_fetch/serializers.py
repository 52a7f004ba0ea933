from rest_framework import serializers

from meetstream.serializers import ErrorSerializer


def expires_in() -> serializers.IntegerField:
    return serializers.IntegerField(
        help_text="Seconds the URL stays valid: 3600, or at least 3000 when a role's session "
        "ends sooner."
    )


class AudioUrlSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    audio_url = serializers.URLField()
    expires_in = expires_in()


class VideoUrlSerializer(serializers.Serializer):
    bot_id = serializers.CharField()
    video_url = serializers.URLField()
    expires_in = expires_in()


class ScreenshotSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    captured_at = serializers.DateTimeField(allow_null=True)
    expires_in = expires_in()


class ScreenshotPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ScreenshotSerializer(many=True)


class WriteOnlySerializer(ErrorSerializer):
    access_mode = serializers.CharField(help_text="Always `write_only`.")
    bucket = serializers.CharField()
    key = serializers.CharField()
