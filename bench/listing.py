"""Listing a tenant's bots: the page costs the same whether the tenant has 10 bots or 100,000."""

from bench.setup import Bench, ok, statistics_refresh, tenant_client
from bench.timing import Row, compare
from bots.models import Bot, BotArtifact
from meetstream.tenants.services import tenant_get_or_create


def _bots_crowd(tenant, count: int) -> None:
    """`count` Done bots of the tenant, each with one uploaded file, oldest first."""
    batch = 5000
    for start in range(0, count, batch):
        bots = Bot.objects.bulk_create(
            Bot(
                tenant=tenant,
                meeting_link="https://meet.google.com/x",
                bot_name="listed",
                platform="google_meet",
                status="Done",
            )
            for _ in range(min(batch, count - start))
        )
        BotArtifact.objects.bulk_create(
            BotArtifact(
                bot=bot,
                name="chats.json",
                category="metadata",
                content_type="application/json",
                size=2,
                sha256="0" * 64,
                state="uploaded",
                bucket="bench-bucket",
                key=f"meetstream/{bot.public_id}_chats.json",
            )
            for bot in bots
        )


def rows(bench: Bench) -> list[Row]:
    """GET /api/v1/bots (a page of 20, newest first) for a tenant with 100,000 bots vs 10."""
    clients = {}
    for name, count in (("small", 10), ("large", 100_000)):
        tenant = tenant_get_or_create(name=f"list-{name}")
        _bots_crowd(tenant, count)
        clients[name] = tenant_client(tenant)
    statistics_refresh()
    return [
        compare(
            f"GET /api/v1/bots{query}: tenant with 100,000 bots vs 10 (p50)",
            lambda q=query: ok(clients["large"].get(f"/api/v1/bots{q}")),
            lambda q=query: ok(clients["small"].get(f"/api/v1/bots{q}")),
            rounds=200,
            target=1.2 if not query else None,
        )
        for query in ("", "?status=Done&media_state=uploaded")
    ]
