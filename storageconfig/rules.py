"""The shape rules of a storage configuration: bucket names, regions, prefixes, endpoints."""

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from meetstream.shared.errors import RuleError
from meetstream.shared.outbound import url_parse

CATEGORIES = ("audio", "video", "transcript", "metadata")
DEFAULT_PREFIX = "meetstream"
MAX_PREFIX_BYTES = 512

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$")
_KMS_KEY = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_KMS_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
_KMS_KEY_ID = re.compile(
    rf"^(?:{_KMS_KEY}|{_KMS_ALIAS}"
    rf"|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{{12}}:(?:key/{_KMS_KEY}|{_KMS_ALIAS}))$"
)


def bucket_name_check(name: str) -> str:
    if not 3 <= len(name) <= 63:
        raise RuleError("Bucket names must be 3 to 63 characters long.")
    if not _BUCKET_CHARS.match(name):
        raise RuleError(
            "Bucket names use only lowercase letters, digits, dots and hyphens, "
            "and begin and end with a letter or digit."
        )
    if ".." in name or ".-" in name or "-." in name:
        raise RuleError("Bucket names may not have a dot next to another dot or a hyphen.")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        raise RuleError("Bucket names may not be formatted as an IP address.")
    if name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        raise RuleError("Bucket names may not use a prefix or suffix that S3 reserves.")
    return name


def region_check(region: str) -> str:
    if not _REGION.match(region):
        raise RuleError("Regions look like 'us-east-1': lowercase letters, digits and hyphens.")
    return region


def kms_key_id_check(key_id: str) -> str:
    if not _KMS_KEY_ID.match(key_id):
        raise RuleError(
            "Give a KMS key id (a UUID or mrk-...), an alias ('alias/my-key') or a key or alias "
            "ARN ('arn:aws:kms:us-east-1:111122223333:key/...')."
        )
    return key_id


def prefix_normalize(raw: str) -> str:
    """Strip slashes at both ends, collapse repeated ones, refuse `.`/`..` segments."""
    if any(unicodedata.category(char) == "Cc" for char in raw):
        raise RuleError("Prefixes may not contain control characters.")
    segments = [segment for segment in raw.split("/") if segment]
    if any(segment in {".", ".."} for segment in segments):
        raise RuleError("Prefixes may not contain '.' or '..' segments.")
    prefix = "/".join(segments)
    if not prefix:
        raise RuleError("Prefixes may not be empty.")
    if len(prefix.encode()) > MAX_PREFIX_BYTES:
        raise RuleError(f"Prefixes may be at most {MAX_PREFIX_BYTES} bytes long.")
    return prefix


def prefixes_resolve(prefix: str, overrides: dict[str, str]) -> dict[str, str]:
    """The prefix each category is written under: its own, or the base one."""
    return {category: overrides.get(category, prefix) for category in CATEGORIES}


def prefixes_distinct(prefix: str, overrides: dict[str, str]) -> list[str]:
    """The base prefix, then each category prefix not seen before: each written path once."""
    return list(dict.fromkeys([prefix, *prefixes_resolve(prefix, overrides).values()]))


_ACCOUNT_PATH = re.compile(r"/[a-z0-9]{3,24}")


def endpoint_url_normalize(raw: str, *, account_path: bool = False) -> str:
    """`http(s)://host[:port]`; with `account_path`, an account URL may add `/<account>` (the
    path style of Azurite and other emulators)."""
    url_parse(raw)  # the rules every tenant URL follows: scheme, port, no user info, no tricks
    parts = urlsplit(raw)
    path = parts.path.rstrip("/")
    if (path and not (account_path and _ACCOUNT_PATH.fullmatch(path))) or (
        parts.query or parts.fragment or "?" in raw or "#" in raw
    ):
        allowed = "a path other than the account's" if account_path else "a path"
        raise RuleError(f"The endpoint URL may not have {allowed}, a query or a fragment.")
    netloc = parts.netloc
    if parts.port is not None:
        netloc = netloc.rsplit(":", 1)[0] + f":{parts.port}"
    return f"{parts.scheme.lower()}://{netloc}{path}"


