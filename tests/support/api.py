"""The API's addresses as the tests call them, and client addresses for throttle tests."""

import ipaddress
import uuid

CONFIGS = "/api/v1/admin/configs"
PUT = f"{CONFIGS}?config_type=storage"
POLICY = f"{CONFIGS}/policy"
VALIDATE = f"{CONFIGS}/validate"
EXTERNAL_ID = f"{CONFIGS}/external_id"


def client_address() -> str:
    """A client address no other test uses: the throttles count failures per address in the
    cache every xdist worker shares (Redis in CI), so 250 IPv4 test addresses collided."""
    documentation = int(ipaddress.IPv6Address("2001:db8::"))
    return str(ipaddress.IPv6Address(documentation | uuid.uuid4().int >> 32))
