"""`GET /api/v1/bots`: the tenant's bots newest first, filtered, a cursor page at a time."""

import base64
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bots.bot.retention import media_expire
from bots.models import Bot
from tests.bots.conftest import PUT
from tests.support.media import STATUS, create_bot, hand_over, uploaded_screenshot_rows

LIST = "/api/v1/bots"


def cursor(*, position: str) -> str:
    """A cursor as DRF encodes one (offset, reverse, position), holding this position."""
    return base64.b64encode(urlencode({"o": 0, "p": position}).encode()).decode()


def listed(api, **query) -> list[dict]:
    response = api.get(LIST, query)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_tenants_bots_newest_first_with_their_media(api, other_api, recorder):
    older = create_bot(api)
    hand_over(recorder, older["bot_id"], {"chats.json": b"[]"})
    newer = create_bot(api)
    create_bot(other_api)

    results = listed(api)

    assert [b["bot_id"] for b in results] == [newer["bot_id"], older["bot_id"]]
    bot = Bot.objects.get(public_id=older["bot_id"])
    assert results[1] == {
        "bot_id": older["bot_id"],
        "transcript_id": older["transcript_id"],
        "status": "Done",
        "platform": "google_meet",
        "created_at": bot.created_at.isoformat().replace("+00:00", "Z"),
        "storage_config": None,
        "media": {"state": "uploaded", "artifacts": 2, "uploaded": 2},
    }
    assert results[0]["media"] == {"state": "pending", "artifacts": 0, "uploaded": 0}


@pytest.mark.slow
def test_cursor_pages_walk_every_bot_once_both_ways(api):
    made = [create_bot(api)["bot_id"] for _ in range(5)]

    seen, url, pages = [], f"{LIST}?page_size=2", []
    while url:
        page = api.get(url).json()
        pages.append(page)
        seen += [b["bot_id"] for b in page["results"]]
        url = page["next"]

    assert seen == made[::-1]
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    back = api.get(pages[-1]["previous"]).json()
    assert [b["bot_id"] for b in back["results"]] == seen[2:4]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"status": "Sleeping"}, "status"),
        ({"media_state": "lost"}, "media_state"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "9999-12-31T23:59:59-14:00"}, "created_after"),
        ({"created_before": "0001-01-01T00:00:00+14:00"}, "created_before"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        # A position that overflows in UTC, and one that is no time at all.
        ({"cursor": cursor(position="9999-12-31T23:59:59-14:00")}, "cursor"),
        ({"cursor": cursor(position="0001-01-01T00:00:00+14:00")}, "cursor"),
        ({"cursor": cursor(position="soon")}, "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_them(api, query, field):
    response = api.get(LIST, query)

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_filters_by_status_and_creation_time(api, recorder):
    done = create_bot(api)
    hand_over(recorder, done["bot_id"], {"chats.json": b"[]"})
    joining = create_bot(api)
    Bot.objects.filter(public_id=done["bot_id"]).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    cut = (timezone.now() - timedelta(days=1)).isoformat()

    assert [b["bot_id"] for b in listed(api, status="Done")] == [done["bot_id"]]
    assert [b["bot_id"] for b in listed(api, created_after=cut)] == [joining["bot_id"]]
    assert [b["bot_id"] for b in listed(api, created_before=cut)] == [done["bot_id"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_each_media_state_filter_finds_exactly_the_bots_the_status_endpoint_puts_there(
    api, recorder, config_body, s3_server, bucket
):
    pending = create_bot(api)
    expired = create_bot(api, recording_config={"retention": {"type": "timed", "hours": 1}})
    hand_over(recorder, expired["bot_id"], {"chats.json": b"[]"})
    media_expire(now=timezone.now() + timedelta(hours=2))
    uploaded = create_bot(api)
    hand_over(recorder, uploaded["bot_id"], {"chats.json": b"[]"})
    deleted = create_bot(api)
    hand_over(recorder, deleted["bot_id"], {"chats.json": b"[]"})
    api.post(f"/api/v1/bots/{deleted['bot_id']}/delete_data")
    assert api.put(PUT, config_body(), format="json").status_code == 200
    s3_server.client().delete_bucket(Bucket=bucket)
    failed = create_bot(api)
    hand_over(recorder, failed["bot_id"], {"chats.json": b"[]"})

    expected = {
        "pending": pending["bot_id"],
        "uploaded": uploaded["bot_id"],
        "deleted": deleted["bot_id"],
        "failed": failed["bot_id"],
        "expired": expired["bot_id"],
    }
    for state, bot_id in expected.items():
        assert [b["bot_id"] for b in listed(api, media_state=state)] == [bot_id], state
        assert api.get(STATUS.format(bot_id)).json()["media"]["state"] == state
    assert listed(api, media_state="retrying") == []


@pytest.mark.slow
def test_the_query_count_does_not_grow_with_the_page_size(api, tenant):
    for _ in range(60):
        bot = Bot.objects.create(tenant=tenant, meeting_link="https://zoom.us/j/1", platform="zoom")
        uploaded_screenshot_rows(bot, 3, bucket="b")

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(listed(api, page_size=page_size)) == page_size
        return len(captured)

    assert queries(5) == queries(50)


@pytest.fixture
def table_order():
    """On PostgreSQL, the plan a large table may get instead of the listing index (which holds
    ties in id order): rows read as stored, then sorted, ties in whatever order they came."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_indexscan = off")
        cursor.execute("SET enable_bitmapscan = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_indexscan")
            cursor.execute("RESET enable_bitmapscan")


def test_bots_created_at_one_instant_page_once_each_while_rows_change(api, table_order):
    made = [create_bot(api)["bot_id"] for _ in range(6)]
    Bot.objects.filter(public_id__in=made).update(created_at=timezone.now())

    first = api.get(f"{LIST}?page_size=2").json()
    # Rows written between two pages move in the table (PostgreSQL writes a new version): an
    # order that leaves ties to the database would now list them elsewhere.
    for bot_id in made[:2]:
        Bot.objects.filter(public_id=bot_id).update(created_at=F("created_at"))
    seen, url = [b["bot_id"] for b in first["results"]], first["next"]
    while url:
        page = api.get(url).json()
        seen += [b["bot_id"] for b in page["results"]]
        url = page["next"]

    assert seen == made[::-1]


def test_the_creation_time_filters_leave_out_the_cut_itself(api):
    at_the_cut, after = create_bot(api), create_bot(api)
    cut = timezone.now() - timedelta(hours=1)
    Bot.objects.filter(public_id=at_the_cut["bot_id"]).update(created_at=cut)
    Bot.objects.filter(public_id=after["bot_id"]).update(created_at=cut + timedelta(seconds=1))

    assert [b["bot_id"] for b in listed(api, created_after=cut.isoformat())] == [after["bot_id"]]
    assert listed(api, created_before=cut.isoformat()) == []
    before = (cut + timedelta(microseconds=1)).isoformat()
    assert [b["bot_id"] for b in listed(api, created_before=before)] == [at_the_cut["bot_id"]]
