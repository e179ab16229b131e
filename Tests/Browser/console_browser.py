#!/usr/bin/env python3
"""Drives `citychain console` in headless Chromium (Debian's package) over the DevTools protocol.

Used by Tests/CityValidatorTests/Process/ConsoleProcessTests.swift, which starts real validators,
an indexer, a gateway and the console, then runs:

    console_browser.py URL --dataset D --subject S --screenshots DIR [--held DATASET]

It loads every page (screenshots kept in DIR), opens the live view of D in one tab, writes a
record of S through the form in another, waits (bounded) until the record appears in the live
view, reads it back, and checks that a request without the token and a form post without the
CSRF token are refused. Its last line is one JSON object with what it saw. Standard library only
(a small WebSocket client for the DevTools protocol).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class WebSocket:
    """A minimal RFC 6455 client: text frames, masking, ping/pong, fragmented messages."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("DevTools closed the WebSocket handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(f"DevTools refused the WebSocket: {head[:200]!r}")

    def _read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("DevTools closed the WebSocket")
            out += chunk
        return out

    def _send_frame(self, opcode: int, data: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(data)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x9:
                self._send_frame(0xA, data)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            message += data
            if b0 & 0x80:
                return message.decode()


class Tab:
    """One page target, driven with DevTools protocol calls."""

    def __init__(self, ws_url: str) -> None:
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    return self.events.pop(i)
            self.ws.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except socket.timeout:
                break
        raise TimeoutError(f"no {name} within {timeout} s")

    def goto(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def eval(self, expression: str) -> Any:
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def text(self, selector: str) -> str:
        return self.eval(f"(document.querySelector({json.dumps(selector)}) || {{innerText: ''}}).innerText") or ""

    def wait_for(self, expression: str, timeout: float = 30.0, every: float = 0.2) -> bool:
        """Evaluates `expression` until it is true, at most `timeout` seconds (the page polls on its own)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.eval(expression):
                return True
            time.sleep(every)  # polling the page's DOM with a bound: the live view updates on its own clock
        return False

    def screenshot(self, path: str) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def http(url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None) -> tuple[int, str]:
    """One HTTP request without following redirects: the status and the body."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url", help="the URL the console printed (with ?token=)")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--subject", required=True)
    ap.add_argument("--held", help="a dataset on which the agency holds a grant (checked on /grants)")
    ap.add_argument("--sealed-dataset", help="a restricted dataset the agency owns: a record written there through the form is sealed, and shown opened")
    ap.add_argument("--screenshots", required=True)
    a = ap.parse_args()
    os.makedirs(a.screenshots, exist_ok=True)
    u = urllib.parse.urlparse(a.url)
    base = f"{u.scheme}://{u.netloc}"
    token = urllib.parse.parse_qs(u.query)["token"][0]
    result: dict[str, Any] = {}

    # Refusals, over plain HTTP (no browser).
    result["no_token"] = http(base + "/datasets")[0]
    result["wrong_token"] = http(base + "/?token=" + "0" * 64)[0]
    cookie = {"Cookie": f"citychain_console={token}", "Content-Type": "application/x-www-form-urlencoded"}
    form = urllib.parse.urlencode({"dataset": a.dataset, "subject": "never-written", "payload": "{}"}).encode()
    result["post_without_csrf"] = http(base + "/write", "POST", cookie, form)[0]
    result["post_without_token"] = http(base + "/write", "POST", {"Content-Type": "application/x-www-form-urlencoded"},
                                        form + b"&csrf=guess")[0]
    result["foreign_host"] = http(base + "/", headers={"Host": "evil.example:80", "Cookie": cookie["Cookie"]})[0]

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        print(json.dumps({"error": "chromium is not installed (apt-get install chromium)"}))
        return 2
    profile = tempfile.mkdtemp(prefix="citychain-chromium-")
    proc = subprocess.Popen([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
                             "--window-size=1280,900", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        devtools = None
        for line in proc.stderr:  # ends when chromium exits; the test's time limit bounds it
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                devtools = m.group(1)
                break
        # Keep draining chromium's log so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        if devtools is None:
            print(json.dumps({"error": "chromium printed no DevTools address"}))
            return 2
        port = urllib.parse.urlparse(devtools).port
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30).read())
        first = next(t for t in targets if t.get("type") == "page")
        live = Tab(first["webSocketDebuggerUrl"])

        def shot(tab: Tab, name: str) -> None:
            tab.screenshot(os.path.join(a.screenshots, name + ".png"))

        live.goto(a.url)  # sets the cookie, redirects to the overview
        result["overview"] = live.eval("location.pathname") == "/" and "chain" in live.text("#head")
        result["overview_proof"] = live.eval("!!document.querySelector('.proof.ok')")
        shot(live, "overview")
        for path, check in [("/datasets", "#datasets"), ("/grants", "#held"), ("/audit", "#audit-form")]:
            live.goto(base + path)
            result[path.strip("/")] = bool(live.eval(f"!!document.querySelector('{check}')"))
            shot(live, path.strip("/"))
        live.goto(base + "/datasets")
        result["datasets_list"] = a.dataset in live.text("#datasets")
        result["datasets_proof"] = live.eval("document.querySelector('.proof').dataset.proof")
        if a.held:
            live.goto(base + "/grants")
            result["grant_held"] = a.held in live.text("#held")

        live.goto(base + "/live?d=" + urllib.parse.quote(a.dataset))
        result["live_started"] = live.wait_for("document.getElementById('live-status').textContent.includes('last answer as of block')")
        shot(live, "live-before")

        made = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        writer = Tab(json.loads(urllib.request.urlopen(made, timeout=30).read())["webSocketDebuggerUrl"])
        writer.goto(base + "/write?d=" + urllib.parse.quote(a.dataset))
        shot(writer, "write")
        payload = json.dumps({"zone": "B", "minutes": 30, "plate": "CONSOLE-1"})
        writer.eval(f"document.getElementById('dataset').value = {json.dumps(a.dataset)}")
        writer.eval(f"document.getElementById('subject').value = {json.dumps(a.subject)}")
        writer.eval(f"document.getElementById('payload').value = {json.dumps(payload)}")
        writer.events.clear()
        writer.eval("document.getElementById('submit').click()")
        writer.wait_event("Page.loadEventFired", timeout=60)
        result["write_status"] = writer.text("#status")
        result["receipt_proof"] = writer.eval("(document.querySelector('.proof') || {dataset: {}}).dataset.proof || ''")
        shot(writer, "receipt")

        result["live_shows_write"] = live.wait_for(f"document.querySelector('#live-rows').innerText.includes({json.dumps(a.subject)})", timeout=60)
        result["live_proof"] = live.eval("document.getElementById('live-status').className")
        shot(live, "live-after")

        writer.goto(base + "/record?d=" + urllib.parse.quote(a.dataset) + "&s=" + urllib.parse.quote(a.subject))
        result["read_back"] = "CONSOLE-1" in writer.text("#payload")
        result["record_proof"] = writer.eval("document.querySelector('.proof').dataset.proof")
        shot(writer, "record")

        if a.sealed_dataset:
            writer.goto(base + "/write?d=" + urllib.parse.quote(a.sealed_dataset))
            writer.eval(f"document.getElementById('dataset').value = {json.dumps(a.sealed_dataset)}")
            writer.eval("document.getElementById('subject').value = 'audit-1'")
            writer.eval("document.getElementById('payload').value = '{\"finding\": \"SEALED-CANARY\"}'")
            writer.events.clear()
            writer.eval("document.getElementById('submit').click()")
            writer.wait_event("Page.loadEventFired", timeout=60)
            result["sealed_write"] = writer.text("#status")
            # Without a purpose the console asks for one (the read is disclosed with it), then reads.
            writer.goto(base + "/record?d=" + urllib.parse.quote(a.sealed_dataset) + "&s=audit-1")
            result["purpose_asked"] = bool(writer.eval("!!document.getElementById('purpose-form')"))
            writer.eval("document.getElementById('purpose').value = 'console test'")
            writer.events.clear()
            writer.eval("document.getElementById('purpose-form').submit()")
            writer.wait_event("Page.loadEventFired", timeout=60)
            shown = writer.text("#payload")
            result["sealed_opened"] = shown.startswith("opened") and "SEALED-CANARY" in shown
            shot(writer, "sealed-record")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
