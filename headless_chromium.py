"""Headless Chromium driven over its DevTools protocol: open a page, wait for its own load event,
evaluate script in it, collect its console messages, let a click download into a folder.

The browser tests (tests/browser) and the site bench (bench/site_bench.py) both drive Chromium
this way; it lives here, at the top of the tree and outside the installed packages, so that
each imports it without the tests importing the bench or the bench the tests. It imports
nothing of openbook.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import connect

TIMEOUT_S = 60
# the switches every caller wants: no sandbox (containers), nothing fetched from the network
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


# Chromium's answers when the document a command ran in was left (a navigation committed, or the tab closed)
_LEFT = ("Inspected target navigated or closed", "Execution context was destroyed", "Cannot find context with specified id")


class NavigatedAway(RuntimeError):
    """The page a command ran in was left before it answered: a navigation (a click's, or a script's)
    committed while it ran."""


def find_chromium() -> str | None:
    """The Chromium on the PATH (Debian's package is `chromium`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """One headless Chromium with one page, over two websockets: the page's and the browser's
    (downloads are the browser's to allow)."""

    def __init__(self, profile: Path, binary: str, flags: tuple[str, ...] = ()):
        """``flags``: switches added to FLAGS for this browser."""
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, *FLAGS, *flags, "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1400,1000",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # with port 0 Chromium picks a free port and writes it into the profile
            port_file = profile / "DevToolsActivePort"
            for _ in range(600):
                if port_file.is_file() and port_file.read_text().strip():
                    break
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                target = next(t for t in json.load(resp) if t["type"] == "page")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=10) as resp:
                browser_url = json.load(resp)["webSocketDebuggerUrl"]
            self.stack = ExitStack()
            self.ws = self.stack.enter_context(connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=30))
            self.browser_ws = self.stack.enter_context(connect(browser_url, max_size=None, open_timeout=30))
        except BaseException:
            self.proc.kill()
            raise
        self.next_id = 0
        self.console: list[str] = []
        self.events: list[dict] = []
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(method)

    def call(self, method: str, ws=None, **params) -> dict:
        """Send one command and wait for its answer; the events that come first are kept."""
        ws = ws or self.ws
        self.next_id += 1
        ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv(timeout=TIMEOUT_S))
            if message.get("id") == self.next_id:
                if "error" in message:
                    left = any(text in str(message["error"]) for text in _LEFT)
                    raise (NavigatedAway if left else RuntimeError)(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message: dict) -> None:
        method = message.get("method", "")
        if method == "Runtime.consoleAPICalled":
            self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in message["params"]["args"]))
        elif method == "Runtime.exceptionThrown":
            self.console.append(message["params"]["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded":
            self.console.append(message["params"]["entry"].get("text", ""))
        else:
            self.events.append(message)

    def open(self, url: str) -> None:
        """Navigate to ``url`` and wait for its load event (the site's charts are drawn before it). On a busy
        machine a navigation still in flight (a click's page loading) can overtake this one; it is tried once
        more, and a second failure raises naming the page. A page Chromium cannot open raises at once."""
        try:
            self._navigate(url)
        except NavigatedAway as first:
            try:
                self._navigate(url)
            except NavigatedAway as second:
                raise RuntimeError(f"{url} did not load, twice: {first}; then {second}") from second

    def _navigate(self, url: str) -> None:
        """One navigation to ``url``, waited for until the load event of the document it committed: not
        a load event of the page before (one still loading when Page.navigate was sent fires its own)."""
        self.events.clear()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise RuntimeError(f"{url} did not open: {result['errorText']}")
        if "loaderId" not in result:
            raise ValueError(f"{url} differs from the page open only after '#': no new load (open about:blank first)")
        self._loaded(url, result["loaderId"])

    def expect_page(self) -> None:
        """Before an action that opens a page (a click): the events until then are not that page's."""
        self.events.clear()

    def opened_page(self) -> str:
        """After expect_page and the action: the address of the page it opened, once its load event fired."""
        return self._loaded("the page a click opened", None)

    def _loaded(self, what: str, loader: str | None) -> str:
        """Wait for the next document committed in the tab (the one of ``loader`` when given) to fire its load
        event; its address. Another document committed before then raises NavigatedAway."""
        committed, seen = None, 0
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for event in self.events[seen:]:
                method, params = event.get("method"), event.get("params", {})
                if method == "Page.frameNavigated" and not params["frame"].get("parentId"):
                    if committed is None and loader in (None, params["frame"]["loaderId"]):
                        committed = params["frame"]["url"]
                    elif committed is not None:
                        raise NavigatedAway(f"{what} was left for {params['frame']['url']} while it loaded")
                elif method == "Page.loadEventFired" and committed is not None:
                    return committed
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not load in {TIMEOUT_S} s")
            self._event(json.loads(self.ws.recv(timeout=TIMEOUT_S)))

    def evaluate(self, expression: str):
        """The value of ``expression`` in the page (a promise is awaited), as JSON gives it back; NavigatedAway
        when the page was left while it ran."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def download_to(self, folder: Path) -> None:
        """Files a click downloads land in ``folder`` under the name the page gives them."""
        folder.mkdir(parents=True, exist_ok=True)
        self.call("Browser.setDownloadBehavior", ws=self.browser_ws, behavior="allow", downloadPath=str(folder))

    def close(self) -> None:
        self.stack.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)
