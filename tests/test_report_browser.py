"""The demo report in a real browser: headless Chromium renders it without console errors,
loads nothing from the network and shows a page that is not blank.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
JSON messages ending in a NUL byte on file descriptors 3 and 4), so no Python package beyond
the standard library is needed. Skipped when no Chromium is installed (``.ci/run`` installs
it with apt when it can).
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome",
                                           "google-chrome-stable") if shutil.which(n)), None)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                                "(apt-get install chromium); the browser test needs it")


class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, width: int = 1100, height: int = 900) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        self._profile = tempfile.mkdtemp(prefix="helpstats-chromium-")

        def wire() -> None:  # in the child: Chromium reads fd 3 and writes fd 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        assert CHROMIUM is not None
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--hide-scrollbars", "--remote-debugging-pipe", f"--user-data-dir={self._profile}",
             f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire,  # only dup2 before exec
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> int:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        return self._next

    def wait(self, done: Any, timeout: float = 60.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if done(message):
                    return message
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed the debugging pipe")
                self._buffer += chunk

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        number = self.send(method, params, session)
        answer = self.wait(lambda m: m.get("id") == number)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        for fd in (self._to_chrome, self._from_chrome):
            os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)


_IMAGES = ("JSON.stringify(Array.from(document.images).map("
           "i => [i.complete, i.naturalWidth, i.naturalHeight]))")


def render(url: str, *, width: int = 1100, height: int = 900, printed: dict[str, Any] | None = None
           ) -> tuple[bytes, list[dict[str, Any]], list[list[Any]]]:
    """Load ``url``; return a full-page PNG screenshot, the DevTools events seen and, per
    image of the page, whether it loaded and its natural size. With ``printed`` (a dict), also
    emulate print media and fill it with ``nav_display`` (the contents list's CSS display) and
    ``pdf`` (the page printed to PDF, bytes)."""
    browser = DevTools(width, height)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            browser.call(domain, session=session)
        browser.call("Page.navigate", {"url": url}, session=session)
        browser.wait(lambda m: m.get("method") == "Page.loadEventFired")
        images = browser.call("Runtime.evaluate", {"expression": _IMAGES, "returnByValue": True},
                              session=session)["result"]["value"]
        shot = browser.call("Page.captureScreenshot",
                            {"format": "png", "captureBeyondViewport": True}, session=session)
        if printed is not None:
            browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
            printed["nav_display"] = browser.call(
                "Runtime.evaluate", {"expression": "getComputedStyle(document.querySelector("
                                     "'nav')).display", "returnByValue": True},
                session=session)["result"]["value"]
            pdf = browser.call("Page.printToPDF", {"printBackground": False}, session=session)
            printed["pdf"] = base64.b64decode(pdf["data"])
        return base64.b64decode(shot["data"]), browser.events, json.loads(images)
    finally:
        browser.close()


def problems(events: list[dict[str, Any]], page: str) -> list[str]:
    """Console errors and warnings, uncaught exceptions, log errors and requests off the page."""
    found = []
    for e in events:
        method, params = e["method"], e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning",
                                                                           "assert"):
            found.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not (url == page or url.startswith("data:")):
                found.append(f"request off the page: {url}")
    return found


def pixel_spread(png: bytes) -> tuple[float, float, tuple[int, ...]]:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import image

    pixels = image.imread(io.BytesIO(png), format="png")[..., :3]
    grey = pixels.mean(axis=2)
    light = (grey > 0.9).mean()  # share of (near) white
    return float(grey.std()), float(light), pixels.shape


def test_the_probe_sees_console_errors_missing_files_and_network(tmp_path: Path) -> None:
    # the checks below are only worth something if they can fail: a page with every fault
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><img src="missing.png">'
                    '<script>console.error("boom"); notDefined();</script></body></html>',
                    encoding="utf-8")
    _, events, images = render(page.as_uri(), width=400, height=300)
    assert images == [[True, 0, 0]]  # a broken image: complete, but no size
    found = problems(events, page.as_uri())
    assert any("console.error" in f and "boom" in f for f in found), found
    assert any(f.startswith("exception") for f in found), found
    assert any("missing.png" in f for f in found), found


def test_demo_report_renders_in_chromium(tmp_path: Path) -> None:
    from helpstats.cli import main

    assert main(["demo", "-o", str(tmp_path), "--no-progress"]) == 0
    report = tmp_path / "study" / "report.html"
    printed: dict[str, Any] = {}
    png, events, images = render(report.as_uri(), printed=printed)
    assert problems(events, report.as_uri()) == []
    (tmp_path / "screenshot.png").write_bytes(png)
    spread, light, shape = pixel_spread(png)
    height, width = shape[:2]
    assert width == 1100 and height > 3000  # the full page: findings, tables and figures
    assert spread > 0.05  # not a blank page (a blank page has spread 0)
    assert 0.5 < light < 0.995  # mostly white paper, with text and figures on it
    # the four embedded figures (SVG data URIs) decoded: each has its size
    assert len(images) == 4 and all(done and w > 400 and h > 200 for done, w, h in images)
    assert [e for e in events if e["method"] == "Network.loadingFailed"] == []
    # print: the @media print rules apply (the on-screen contents list is hidden) and the page
    # prints to a multi-page PDF
    assert printed["nav_display"] == "none"
    pages = re.findall(rb"/Type\s*/Page(?!s)", printed["pdf"])
    assert printed["pdf"].startswith(b"%PDF") and len(pages) >= 3
