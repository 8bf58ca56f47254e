"""Headless Chromium driven over its DevTools protocol, for the browser tests that need more than a
DOM dump: what a page's script holds (plotly's figures), what the browser downloads when a link is
clicked, and every console message. bench/site_bench.py drives Chromium the same way."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import connect

from tests.browser.test_html_in_chromium import chromium


class Chromium:
    def __init__(self, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1400,1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
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
        ws = ws or self.ws
        self.next_id += 1
        ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
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
        """Navigate to ``url`` and wait for its load event (the charts are drawn before it)."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            assert time.monotonic() < deadline, f"{url} did not load"
            self._event(json.loads(self.ws.recv(timeout=60)))

    def evaluate(self, expression: str):
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
