"""Headless Chromium from the distribution (`make chromium`: /usr/bin/chromium), driven by
Playwright for the retention workspace's browser tests. Playwright never downloads a browser
here: it launches the installed one."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path(os.environ.get("FREQUENTA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Room for a slow machine: the pages wait on the gateway, which waits on the services.
expect.set_options(timeout=30_000)


@contextmanager
def chromium() -> Iterator[Browser]:
    """The distribution's Chromium, headless; the tests are skipped (saying why) without it."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make chromium` installs it (apt-get chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """A fresh browser context (its own sessionStorage) on the gateway, with the page's
    uncaught script errors collected: a test ends by checking there were none."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.base_url = base_url
        self.context = browser.new_context(
            viewport={"width": 1366, "height": 900},
            locale="pt-BR",
            timezone_id="America/Sao_Paulo",
        )
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str) -> Page:
        self.page.goto(f"{self.base_url}{path}")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def log_in(self, login: str, password: str) -> Page:
        page = self.open("/painel/login")
        page.fill("#login", login)
        page.fill("#senha", password)
        page.click("#entrar button[type=submit]")
        return page

    def session(self) -> str | None:
        return self.page.evaluate("sessionStorage.getItem('frequenta.sessao')")

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], f"script errors in the page: {self.errors}"
