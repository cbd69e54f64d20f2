"""A real Chromium (Debian's, driven by Playwright) against the application served on loopback.

Chromium comes from the distribution, never from a download by Playwright: when
``/usr/bin/chromium`` is missing and the tests run as root, it is installed with apt-get; else
the browser tests are skipped with the reason. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _install_chromium() -> str | None:
    """None when Chromium is there (installed now if need be), else why the tests cannot run."""
    if CHROMIUM.exists():
        return None
    if os.geteuid() != 0:
        return f"{CHROMIUM} is missing and only root can install it (apt-get install chromium)"
    for command in (["apt-get", "install", "-y", "chromium"], ["apt-get", "update"],
                    ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ,
                                                                               "DEBIAN_FRONTEND": "noninteractive"})
        if command[1] == "install" and done.returncode == 0 and CHROMIUM.exists():
            return None
    return f"could not install Debian's chromium: {done.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def chromium() -> Path:
    missing = _install_chromium()
    if missing:
        pytest.skip(missing)
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    # Playwright must never fetch a browser of its own; launch() gives Chromium a fresh
    # temporary profile (--user-data-dir) and removes it afterwards.
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[web.Application], Awaitable[str]]]:
    """Serve an application on a random loopback port: ``url = await serve(app)``."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()
