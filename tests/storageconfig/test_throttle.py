from tests.support.api import PUT


def test_config_writes_are_throttled_per_tenant(api, other_api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"storage_config_write": "2/min"},
    }

    statuses = [api.put(PUT, {}, format="json").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]
    throttled = api.put(PUT, {}, format="json")
    message, wait = throttled.json()["message"], throttled.json()["retry_after"]
    assert message.startswith("Too many storage configuration writes and checks for this tenant.")
    assert message.endswith(f"Try again in {wait} second{'' if wait == 1 else 's'}.")
    assert 0 < throttled.json()["retry_after"] <= 60
    assert throttled.json()["code"] == "throttled"
    assert throttled["RateLimit-Limit"] == "2" and throttled["RateLimit-Remaining"] == "0"
    assert throttled["RateLimit-Reset"] == throttled["Retry-After"]
    assert int(throttled["Retry-After"]) == throttled.json()["retry_after"]
    assert other_api.put(PUT, {}, format="json").status_code == 400
    assert api.get("/api/v1/admin/configs").status_code == 200
