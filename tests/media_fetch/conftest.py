from datetime import timedelta
from types import SimpleNamespace

import moto.sts.models
import pytest
from moto.server import ThreadedMotoServer

from meetstream.shared.processes import free_port
from storageconfig.backends.aws import sts
from tests.support.faults import FaultProxy
from tests.support.s3 import S3Server
from tests.support.sts import StsStandIn


@pytest.fixture
def moved_clock(monkeypatch, tenant):
    """A clock both the platform and an in-process STS read, moved forward at will
    (`move.sts_behind(minutes)` moves STS's alone back: its sessions end that much sooner); a
    role there (`move.role`) for the tenant."""
    offset = {"by": timedelta(0), "sts": timedelta(0)}
    real_now, real_moto = sts.now, moto.sts.models.utcnow
    monkeypatch.setattr(sts, "now", lambda: real_now() + offset["by"])
    monkeypatch.setattr(
        moto.sts.models, "utcnow", lambda: real_moto() + offset["by"] + offset["sts"]
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_sts = S3Server(SimpleNamespace(url=f"http://{host}:{port}"))
    stand_in = StsStandIn(moto_sts.url, access_key_id="k", secret_key="s")
    proxy = FaultProxy(stand_in.url, lambda method, path: None)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)

    def move(minutes: int) -> None:
        offset["by"] += timedelta(minutes=minutes)

    def sts_behind(minutes: int) -> None:
        offset["sts"] -= timedelta(minutes=minutes)

    move.sts_behind = sts_behind
    move.sts = proxy
    anything = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    move.role = moto_sts.role(anything, external_id=tenant.storage_external_id)
    yield move
    proxy.stop()
    stand_in.stop()
    server.stop()
