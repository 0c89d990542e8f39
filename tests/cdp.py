"""Drive Debian's headless Chromium over the DevTools protocol, with the standard library only.

Chromium started with ``--remote-debugging-pipe`` reads protocol messages from its fd 3 and
writes them to its fd 4, each a JSON object ended by a NUL byte: no WebDriver, no websocket
client. Input goes through ``Input.dispatch*Event``, so a click or a Tab is a real, trusted
browser event (Material's handlers and the focus order see it as a person's)."""

from __future__ import annotations

import fcntl
import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from types import TracebackType
from typing import Any

#: How long one protocol call, or one wait for the page, may take before the test fails; a
#: safety net against a hung browser, not a measured assertion.
DEADLINE = 60.0


class BrowserError(RuntimeError):
    """Chromium answered a call with an error, or did not answer at all."""


class Browser:
    """One headless Chromium with one page: ``with Browser(chromium) as b: b.open(url)``.

    A ``width`` x ``height`` viewport (``mobile``: a phone's, with touch), the system's colour
    scheme light or ``dark``, and ``args`` added to Chromium's command line."""

    def __init__(self, chromium: str, *, width: int = 1366, height: int = 900, mobile: bool = False,
                 dark: bool = False, args: tuple[str, ...] = ()) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="faqkb-chromium-")
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        # Above the numbers the child must get them as, so the dup2 below cannot clobber them.
        hi_read = fcntl.fcntl(to_child, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_write = fcntl.fcntl(from_child, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_child)
        os.close(from_child)

        def as_fd_3_and_4() -> None:
            os.dup2(hi_read, 3)
            os.dup2(hi_write, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--remote-debugging-pipe", f"--user-data-dir={self._profile.name}",
             f"--window-size={width},{height}", *args, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self._profile.name,
                 "LANG": "C.UTF-8"},
            cwd=self._profile.name, pass_fds=(3, 4), preexec_fn=as_fd_3_and_4, start_new_session=True)
        os.close(hi_read)
        os.close(hi_write)
        self._next_id = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        if mobile:
            self.send("Emulation.setTouchEmulationEnabled", enabled=True)
        self.send("Emulation.setEmulatedMedia",
                  features=[{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}])

    # -- the protocol
    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._in, 65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        box = self._replies.get(msg["id"])
                    if box is not None:
                        box.put(msg)
                else:
                    self._events.put(msg)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command (to the browser, or to ``session``) and return its result."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[ident] = box
        msg: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        try:
            reply = box.get(timeout=DEADLINE)
        except queue.Empty:
            raise BrowserError(f"no answer to {method} within {DEADLINE:.0f} s") from None
        finally:
            with self._lock:
                del self._replies[ident]
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the page."""
        return self.call(method, self.session, **params)

    # -- the page
    def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event and for Material to have set the page up."""
        while not self._events.empty():
            self._events.get_nowait()
        self.send("Page.navigate", url=url)
        self._wait_event("Page.loadEventFired")
        # Material's bundle sets up the page on document$; its first value is the loaded page.
        self.wait_for("typeof document$ === 'undefined' || document.querySelector('[data-md-component=\"header\"]') !== null")

    def _wait_event(self, method: str) -> dict[str, Any]:
        end = time.monotonic() + DEADLINE
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no {method} within {DEADLINE:.0f} s")
            try:
                msg = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if msg.get("method") == method and msg.get("sessionId") == self.session:
                return msg

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise BrowserError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str) -> Any:
        """Poll until ``expression`` is truthy in the page (it often needs a frame or two)."""
        end = time.monotonic() + DEADLINE
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > end:
                raise BrowserError(f"still false after {DEADLINE:.0f} s: {expression}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element ``selector`` matches."""
        box = self.js(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return null;
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        }})()""")
        if box is None:
            raise BrowserError(f"nothing matches {selector}")
        x, y = box
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def press(self, key: str, code: int) -> None:
        """A real key press (down and up): ``press("Tab", 9)``."""
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=code, nativeVirtualKeyCode=code)

    # -- the end
    def close(self) -> None:
        """Stop Chromium (its whole process group) and remove its profile."""
        try:  # no answer to wait for: the browser is gone once it has done it
            os.write(self._out, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=20)
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
