"""The planner's pages in a real browser (headless Chromium, driven by Playwright), without JavaScript of our own.

The app is served by uvicorn on 127.0.0.1 (a free port) in a background thread with **secure cookies on**, as it
is deployed: Chromium treats http://127.0.0.1 as a secure origin, so the ``__Host-`` cookie works. Chromium comes
from Debian (``apt-get install chromium``), never downloaded; the test is skipped, saying why, where it is absent.

Screenshots for a human to look at: ``/tmp/planner_family.png`` (the family record) and ``/tmp/planner_plan.png``
(the printable plan).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.planner.conftest import PASSWORD
from tests.planner.test_pages import make_app

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed")
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path("/tmp")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 and a free port in a background thread; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the planner did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(planner_db, users):
    """The planner served on http://127.0.0.1:PORT (secure cookies on) for the length of one test."""
    with serve(make_app(planner_db, secure_cookies=True)) as base:
        yield base


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _watched_page(browser, base: str):
    """A page with JavaScript off, recording console errors (CSP violations among them) and off-site requests."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: None if request.url.startswith(base) else problems.append(request.url))
    page.on("response", lambda response: problems.append(response.url) if response.status == 404 else None)
    return context, page, problems


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_advisor_builds_a_family_plan_in_a_browser(server, browser):
    context, page, problems = _watched_page(browser, server)
    _sign_in(page, server, "ann")
    assert page.get_by_role("heading", level=1).inner_text() == "Your caseload"
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["__Host-circles"]["secure"] and cookies["__Host-circles"]["httpOnly"]
    assert cookies["__Host-circles"]["sameSite"] == "Strict"

    # a new family
    page.get_by_label("Family name").fill("Ashworth family")
    page.get_by_label("Postcode").fill("BB1 7DY")
    page.get_by_label("Address").fill("1 Mill Lane, Blackburn")
    page.get_by_role("button", name="Add family").click()
    page.wait_for_load_state()
    assert re.search(r"/families/[0-9a-f]{32}$", page.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Ashworth family"
    family_url = page.url

    # two issues, as they come to light
    for label, raised_by in (("Not enough money or debts", "Mum"), ("Out of work for a while", "Job Centre")):
        page.get_by_label("Issue", exact=True).select_option(label=label)
        page.get_by_label("Raised by").fill(raised_by)
        page.get_by_role("button", name="Add issue").click()
        page.wait_for_load_state()
    issues = page.locator("ol.issues > li h3").all_inner_texts()
    assert issues == ["Not enough money or debts", "Out of work for a while"]

    # every suggested service into the plan (each click posts and comes back to the family page)
    add = page.get_by_role("button", name=re.compile(r"^Add to plan"))
    suggested = add.count()
    assert suggested == 5
    for _ in range(suggested):
        add.first.click()
        page.wait_for_load_state()
    assert add.count() == 0
    plan = page.locator("table.plan tbody th[scope=row]").all_inner_texts()
    assert sorted(plan) == sorted(
        [
            "Housing",
            "Think Family advocates",
            "Family Intervention Programme",
            "Shadsworth Community Centre",
            "VOICE peer support",
        ]
    )
    # the first item moves on to referred
    page.get_by_role("button", name=re.compile(r"^Move on to referred")).first.click()
    page.wait_for_load_state()
    assert page.locator("table.plan .status-referred").count() == 1

    # a progress score
    page.locator("#score-area").select_option("Money")
    page.get_by_label("Score (1 to 10)").fill("4")
    page.get_by_role("button", name="Record score").click()
    page.wait_for_load_state()
    money = page.locator("#progress tbody tr", has=page.locator("th", has_text="Money"))
    assert money.locator("td.num").first.inner_text() == "4"
    page.screenshot(path=str(SCREENSHOTS / "planner_family.png"), full_page=True)

    # the printable plan
    page.get_by_role("link", name="Printable plan", exact=True).click()
    page.wait_for_load_state()
    assert page.url == f"{family_url}/plan"
    text = page.locator("article.plan").inner_text()
    for words in ("Our family plan", "Not enough money or debts", "Out of work for a while", *plan):
        assert words in text
    assert "We have asked them to help" in text and "4 out of 10" in text
    assert "Mill Lane" not in text and "BB1 7DY" not in text
    page.screenshot(path=str(SCREENSHOTS / "planner_plan.png"), full_page=True)

    # signing out ends it: the family page now sends the browser to sign in
    page.goto(family_url)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto(family_url)
    assert page.url == f"{server}/sign-in"
    assert problems == []  # no console error (a CSP violation would be one) and nothing fetched off-site
    assert (SCREENSHOTS / "planner_family.png").stat().st_size > 20_000
    context.close()


def test_keyboard_user_can_skip_to_the_content(server, browser):
    context, page, problems = _watched_page(browser, server)
    _sign_in(page, server, "ann")
    page.keyboard.press("Tab")
    focused = page.evaluate_handle("document.activeElement")
    assert focused.get_property("className").json_value() == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # on screen once focused
    assert problems == []
    context.close()
