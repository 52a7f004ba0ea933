"""An upload pass's large files share one budget of part threads (UPLOAD_THREADS): a lone file
sends that many parts at once, and several files together send no more."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.api import PUT
from tests.support.faults import FaultProxy
from tests.support.media import STATUS, create_bot, hand_over

MiB = 1024 * 1024
BUDGET = 3
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("staging")]


def is_part(method: str, path: str) -> bool:
    """S3's UploadPart or Azure's Put Block."""
    query = parse_qs(urlsplit(path).query)
    return method == "PUT" and ("partNumber" in query or query.get("comp") == ["block"])


def large(n: int) -> bytes:
    """16 MiB: four parts of 5 MiB (the last one short)."""
    return bytes([n]) * 16 * MiB


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["aws", "azure"], indirect=True)
def test_a_lone_file_sends_the_whole_budget_of_parts_and_three_files_share_it(
    api, recorder, provider, settings
):
    settings.UPLOAD_PART_MB, settings.UPLOAD_THREADS = 5, BUDGET
    # Each part waits half a second at the proxy, so every part sent at once is seen at once.
    proxy = FaultProxy(provider.url, lambda method, path: "slow" if is_part(method, path) else None)
    try:
        bucket = provider.bucket()
        endpoint = proxy.url + urlsplit(provider.url).path  # Azurite's account is in its path
        saved = api.put(PUT, provider.body(bucket, endpoint_url=endpoint), format="json")
        assert saved.status_code == 200, saved.json()

        lone = create_bot(api)
        hand_over(recorder, lone["bot_id"], {"meeting_recording.mp4": large(1)})
        lone_at_once = proxy.most_at_once["slow"]

        proxy.most_at_once.clear()
        three = create_bot(api)
        files = {"meeting_recording.mp4": large(2), "audio.wav": large(3), "audio.mp3": large(4)}
        hand_over(recorder, three["bot_id"], files)
        three_at_once = proxy.most_at_once["slow"]
    finally:
        proxy.stop()

    assert (lone_at_once, three_at_once) == (BUDGET, BUDGET)
    assert sum(is_part(method, path) for method, path, _ in proxy.seen) == 4 * 4
    for bot in (lone, three):
        assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    for name, data in files.items():
        assert provider.read(bucket, f"meetstream/{three['bot_id']}_{name}") == data, name
