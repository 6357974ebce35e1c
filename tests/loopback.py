"""A real HTTP server on 127.0.0.1 for download tests: serves files with Range and If-Range support (strong
ETags), counts requests, and can drop a connection half-way through a response."""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(SimpleHTTPRequestHandler):
    server: "LoopbackServer"

    def log_message(self, *args) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, body: bool) -> None:
        self.server.requests.append((self.command, self.path, self.headers.get("Range")))
        path = self.server.root / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self.send_error(404, "Not Found")
            return
        data = path.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        start, status = 0, 200
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and self.headers.get("If-Range") not in (None, etag):
            match = None  # the file changed since the client's first part: send all of it
        if match:
            start = int(match.group(1))
            if start >= len(data):
                self.send_error(416, "Range Not Satisfiable")
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not body:
            return
        part = data[start:]
        if self.server.drops > 0:  # send half, then close the connection
            self.server.drops -= 1
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            self.close_connection = True
            if self.server.after_drop is not None:
                self.server.after_drop()
            return
        self.wfile.write(part)


class LoopbackServer(ThreadingHTTPServer):
    """`with LoopbackServer(root) as server:` serves `root` at `server.url`."""

    daemon_threads = True

    def __init__(self, root: Path):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root, self.requests, self.drops, self.after_drop = Path(root), [], 0, None
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "LoopbackServer":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def gets(self) -> list[tuple]:
        return [request for request in self.requests if request[0] == "GET"]
