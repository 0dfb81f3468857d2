"""Browser tests drive Debian's Chromium through Playwright's Python API (no browser download)."""

import pytest


@pytest.fixture
def page(chromium):
    """A desktop-sized tab in Traditional Chinese."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-TW")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
