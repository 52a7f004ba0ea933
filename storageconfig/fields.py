"""Pieces of the providers' field lists: each provider's `Fields` serializer is built from them,
and the API, the admin and the model all read that one list."""

from rest_framework import serializers

from meetstream.shared.serializers import StrictCharField, StrictSerializer
from storageconfig.rules import RuleError


def rule(check):
    """A serializer validator from one of storageconfig.rules' checks."""

    def validate(self, value):
        try:
            return check(value)
        except RuleError as error:
            raise serializers.ValidationError(str(error)) from None

    return validate


def credential(label: str, max_length: int, **options) -> StrictCharField:
    """A secret field. Its messages never echo the value."""
    return StrictCharField(
        **options,
        max_length=max_length,
        trim_whitespace=False,
        style={"input_type": "password"},
        error_messages={
            "blank": f"{label} may not be blank.",
            "max_length": f"{label} may be at most {max_length} characters.",
        },
    )


class ProviderFields(StrictSerializer):
    """A provider's own fields. `problems_together` names what is wrong with the fields as a
    whole (which credentials are missing): it is told with the other fields' problems."""

    def problems_together(self, data: dict) -> dict[str, str]:
        return {}

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as invalid:
            if isinstance(data, dict) and isinstance(invalid.detail, dict):
                for name, problem in self.problems_together(data).items():
                    invalid.detail.setdefault(name, [problem])
            raise

    def validate(self, data):
        problem = self.problems_together(data)
        if problem:
            raise serializers.ValidationError({name: [text] for name, text in problem.items()})
        return data
