"""A local HTTP server that replays Example Labs' site as it stood on a given day."""

from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from tracker.demo import build

# The built files name the site by this address; the server answers with its own instead.
PLACEHOLDER = "https://example-labs.invalid"

_TYPES = {
    ".pdf": "application/pdf",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/rss+xml",
}


class DemoSite:
    """`with DemoSite() as site: site.day = date(...)`, then fetch from `site.url`."""

    def __init__(self) -> None:
        self.day: date = build.state_dates()[0]
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                    return
                routes = build.site_on(site.day)
                path = routes.get(self.path.split("?")[0])
                if path is None:
                    self._send(404, b"not found", "text/plain")
                    return
                body = path.read_bytes()
                if path.suffix in (".html", ".xml"):
                    body = body.replace(PLACEHOLDER.encode(), site.url.encode())
                self._send(200, body, _TYPES.get(Path(path).suffix, "text/plain"))

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> DemoSite:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
