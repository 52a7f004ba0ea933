"""STS as AWS runs it for a third party, in front of moto's (which evaluates no trust policy).

AssumeRole passes only when a statement of the role's trust policy allows it with the external
ID sent (a `StringEquals` on `sts:ExternalId`, or no condition at all); otherwise, and for a role
that does not exist, the answer is STS's AccessDenied. GetCallerIdentity names the platform in an
account of its own (PLATFORM_ACCOUNT), as in production, where customers' roles live in theirs:
moto's one account holds the test roles.
"""

import http.client
import json
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from botocore.config import Config

from tests.support.api import PUT
from tests.support.faults import FixedAnswer, serve, sts_error

PLATFORM_ACCOUNT = "111122223333"
MOTO_ACCOUNT = "123456789012"


def trust_allows(trust: dict, external_id: str | None) -> bool:
    """Whether a statement allows sts:AssumeRole with this external ID (None: sent none)."""
    statements = trust.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        if statement.get("Effect") == "Allow" and "sts:AssumeRole" in _listed(actions):
            if _holds(statement.get("Condition", {}), external_id):
                return True
    return False


def _holds(condition: dict, external_id: str | None) -> bool:
    """IAM's StringEquals and StringLike on sts:ExternalId (a key not sent fails either)."""
    tests = {"StringEquals": str.__eq__, "StringLike": fnmatchcase}
    for operator, keys in condition.items():
        if operator not in tests or set(keys) != {"sts:ExternalId"}:
            return False  # not modelled here: refused
        wanted = _listed(keys["sts:ExternalId"])
        if external_id is None or not any(tests[operator](external_id, w) for w in wanted):
            return False
    return True


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


class StsStandIn:
    def __init__(self, upstream: str, *, access_key_id: str, secret_key: str) -> None:
        self.upstream = urlsplit(upstream)
        self._iam = boto3.client(
            "iam",
            endpoint_url=upstream,
            region_name="us-east-1",
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_key,
            config=Config(retries={"total_max_attempts": 1}),
        )
        self.refused: list[dict[str, str]] = []  # the AssumeRole forms it answered AccessDenied
        self.server, self.url = serve(self._handler())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _trust(self, arn: str) -> dict | None:
        try:
            role = self._iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
        except self._iam.exceptions.NoSuchEntityException:
            return None
        if role["Arn"] != arn:
            return None
        document = role["AssumeRolePolicyDocument"]
        return json.loads(unquote(document)) if isinstance(document, str) else document

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
                if form.get("Action") == "AssumeRole":
                    trust = stand_in._trust(form.get("RoleArn", ""))
                    if trust is None or not trust_allows(trust, form.get("ExternalId")):
                        stand_in.refused.append(form)
                        message = f"Not authorized to perform sts:AssumeRole on {form['RoleArn']}"
                        self._answer(403, sts_error("AccessDenied", message))
                        return
                status, answer = self._forward(body)
                if form.get("Action") == "GetCallerIdentity":
                    answer = answer.replace(MOTO_ACCOUNT.encode(), PLATFORM_ACCOUNT.encode())
                self._answer(status, answer)

            def _forward(self, body: bytes) -> tuple[int, bytes]:
                upstream = http.client.HTTPConnection(
                    stand_in.upstream.hostname, stand_in.upstream.port, timeout=30
                )
                try:
                    upstream.request("POST", self.path, body=body, headers=dict(self.headers))
                    response = upstream.getresponse()
                    return response.status, response.read()
                finally:
                    upstream.close()

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler


ROLE = "arn:aws:iam::123456789012:role/meetstream-storage"
KEYS_GONE = {"access_key_id": ..., "secret_key": ...}


def put_with_sts_answering(api, config_body, monkeypatch, answer: FixedAnswer):
    """A role configuration PUT while STS gives every request this answer."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", answer.url)
    try:
        return api.put(PUT, config_body(**KEYS_GONE, role_arn=ROLE), format="json")
    finally:
        answer.stop()
