"""Browser tests drive Debian's Chromium through Playwright's Python API (no browser download)."""

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium(live_server):
    """A headless Chromium for one test (the live server runs beside it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium):
    """A desktop-sized tab in Traditional Chinese."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-TW")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
