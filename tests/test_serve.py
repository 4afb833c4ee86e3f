"""``bpstep serve`` in headless Chromium (Playwright driving Debian's /usr/bin/chromium): the page
loads, keys typed in the page step the debugger (the screenshot changes, and ``g`` brings the
first screen back), and the step panel's formula is on the screen (read from the app's output
frames over the page's websocket, as the canvas has no DOM text). The server runs in its own
process group, killed whole; no process of it is left."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def server():  # noqa: ANN201
    pytest.importorskip("textual_serve")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bpstep", "serve", "exercise", "--port", str(port)],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("bpstep serve did not start")
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the server and every app it spawned
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _group_alive(proc.pid), "a process of bpstep serve was left running"


def test_binds_to_localhost_by_default() -> None:
    from bpstep.cli import build_parser

    args = build_parser(["serve"]).parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.scenario == "exercise"


def test_page_loads_and_keys_step_the_debugger(server: int) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            response = page.goto(f"http://127.0.0.1:{server}/")
            assert response is not None and response.ok
            start = page.locator("#start")
            time.sleep(1)
            if start.count() and start.first.is_visible():
                start.first.click()
            first = None
            for _ in range(40):  # until the app has drawn (the canvas stops changing)
                time.sleep(0.5)
                shot = page.screenshot()
                if shot == first:
                    break
                first = shot
            page.mouse.click(640, 400)  # focus the terminal
            time.sleep(0.5)
            first = page.screenshot()
            for _ in range(3):
                page.keyboard.press("n")
            time.sleep(2)
            stepped = page.screenshot()
            assert stepped != first, "keys typed in the page did not change the screen"
            page.keyboard.press("g")  # back to the first step: the first screen again
            time.sleep(2)
            assert page.screenshot() == first
        finally:
            browser.close()


def test_step_formula_on_screen(server: int) -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def frames() -> str:
        seen = b""
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"http://127.0.0.1:{server}/ws?width=120&height=36") as ws:
            deadline = time.monotonic() + 30
            sent = False
            while time.monotonic() < deadline:
                try:
                    msg = await ws.receive(timeout=1)
                except TimeoutError:
                    msg = None
                if msg is not None and msg.type == aiohttp.WSMsgType.BINARY:
                    seen += msg.data
                if not sent and b"Timeline" in seen:
                    await ws.send_json(["stdin", "n"])  # to Z1: its formula in the step panel
                    sent = True
                if sent and "z_h1 = w1·x1".encode() in seen:
                    break
            await ws.send_json(["stdin", "\x11"])  # ctrl+q
        return seen.decode("utf-8", "replace")

    text = asyncio.run(frames())
    assert "z_h1 = w1·x1 + w3·x2 + w5·x3 + b1" in text
