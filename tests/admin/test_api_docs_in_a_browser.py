"""The API docs page as people meet it, in a real headless Chromium: Authorize takes the key,
and Try it out answers 200."""

import os

import pytest

from meetstream.tenants.services import api_key_create
from tests.admin.test_admin_in_a_browser import CHROMIUM, FLAGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
]


def test_the_docs_page_authorises_with_the_key_and_try_it_out_gets_200(
    live_server, tenant, monkeypatch
):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    key = api_key_create(tenant=tenant).plaintext
    sent: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on(
            "request",
            lambda request: (
                sent.append(request.headers.get("authorization", ""))
                if "/api/v1/admin/configs" in request.url
                else None
            ),
        )
        page.goto(f"{live_server.url}/api/docs/")
        page.click("button.authorize")
        page.fill(".auth-container input[type=text]", key)
        page.click(".auth-btn-wrapper button.authorize")
        authorised = page.locator(".auth-container").first.inner_text()
        page.click(".auth-btn-wrapper button.btn-done")

        operation = page.locator("#operations-storage-storage_config_get")
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()
        status = operation.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for()
        answered = status.inner_text()
        body = operation.locator(".live-responses-table .microlight").first.inner_text()
        curl = operation.locator(".curl-command").inner_text()
        if shots := os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{shots}/api-docs.png", full_page=False)

        put = page.locator("#operations-storage-storage_config_put")
        put.locator(".opblock-summary").click()
        request_example = put.locator(".opblock-section-request-body .microlight").first
        request_example.wait_for()
        shown_request = request_example.inner_text()
        unauthorized = put.locator("tr.response[data-code='401'] .microlight").first.inner_text()
        if shots:
            put.screenshot(path=f"{shots}/api-docs-put.png")
        browser.close()

    assert "Authorized" in authorised, authorised
    assert answered.strip() == "200", body
    assert '"StorageConfig"' in body
    assert sent == [f"Token {key}"]
    assert f"Authorization: Token {key}" in curl, curl  # what a reader copies works too
    assert '"provider": "aws"' in shown_request, shown_request  # a body to copy, whole
    assert '"code": "not_authenticated"' in unauthorized, unauthorized
    assert "reason" not in unauthorized and "status" not in unauthorized  # one shape's fields