# IAM: a path of printable ASCII segments (512 characters with its slashes), then a name.
_ROLE_ARN = re.compile(
    r"arn:aws:iam::[0-9]{12}:role/((?:[\x21-\x2e\x30-\x7e]+/)*)[\w+=,.@-]{1,64}", re.ASCII
)


def role_arn_check(arn: str) -> str:
    match = _ROLE_ARN.fullmatch(arn)
    if not match or len(match[1]) > 510:
        raise RuleError(
            "Give the role's ARN: 'arn:aws:iam::<12-digit account>:role/<path/><name>', e.g. "
            "'arn:aws:iam::111122223333:role/meetstream-storage'."
        )
    return arn


# A named configuration's name: what create_bot's `storage.config` and the listing give.
_CONFIG_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
MAX_NAMED_CONFIGS = 10


def config_name_check(name: str) -> str:
    if not _CONFIG_NAME.match(name):
        raise RuleError("Names are 1 to 64 of a-z, 0-9, '_' and '-'.")
    return name


# A key template's variables; `{file}` keeps its subfolders (`screenshots/<uuid>.png`).
KEY_VARIABLES = ("prefix", "bot_id", "file", "platform", "yyyy", "mm", "dd")
GUIDE_TEMPLATE = "{prefix}/{bot_id}_{file}"
MAX_TEMPLATE_CHARS = 512
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_PER_BOT = re.compile(r"\{(?!prefix\})")  # where the first variable other than {prefix} begins


def key_template_check(template: str) -> str:
    """A template that keeps every key unique per bot and file and inside its bucket's folders:
    `{bot_id}` and `{file}` in it, only known variables, no `..`, no leading `/`."""
    if len(template) > MAX_TEMPLATE_CHARS:
        raise RuleError(f"Key templates may be at most {MAX_TEMPLATE_CHARS} characters long.")
    if any(unicodedata.category(char) == "Cc" for char in template):
        raise RuleError("Key templates may not contain control characters.")
    unknown = [name for name in _VARIABLE.findall(template) if name not in KEY_VARIABLES]
    if unknown or "{" in _VARIABLE.sub("", template) or "}" in _VARIABLE.sub("", template):
        known = ", ".join(f"{{{name}}}" for name in KEY_VARIABLES)
        raise RuleError(f"Key templates use only the variables {known}, and no other braces.")
    if "{bot_id}" not in template or "{file}" not in template:
        raise RuleError("Key templates must contain {bot_id} and {file}: each key stays unique.")
    if ".." in template or template.startswith("/"):
        raise RuleError("Key templates may not contain '..' or begin with '/'.")
    return template


def key_template_parts(template: str, values: dict[str, str]) -> list[str]:
    """The template with every variable but `{file}` filled in, cut where `{file}` goes: the
    key is the parts joined by the file's name."""
    return [_VARIABLE.sub(lambda m: values[m[1]], part) for part in template.split("{file}")]


def key_folder(template: str | None, prefix: str) -> str:
    """The folder every key of a category is under, whatever the bot: the template's static
    start with `{prefix}` filled in, up to its last `/`; "" when it starts with a variable that
    changes per bot (the whole bucket). What the policy and the live check's probe scope to."""
    static = _PER_BOT.split(template or GUIDE_TEMPLATE, maxsplit=1)[0].replace("{prefix}", prefix)
    return static.rsplit("/", 1)[0] if "/" in static else ""


def key_folders(template: str | None, prefix: str, overrides: dict[str, str]) -> list[str]:
    """Each distinct folder keys are written under, the base prefix's first."""
    prefixes = prefixes_distinct(prefix, overrides)
    return list(dict.fromkeys(key_folder(template, p) for p in prefixes))


def folder_start(folder: str) -> str:
    """A folder as the start of its keys: `folder/`, or "" for the whole bucket."""
    return f"{folder}/" if folder else ""
