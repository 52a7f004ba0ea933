import pytest

from bots.models import Bot
from tests.support.media import STATUS, create_bot

CREATE = "/api/v1/bots/create_bot"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("link", "platform"),
    [
        ("https://us02web.zoom.us/j/123456789?pwd=abc", "zoom"),
        ("https://zoom.us/j/987", "zoom"),
        ("https://meet.google.com/abc-defg-hij", "google_meet"),
        ("https://teams.microsoft.com/l/meetup-join/19%3ameeting", "teams"),
        ("https://teams.live.com/meet/9876", "teams"),
    ],
)
def test_create_bot_answers_201_and_takes_the_platform_from_the_link(api, tenant, link, platform):
    body = create_bot(api, link, recording_config={"transcript": {"provider": "deepgram"}})

    assert body["bot_id"].startswith("bot_") and body["transcript_id"].startswith("tr_")
    assert body["meeting_url"] == link and body["status"] == "Joining"
    bot = Bot.objects.get(public_id=body["bot_id"])
    assert (bot.tenant, bot.platform, bot.transcript_provider) == (tenant, platform, "deepgram")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bot_name": "x"}, "meeting_link"),
        ({"meeting_link": "https://meet.google.com/abc"}, "bot_name"),
        ({"meeting_link": "https://example.com/meeting", "bot_name": "x"}, "meeting_link"),
        ({"meeting_link": "http://meet.google.com/abc", "bot_name": "x"}, "meeting_link"),
        ({"meeting_link": "https://meet.google.com.evil.com/x", "bot_name": "x"}, "meeting_link"),
        ({"meeting_link": "not a link", "bot_name": "x"}, "meeting_link"),
        # schemathesis found the port unread: the schema's pattern refuses these too.
        (
            {"meeting_link": "https://x.teams.cloud.microsoft:60800*", "bot_name": "x"},
            "meeting_link",
        ),
        ({"meeting_link": "https://zoom.us:99999/j/1", "bot_name": "x"}, "meeting_link"),
        ({"meeting_link": 7, "bot_name": "x"}, "meeting_link"),
        ({"meeting_link": "https://zoom.us/j/1", "bot_name": "x" * 101}, "bot_name"),
        ({"meeting_link": "https://zoom.us/j/1", "bot_name": "x", "color": "red"}, "color"),
        (
            {"meeting_link": "https://zoom.us/j/1", "bot_name": "x", "callback_url": "nope"},
            "callback_url",
        ),
        (
            {
                "meeting_link": "https://zoom.us/j/1",
                "bot_name": "x",
                "recording_config": {"video": {}},
            },
            "recording_config.video",
        ),
        (
            {
                "meeting_link": "https://zoom.us/j/1",
                "bot_name": "x",
                "recording_config": {"transcript": {"provider": "../etc"}},
            },
            "recording_config.transcript.provider",
        ),
    ],
)
def test_create_bot_refuses_bad_input_with_400_naming_the_field(api, body, field):
    response = api.post(CREATE, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Bot.objects.exists()


def test_a_new_bot_has_pending_media(api):
    bot = create_bot(api)

    response = api.get(STATUS.format(bot["bot_id"]))

    assert response.status_code == 200
    assert response.json() == {
        "bot_id": bot["bot_id"],
        "status": "Joining",
        "retention": {"type": "forever", "hours": None, "expires_at": None},
        "media": {
            "state": "pending",
            "artifacts": 0,
            "uploaded": 0,
            "expired": 0,
            "deleted": 0,
            "kept": 0,
            "fallback": 0,
            "redeliverable_until": None,
            "failed": [],
            "files": [],
            "kept_files": [],
            "deletion_requested_at": None,
            "deletion_finished_at": None,
        },
    }


def test_another_tenants_bot_is_not_found(api, other_api):
    bot = create_bot(api)

    response = other_api.get(STATUS.format(bot["bot_id"]))

    assert response.status_code == 404
    assert response.json() == {"message": "Bot not found.", "code": "not_found"}
    assert other_api.get(STATUS.format("bot_doesnotexist")).json() == {
        "message": "Bot not found.",
        "code": "not_found",
    }
