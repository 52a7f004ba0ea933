from urllib.parse import parse_qs

import pytest

from tests.support.faults import FaultProxy


@pytest.fixture
def sts_seen(sts_stand_in, monkeypatch):
    """STS behind a recording proxy: the AssumeRole requests the platform sent, parsed."""
    proxy = FaultProxy(sts_stand_in.url, lambda method, path: None)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)

    def assumed() -> list[dict[str, str]]:
        forms = [parse_qs(body.decode()) for body in proxy.bodies]
        return [
            {name: values[0] for name, values in form.items()}
            for form in forms
            if form.get("Action") == ["AssumeRole"]
        ]

    yield assumed
    proxy.stop()
