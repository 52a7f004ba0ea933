"""Request bodies as JSON: DRF's parser, with a document nested too deeply or holding text that
is not Unicode (a lone surrogate escape, `"\\ud800"`) refused as a 400."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NESTING_REFUSED = "The JSON is nested too deeply."
SURROGATE_REFUSED = "The JSON holds a lone surrogate (\\ud800-\\udfff): that is not text."


def json_loads(raw: str | bytes):
    """json.loads whose deep nesting or lone surrogates are a ValueError like any other
    malformed JSON."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ValueError(NESTING_REFUSED) from None
    if not _is_text(data):
        raise ValueError(SURROGATE_REFUSED)
    return data


def _is_text(data) -> bool:
    """Whether every string in the document (keys too) can be stored and sent as UTF-8."""
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(NESTING_REFUSED) from None
        if not _is_text(data):
            raise ParseError(SURROGATE_REFUSED)
        return data
