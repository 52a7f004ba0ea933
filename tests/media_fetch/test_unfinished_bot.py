"""A fetch on a bot that has not left yet says so, with its status, instead of 'no audio'."""

import pytest

from tests.support.media import create_bot

FETCHES = [
    "/api/v1/bots/{bot_id}/get_audio",
    "/api/v1/bots/{bot_id}/get_audio?format=mp3",
    "/api/v1/bots/{bot_id}/get_video",
    "/api/v1/bots/{bot_id}/screenshots",
    "/api/v1/bots/{bot_id}/screenshots/00000000-0000-0000-0000-000000000001",
    "/api/v1/bots/{bot_id}?type=chat",
    "/api/v1/bots/{bot_id}?type=participants",
    "/api/v1/bots/{bot_id}?type=transcription",
    "/api/v1/transcript/{transcript_id}/get_transcript",
    "/api/v1/transcript/{transcript_id}/get_transcript?raw=true",
]


@pytest.mark.slow
@pytest.mark.parametrize("fetch", FETCHES)
def test_every_fetch_on_a_joining_bot_is_a_404_naming_its_status(api, fetch):
    bot = create_bot(api, "https://meet.google.com/abc-defg-hij")

    response = api.get(fetch.format(**bot))

    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "Joining"
    assert body["message"] == (
        "The bot is still Joining; its media is uploaded after it leaves the meeting."
    )


def test_a_fetch_on_a_bot_in_the_meeting_names_that_status(api, recorder):
    bot = create_bot(api)
    assert recorder.post(f"/internal/v1/bots/{bot['bot_id']}/joined").status_code == 200

    response = api.get(f"/api/v1/bots/{bot['bot_id']}/get_audio")

    assert response.status_code == 404
    assert response.json()["status"] == "InMeeting"
    assert "still InMeeting" in response.json()["message"]
