"""GraphiQL in a real headless Chromium with no route to the internet, as on a bank's network.

Chromium (Debian's package, driven by Playwright) gets a dead proxy for everything but
loopback and a resolver that resolves nothing else, and the test first proves it cannot
reach a CDN. It then opens ``c360 serve``'s GraphiQL, checks the editor shows the example
query with the explain header, runs it with the run button, and reads the response pane:
the data and ``extensions.explain`` must be there. Every request the page made must have
gone to the service itself. Screenshots are kept under ``$C360_TEST_ARTIFACTS`` (default
``test-artifacts/``) and their paths printed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.artifacts import artifacts_dir
from tests.end_to_end.live_service import SMALL_BANK_CUSTOMERS
from tests.external_tools import tool_missing

CHROMIUM = os.environ.get("C360_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = 60_000  # an upper bound for a loaded 2-core machine, not a performance claim
OFFLINE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # no route out: names resolve to nothing, and anything not loopback goes to a dead proxy
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
]
RESULT_PANE = ".result-window"
RESULT_TEXT_JS = "() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, checked before the service starts (session fixtures set up first)."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        tool_missing(f"Chromium ({CHROMIUM})", "apt-get install -y --no-install-recommends chromium")
    if importlib.util.find_spec("playwright") is None:
        tool_missing("the playwright Python package", "pip install -e '.[test]'")
    return CHROMIUM


@pytest.fixture
def browser_context(chromium: str, tmp_path: Path) -> Iterator[object]:
    """A fresh Chromium profile with no route to the internet."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium,
            headless=True,
            args=OFFLINE_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def test_graphiql_works_offline_and_shows_the_result_and_the_explain(
    chromium: str, small_service: str, browser_context, capsys: pytest.CaptureFixture[str]
) -> None:
    # `chromium` comes first so a missing browser skips before the service is started
    from playwright.sync_api import Error as PlaywrightError

    probe = browser_context.new_page()
    with pytest.raises(PlaywrightError):
        probe.goto("https://unpkg.com/graphiql/", timeout=WAIT_MS)  # the old page's CDN
    probe.close()

    page = browser_context.new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}"))

    def on_console(message) -> None:
        if message.type == "error":  # CSP refusals, SRI mismatches, failed loads all land here
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    page.goto(f"{small_service}/graphql", timeout=WAIT_MS)
    try:
        page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=WAIT_MS)
    except PlaywrightError:
        page.screenshot(path=str(artifacts_dir() / "graphiql-offline-blank.png"))
        pytest.fail(f"GraphiQL did not render its editor; the browser said: {problems}", pytrace=False)
    editor = page.evaluate("() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()")
    assert "query CustomerScreen" in editor
    assert '"X-C360-Explain": "1"' in page.inner_text(".graphiql-editor-tool")
    tabs = page.locator(".graphiql-tab").all_inner_texts()
    assert [t.strip() for t in tabs] == ["CustomerScreen", "CustomerProfile", "PortfolioOverview", "Neighborhood", "AuditTrail"]

    page.click(".graphiql-execute-button")
    page.wait_for_function(f"() => {{ const t = ({RESULT_TEXT_JS})(); return t.includes('totalCalls'); }}",
                           timeout=WAIT_MS)
    response = json.loads(page.evaluate(RESULT_TEXT_JS))
    assert "errors" not in response, response["errors"]
    assert response["data"]["customers"]["totalCount"] == SMALL_BANK_CUSTOMERS
    assert len(response["data"]["customers"]["edges"]) == 5
    assert response["extensions"]["explain"]["totalCalls"] >= 1
    assert f'"totalCount": {SMALL_BANK_CUSTOMERS}' in page.inner_text(RESULT_PANE)  # on screen, not only in memory

    folder = artifacts_dir()
    result_shot = folder / "graphiql-offline-result.png"
    page.screenshot(path=str(result_shot))

    # scroll extensions.explain to the top of the response pane, as a user would; highlight
    # the text first so the screenshot shows it coloured, not mid-way through highlighting
    page.evaluate("""() => {
        const cm = document.querySelector('.result-window .CodeMirror').CodeMirror;
        const line = cm.getValue().split('\\n').findIndex(l => l.includes('"extensions"'));
        cm.getStateAfter(Math.min(line + 60, cm.lastLine()), true);
        cm.scrollTo(null, cm.heightAtLine(line, 'local'));
    }""")
    page.wait_for_function("() => document.querySelector('.result-window').innerText.includes('totalCalls')",
                           timeout=WAIT_MS)
    explain_shot = folder / "graphiql-offline-explain.png"
    page.screenshot(path=str(explain_shot))
    with capsys.disabled():
        print(f"\nGraphiQL screenshots: {result_shot} {explain_shot}")

    outside = [url for url in requested if urlsplit(url).hostname != "127.0.0.1"]
    assert not outside, f"the page asked for something outside the service: {outside}"
    assert not problems, problems
