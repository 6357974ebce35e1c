"""Open a local page in headless Chromium over the DevTools protocol (a pipe, so no extra packages).

Chromium reads protocol commands on fd 3 and writes replies and events on fd 4, each message a JSON
object ended by a NUL byte. `open_page` loads one file and returns what it logged, requested and
evaluated, plus a full-page screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.procs import wait_or_kill

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    return os.environ.get("CODEMILL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    result: dict
    screenshot: bytes
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


class _Pipe:
    """One DevTools connection: send commands, read replies, keep every event seen on the way."""

    def __init__(self, command_fd: int, reply_fd: int, timeout: float):
        self.command_fd, self.reply_fd, self.timeout = command_fd, reply_fd, timeout
        self.buffer, self.events, self.next_id = b"", [], 0

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.reply_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self.reply_fd, 1 << 20) if ready else b""
            if not chunk:
                raise TimeoutError("chromium did not answer in time (or exited)")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self.command_fd, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def send(self, method: str) -> None:
        """A command whose reply we do not wait for (Browser.close may exit before answering)."""
        self.next_id += 1
        os.write(self.command_fd, json.dumps({"id": self.next_id, "method": method}).encode() + b"\0")

    def wait_for(self, method: str) -> None:
        if any(event.get("method") == method for event in self.events):
            return
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method:
                return


def _launch(executable: str, profile: Path) -> tuple[subprocess.Popen, int, int]:
    command_read, command_write = os.pipe()
    reply_read, reply_write = os.pipe()

    def to_fds_3_and_4() -> None:
        """In the child: put the pipe ends on fds 3 and 4 (copied high first, so neither clobbers the other)."""
        high_command = fcntl.fcntl(command_read, fcntl.F_DUPFD, 10)
        high_reply = fcntl.fcntl(reply_write, fcntl.F_DUPFD, 10)
        os.dup2(high_command, 3)
        os.dup2(high_reply, 4)
        os.close(high_command)
        os.close(high_reply)

    # close_fds=False keeps the new fds 3 and 4; every other fd Python opened is close-on-exec anyway
    process = subprocess.Popen(
        [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        close_fds=False, preexec_fn=to_fds_3_and_4,
    )
    os.close(command_read)
    os.close(reply_write)
    return process, command_write, reply_read


def _collect(visit: PageVisit, events: list[dict]) -> None:
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            visit.console_errors.append(json.dumps(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            visit.console_errors.append(json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            visit.console_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            visit.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Page.javascriptDialogOpening":
            visit.dialogs.append(params.get("message", ""))


def open_page(executable: str, page: Path, profile: Path, expression: str, timeout: float = 60) -> PageVisit:
    """Load `page`, evaluate `expression` (must return JSON-serialisable data), take a screenshot."""
    process, command_fd, reply_fd = _launch(executable, profile)
    pipe = _Pipe(command_fd, reply_fd, timeout)
    try:
        target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
        session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.call(f"{domain}.enable", session)
        pipe.call("Emulation.setDeviceMetricsOverride", session, width=1280, height=900, deviceScaleFactor=1, mobile=False)
        pipe.call("Page.navigate", session, url=page.resolve().as_uri())
        pipe.wait_for("Page.loadEventFired")
        evaluated = pipe.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
        height = pipe.call("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
        shot = pipe.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": 1280, "height": min(height, 12000), "scale": 1})
        pipe.send("Browser.close")
    finally:
        os.close(command_fd)
        os.close(reply_fd)
        wait_or_kill(process, 15)
    if "exceptionDetails" in evaluated:
        raise RuntimeError(f"page check failed: {evaluated['exceptionDetails']}")
    visit = PageVisit(result=evaluated["result"].get("value"), screenshot=base64.b64decode(shot["data"]))
    _collect(visit, pipe.events)
    return visit
