"""A Hugging Face compatible hub on 127.0.0.1, serving local folders as model repositories.

It answers what `audiogpt models pull` asks: the revision API, the paged tree listing
(with LFS SHA-256 for large files and git blob ids for all), and `resolve` downloads,
redirected to a file host on "localhost" (another host, as the real hub's CDN is) that
honours Range requests. Faults can be injected per file: a connection dropped after some
bytes, or a corrupted byte. Standard library only; it runs in a background thread.

    with HubStandIn({"org/model": folder}) as hub:
        hub.drop_after["model.bin"] = 1000
        ...  # point HF_ENDPOINT at hub.url; read hub.requests afterwards
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_THRESHOLD = 1024  # bytes; larger files are listed as LFS objects, as on the hub
PAGE = 2  # tree entries per page, so paging is exercised


def describe(root: Path, path: Path) -> dict[str, object]:
    """A tree entry as the hub lists it."""
    data = path.read_bytes()
    entry: dict[str, object] = {
        "type": "file", "path": path.relative_to(root).as_posix(), "size": len(data),
        "oid": hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()}
    if len(data) > LFS_THRESHOLD:
        entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data),
                        "pointerSize": 134}
    return entry


class HubStandIn:
    """The hub and its file host; records every request (method, path, headers)."""

    def __init__(self, repos: dict[str, Path]) -> None:
        self.repos = repos
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.drop_after: dict[str, int] = {}  # file path -> bytes sent before dropping, once
        self.corrupt: set[str] = set()  # file paths served with one byte flipped
        self.gated: set[str] = set()  # repos whose files need a token, as gated ones do
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> HubStandIn:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                hub.requests.append(("GET", self.path, dict(self.headers)))
                url = urlsplit(self.path)
                try:
                    hub.route(self, url.path, parse_qs(url.query))
                except KeyError:
                    self.send_error(404)

        return Handler

    def route(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if path.startswith("/api/models/") and "/revision/" in path:
            repo = path.removeprefix("/api/models/").split("/revision/")[0]
            if repo not in self.repos:
                raise KeyError(repo)
            return self._json(h, {"id": repo, "sha": COMMIT})
        if path.startswith("/api/models/") and "/tree/" in path:
            repo, rest = path.removeprefix("/api/models/").split("/tree/")
            root = self.repos[repo]
            entries = [describe(root, p) for p in sorted(root.rglob("*")) if p.is_file()]
            start = int(query.get("cursor", ["0"])[0])
            page = entries[start:start + PAGE]
            link = {}
            if start + PAGE < len(entries):
                link["Link"] = (f'<{self.url}{path}?recursive=true&cursor={start + PAGE}>; '
                                'rel="next"')
            return self._json(h, page, link)
        if "/resolve/" in path:
            repo, rest = path.lstrip("/").split("/resolve/")
            commit, file = rest.split("/", 1)
            if repo in self.gated and "Authorization" not in h.headers:
                return h.send_error(401)  # the hub's answer to a download without a token
            if commit != COMMIT or not (self.repos[repo] / file).is_file():
                raise KeyError(file)
            h.send_response(302)
            h.send_header("Location", f"http://localhost:{self._server.server_port}/cdn/"
                                      f"{repo}/{file}")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        if path.startswith("/cdn/"):
            return self._file(h, path.removeprefix("/cdn/"))
        raise KeyError(path)

    def _file(self, h: BaseHTTPRequestHandler, where: str) -> None:
        repo = next(r for r in self.repos if where.startswith(r + "/"))
        file = where.removeprefix(repo + "/")
        data = bytearray((self.repos[repo] / file).read_bytes())
        if file in self.corrupt:
            data[len(data) // 2] ^= 0xFF
        start = 0
        if (wanted := h.headers.get("Range", "")).startswith("bytes="):
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{len(data)}")
                h.end_headers()
                return
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            h.send_response(200)
        body = bytes(data[start:])
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if (cut := self.drop_after.pop(file, None)) is not None:
            h.wfile.write(body[:cut])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(2)  # the connection drops mid-body
            return
        h.wfile.write(body)

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, body: object, headers: dict[str, str] | None = None
              ) -> None:
        data = json.dumps(body).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
