"""Serializer pieces shared by every API: strict types, and a receiver's URL."""

from rest_framework import serializers

from meetstream.shared import outbound
from meetstream.shared.errors import RuleError


def receiver_url(value: str) -> str:
    """A URL we will POST webhooks to (`callback_url`, `notify_url`): http(s), through the
    egress guard's rules."""
    value = serializers.URLField().run_validation(value)
    try:
        outbound.url_vet(value)
    except RuleError as refused:
        raise serializers.ValidationError(str(refused)) from None
    return value


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that refuses strings and booleans instead of reading a number in them."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A ChoiceField whose error names the choices, never the value that was sent."""

    def __init__(self, choices, **kwargs):
        allowed = ", ".join(f"'{choice}'" for choice in choices)
        kwargs.setdefault("error_messages", {"invalid_choice": f"Must be one of {allowed}."})
        super().__init__(choices, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice")
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so that a typo never passes silently."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return value
