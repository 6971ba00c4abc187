"""Open pages in headless Chromium over the DevTools protocol: console errors, images, network.

Debian's ``chromium`` package is driven directly (its own headless mode and remote debugging),
through ``websocket-client``, which Jupyter already installs: no Playwright, no downloaded
browser. :func:`chromium_path` is None when Chromium is missing; tests then skip with
:data:`INSTALL`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTALL = "apt-get install -y chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-port=0",
]
_IMAGES = """JSON.stringify([...document.images].map(i => ({
    alt: i.getAttribute('alt'), complete: i.complete, width: i.naturalWidth})))"""
# What a reader sees: the document's width, every table cell and caption, the headings with
# nothing under them before the next heading of the same or a higher level, inline code, text.
_LAYOUT = """(() => {
  const text = e => (e.innerText || e.textContent || '').replace(/\u00b6/g, '').trim();
  const blocks = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6,p,li,table,img,pre,svg')];
  const level = e => /^H[1-6]$/.test(e.tagName) ? Number(e.tagName[1]) : 0;
  const empty = blocks.filter((e, i) => level(e) && (!text(e) || !blocks[i + 1]
      || (level(blocks[i + 1]) && level(blocks[i + 1]) <= level(e)))).map(text);
  return JSON.stringify({
    width: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    cells: [...document.querySelectorAll('td, th')].map(text),
    uncaptioned: [...document.querySelectorAll('table')]
      .filter(t => !(t.caption && text(t.caption))).map(t => text(t).slice(0, 80)),
    empty_headings: empty,
    code: [...document.querySelectorAll('code')].map(text),
    title: document.title,
    text: document.body.innerText,
  });
})()"""
# The page's Content-Security-Policy (meta tag) and every attribute holding a javascript: URL.
_SAFETY = """JSON.stringify({
    csp: [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]')]
        .map(m => m.getAttribute('content')),
    javascript_urls: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
        .filter(a => /^\\s*javascript:/i.test(a.value))
        .map(a => e.tagName + ' ' + a.name + '=' + a.value))})"""


def chromium_path() -> str | None:
    """Path of the Chromium executable (``JOURNEYLIB_CHROMIUM`` or on PATH), else None."""
    for name in (os.environ.get("JOURNEYLIB_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


@dataclass
class PageCheck:
    """What one page did: console errors, exceptions, requests, images and a screenshot."""

    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)
    csp: list[str] = field(default_factory=list)
    javascript_urls: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def remote_requests(self) -> list[str]:
        """Requests to anything but the page's own file and inline data."""
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


class Chromium:
    """One headless Chromium with a fresh profile; use as a context manager."""

    def __init__(self, executable: str, *, timeout: float = 60) -> None:
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="journeylib-chromium-"))
        args = [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = self._port()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _port(self) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.process.returncode}")
            if marker.exists() and (lines := marker.read_text().split()):
                return int(lines[0])
            time.sleep(0.1)
        raise TimeoutError("chromium did not open its DevTools port")

    def _page_socket(self) -> Any:
        import websocket

        url = f"http://127.0.0.1:{self.port}/json/new?about:blank"
        request = urllib.request.Request(url, method="PUT")
        with urllib.request.urlopen(request, timeout=self.timeout) as reply:
            target = json.load(reply)
        return websocket.create_connection(
            target["webSocketDebuggerUrl"], timeout=self.timeout, suppress_origin=True
        )

    def check(self, page: Path, screenshot: Path | None = None, width: int = 1280) -> PageCheck:
        """Load ``page``; collect errors, requests, images and layout; save a screenshot."""
        result = PageCheck(page.resolve().as_uri())
        ws = _Session(self._page_socket(), result, self.timeout)
        try:
            for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
                ws.call(method)
            ws.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                    deviceScaleFactor=1, mobile=False)  # fmt: skip
            ws.call("Page.navigate", url=result.url)
            ws.wait_for("Page.loadEventFired")
            ws.drain(0.5)  # late console messages
            value = ws.call("Runtime.evaluate", expression=_IMAGES, returnByValue=True)
            result.images = json.loads(value["result"]["value"])
            value = ws.call("Runtime.evaluate", expression=_LAYOUT, returnByValue=True)
            result.layout = json.loads(value["result"]["value"])
            value = ws.call("Runtime.evaluate", expression=_SAFETY, returnByValue=True)
            safety = json.loads(value["result"]["value"])
            result.csp, result.javascript_urls = safety["csp"], safety["javascript_urls"]
            if screenshot is not None:
                shot = ws.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                result.screenshot = screenshot
        finally:
            ws.close()
        return result


class _Session:
    """A DevTools websocket: numbered calls, events recorded into a PageCheck."""

    def __init__(self, socket: Any, result: PageCheck, timeout: float) -> None:
        self.socket, self.result, self.timeout, self.next_id = socket, result, timeout, 0
        self.seen: list[str] = []

    def close(self) -> None:
        self.socket.close()

    def _record(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        self.seen.append(method)
        if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            args = params.get("args", [])
            self.result.errors.append(" ".join(str(a.get("value", a)) for a in args))
        elif method == "Runtime.exceptionThrown":
            self.result.errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            self.result.errors.append(f"{entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            self.result.requests.append(params["request"]["url"])

    def _receive(self) -> dict:
        message = json.loads(self.socket.recv())
        if "method" in message:
            self._record(message)
        return message

    def call(self, method: str, **params: Any) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + self.timeout
        while event not in self.seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event} within {self.timeout} s")
            self._receive()

    def drain(self, seconds: float) -> None:
        import websocket

        self.socket.settimeout(seconds)
        try:
            while True:
                self._receive()
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.socket.settimeout(self.timeout)
