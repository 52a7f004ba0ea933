"""How long a fetch's URLs live and how they download, as the caller asks: `expires_in` from a
minute to a week, `expires_at` beside it, `disposition=attachment` saving the file under its
name, on every provider; and a role's session that ends sooner says so."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.api import PUT
from tests.support.media import STATUS, create_bot, hand_over, sample_media

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit

KEYS_GONE = {"access_key_id": ..., "secret_key": ...}


def recorded(api, recorder) -> tuple[str, dict[str, bytes]]:
    bot = create_bot(api)
    files = sample_media(bot, screenshots=2)
    hand_over(recorder, bot["bot_id"], files)
    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    return bot["bot_id"], files


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def signed_life(url: str) -> int:
    """The life the provider's own signature parameters give the URL, in seconds."""
    fields = query(url)
    if "X-Amz-Expires" in fields:
        return int(fields["X-Amz-Expires"])
    if "X-Goog-Expires" in fields:
        return int(fields["X-Goog-Expires"])
    ends = datetime.fromisoformat(fields["se"].replace("Z", "+00:00"))  # Azure's SAS
    return round((ends - datetime.now(UTC)).total_seconds())


@pytest.mark.slow
def test_a_minute_and_a_week_are_signed_and_download_and_other_lives_are_refused(
    api, recorder, provider
):
    assert api.put(PUT, provider.body(provider.bucket()), format="json").status_code == 200
    bot_id, files = recorded(api, recorder)
    audio = f"/api/v1/bots/{bot_id}/get_audio"

    for seconds in (60, 604800):
        asked_at = datetime.now(UTC)
        body = api.get(f"{audio}?expires_in={seconds}").json()

        assert body["expires_in"] == seconds and body["expires_limited_by"] is None
        ends = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        assert abs(ends - (asked_at + timedelta(seconds=seconds))) < timedelta(seconds=5)
        assert abs(signed_life(body["audio_url"]) - seconds) <= 5
        assert requests.get(body["audio_url"], timeout=10).content == files["audio.wav"]
    page = api.get(f"/api/v1/bots/{bot_id}/screenshots?expires_in=60&page_size=1").json()
    assert page["results"][0]["expires_in"] == 60
    assert "expires_in=60" in page["next"]
    for refused in ("59", "604801", "0", "1e3", "-60", ""):
        response = api.get(f"{audio}?expires_in={refused}")
        assert response.status_code == 400, refused
        assert response.json()["errors"] == {
            "expires_in": ["Use a whole number from 60 to 604800."]
        }
    assert api.get(f"/api/v1/bots/{bot_id}/get_video?disposition=save").status_code == 400


@pytest.mark.slow
def test_attachment_downloads_are_saved_under_the_files_name_on_every_provider(
    api, recorder, provider
):
    assert api.put(PUT, provider.body(provider.bucket()), format="json").status_code == 200
    bot_id, files = recorded(api, recorder)
    shots = sorted(name for name in files if name.endswith(".png"))

    video = api.get(f"/api/v1/bots/{bot_id}/get_video?disposition=attachment").json()
    page = api.get(f"/api/v1/bots/{bot_id}/screenshots?disposition=attachment").json()
    one = page["results"][0]["id"]
    single = api.get(f"/api/v1/bots/{bot_id}/screenshots/{one}?disposition=attachment").json()
    inline = api.get(f"/api/v1/bots/{bot_id}/get_video").json()

    saved = requests.get(video["video_url"], timeout=10)
    assert saved.content == files["meeting_recording.mp4"]
    assert saved.headers["Content-Disposition"] == 'attachment; filename="meeting_recording.mp4"'
    for shot in [*page["results"], single]:
        download = requests.get(shot["url"], timeout=10)
        name = f"{shot['id']}.png"
        assert download.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert download.content == files[f"screenshots/{name}"]
    assert sorted(f"screenshots/{s['id']}.png" for s in page["results"]) == shots
    shown = requests.get(inline["video_url"], timeout=10)
    assert "attachment" not in shown.headers.get("Content-Disposition", "")


@pytest.mark.slow
def test_a_role_session_ending_in_twenty_minutes_shortens_the_urls_and_says_so(
    api, recorder, config_body, moved_clock
):
    moved_clock.sts_behind(40)  # STS's sessions of an hour end 20 minutes from now
    body = config_body(**KEYS_GONE, role_arn=moved_clock.role)
    assert api.put(PUT, body, format="json").status_code == 200
    bot_id, files = recorded(api, recorder)

    audio = api.get(f"/api/v1/bots/{bot_id}/get_audio").json()
    page = api.get(f"/api/v1/bots/{bot_id}/screenshots?expires_in=600").json()

    assert 1100 < audio["expires_in"] <= 1200
    assert audio["expires_limited_by"] == "role_session"
    assert signed_life(audio["audio_url"]) == audio["expires_in"]
    ends = datetime.fromisoformat(audio["expires_at"].replace("Z", "+00:00"))
    assert ends <= datetime.now(UTC) + timedelta(seconds=1200)
    assert requests.get(audio["audio_url"], timeout=10).content == files["audio.wav"]
    for shot in page["results"]:  # asked for less than the session has left: as asked
        assert (shot["expires_in"], shot["expires_limited_by"]) == (600, None)
