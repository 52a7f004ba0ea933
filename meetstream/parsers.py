"""Request bodies as JSON: DRF's parser, with a document nested too deeply refused as a 400."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NESTING_REFUSED = "The JSON is nested too deeply."


def json_loads(raw: str | bytes):
    """json.loads whose deep nesting is a ValueError like any other malformed JSON."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError(NESTING_REFUSED) from None


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(NESTING_REFUSED) from None
