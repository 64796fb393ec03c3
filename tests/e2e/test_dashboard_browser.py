"""The dashboard in a real browser (Playwright driving Debian's Chromium) against `guardian serve`.

Skipped only when /usr/bin/chromium is missing and CI is not "true": in CI these tests must run.
Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardian.client import GuardianClient
from guardian.server.testing import LiveServer, mint_tokens

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
               "--disable-dev-shm-usage"]  # fmt: skip
POLICY = """
rules:
  - {id: reads, action: read_file, effect: ALLOW}
  - {id: mail, action: send_email, effect: ASK, reason: mail leaving the company needs a human}
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
                       reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("e2e")
    (root / "policy.yaml").write_text(POLICY)
    url = f"sqlite:///{root / 'guardian.db'}"
    tokens = mint_tokens(url, {"bot": ("agent", None), "alice": ("approver", None)})
    with LiveServer(url, policy=root / "policy.yaml", log=root / "server.log") as server:
        yield server.url, tokens


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, served: tuple[str, dict[str, str]]) -> Iterator[Any]:
    """A signed-in approver on the pending page, its live stream connected; records dialogs."""
    url, tokens = served
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url + "/login")
    page.fill("#token", tokens["alice"])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(url + "/")
    page.wait_for_selector('#live-status[data-state="live"]', timeout=15_000)
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_an_ask_appears_live_is_approved_and_the_agent_goes_on(
    page: Any, served: tuple[str, dict[str, str]]
) -> None:
    url, tokens = served
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    bot = GuardianClient(url, tokens["bot"])
    asked = bot.decide("send_email", "partner@example.org", {"subject": "Quarterly numbers"})
    pid = asked["proposal_id"]
    answer: dict[str, Any] = {}
    waiter = threading.Thread(target=lambda: answer.update(bot.wait_for_approval(pid, 60)))
    waiter.start()

    row = page.locator(f'tr.proposal[data-proposal-id="{pid}"]')
    row.wait_for(timeout=15_000)
    assert row.locator('[data-role="target"]').text_content() == "partner@example.org"
    assert "Quarterly numbers" in (row.locator('[data-role="params"]').text_content() or "")
    assert "rule_ask" in (row.locator('[data-role="reasons"]').text_content() or "")
    page.wait_for_function(  # the deadline, fetched for the live row
        "id => [...document.querySelectorAll('tr.proposal')].some(r => r.dataset.proposalId === id"
        " && /^\\d{4}-/.test(r.querySelector('[data-role=expires]').textContent))",
        arg=pid,
    )
    shot(page, "dashboard-pending-live")
    row.locator('form[data-verb="approve"] input[name="reason"]').fill("numbers are public")
    row.locator("button.approve").click()
    page.wait_for_function(
        "id => [...document.querySelectorAll('tr.proposal')].some(r => r.dataset.proposalId === id"
        " && r.querySelector('[data-role=status]').textContent === 'approved')",
        arg=pid,
    )
    shot(page, "dashboard-approved")
    assert navigations == []  # no reload: the row came and was decided in place

    waiter.join(30)
    assert answer["status"] == "approved" and answer["decided_by"] == "alice"
    allowed = bot.decide("send_email", "partner@example.org", {"subject": "Quarterly numbers"})
    assert allowed["decision"] == "ALLOW" and allowed["approval_id"] == pid
    bot.record_receipt(allowed["decision_id"], "success", {"message_id": "m-1"})
    assert bot.decision(allowed["decision_id"])["receipt"]["status"] == "success"
    assert page.dialogs == []
    bot.close()


SCRIPT_TARGET = '<script>window.__xss = 1; alert("target")</script>'
PARAMS = {
    "quote": '" onclick="window.__xss = 2; alert(1)" x="',
    "link": "javascript:alert(3)",
    "img": '<img src=x onerror="window.__xss = 3; alert(4)">',
}


def _assert_inert(page: Any, pid: str) -> None:
    row = page.locator(f'tr.proposal[data-proposal-id="{pid}"]')
    row.wait_for(timeout=15_000)
    assert row.locator('[data-role="target"]').text_content() == SCRIPT_TARGET
    params = row.locator('[data-role="params"]').text_content() or ""
    for value in PARAMS.values():
        assert value.replace('"', '\\"') in params  # shown as the JSON text it is
    row.locator('[data-role="target"]').click()
    row.locator('[data-role="params"]').click()
    assert page.evaluate("window.__xss") is None
    assert (
        page.evaluate("document.querySelectorAll('[onclick],[onerror],a[href^=javascript]').length")
        == 0
    )
    assert (
        page.evaluate("document.querySelectorAll('tr.proposal img, tr.proposal script').length")
        == 0
    )
    scripts = page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
    assert scripts == ["/static/dashboard.js"]
    assert page.dialogs == []


def test_hostile_strings_render_as_text_and_run_nothing(
    page: Any, served: tuple[str, dict[str, str]]
) -> None:
    url, tokens = served
    with GuardianClient(url, tokens["bot"]) as bot:
        pid = bot.decide("send_email", SCRIPT_TARGET, PARAMS, {"note": "<b>bold?</b>"})[
            "proposal_id"
        ]
    _assert_inert(page, pid)  # the live row, built by dashboard.js
    shot(page, "dashboard-xss-live")
    page.reload()
    page.wait_for_selector('#live-status[data-state="live"]', timeout=15_000)
    _assert_inert(page, pid)  # the server-rendered row (Jinja autoescape)
    shot(page, "dashboard-xss-rendered")
