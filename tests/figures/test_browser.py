"""The interactive outputs open in a real browser (headless Chromium) with the network off.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it) and is driven by Playwright for
Python with ``executable_path`` — no browser download. Skipped, saying why, only where Chromium is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(session_demo):
    return session_demo.result  # the session's demo run: read only


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _open(browser, path: Path, screenshot: Path, ready: str):
    context = browser.new_context(offline=True)  # no network at all
    page = context.new_page()
    errors, remote = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: remote.append(request.url) if not request.url.startswith("file:") else None)
    page.goto(path.as_uri())
    page.wait_for_selector(ready, timeout=30_000)
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot))
    return page, errors, remote


def test_interactive_map_draws_every_area_offline(report, browser, tmp_path):
    page, errors, remote = _open(
        browser, report.output_dir / "maps" / "interactive_people.html", tmp_path / "map.png", ".choroplethlocation"
    )
    assert errors == [] and remote == []
    assert page.locator(".choroplethlocation").count() == 91  # the first layer: every LSOA, suppressed ones in grey
    assert (tmp_path / "map.png").stat().st_size > 10_000


def test_circle_of_need_draws_every_node(report, browser, tmp_path):
    page, errors, remote = _open(
        browser, report.output_dir / "circle" / "circle_of_need.html", tmp_path / "circle.png", ".scatterlayer .point"
    )
    assert errors == [] and remote == []
    circle = report.manifest["circle"]
    assert page.locator(".scatterlayer .point").count() == circle["items"] + circle["services"] + circle["providers"]


def test_network_draws_every_service(report, browser, tmp_path):
    page, errors, remote = _open(
        browser, report.output_dir / "network" / "network.html", tmp_path / "network.png", ".scatterlayer .point"
    )
    assert errors == [] and remote == []
    traces = page.evaluate(
        "() => document.querySelector('.js-plotly-plot').data.map(t => [t.mode, t.x ? t.x.length : 0])"
    )
    nodes = sum(n for mode, n in traces if mode == "markers+text")
    assert nodes == report.manifest["network"]["services"]
