"""``rmbench feedback serve``: the page and a click endpoint, stdlib only, on 127.0.0.1.

    GET  /, /index.html, /app.js, /style.css, /items.json   the public page files (nothing else)
    POST /api/click   {"session": "...", "item_id": "...", "choice": "A"|"B"}
         201 stored · 409 this session already answered the item · 400 malformed ·
         413 body too large · 415 not JSON

Every check happens before the store is touched, so a bad request changes nothing. The
provenance file and the database sit in ``private/`` and are never served. Cross-site pages
cannot post here: a JSON content type forces a CORS preflight, which this server never grants.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rmbench.feedback.page import PUBLIC_FILES, db_path, load_items
from rmbench.feedback.store import SESSION_RE, ClickStore, DuplicateClick

MAX_BODY = 2048  # a click is ~120 bytes of JSON; anything bigger is not a click
HOST = "127.0.0.1"  # local only: the page is for people at this machine (or an SSH tunnel)
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8"}


def parse_click(body: bytes, known_items: set[str]) -> tuple[str, str, str]:
    """(session, item_id, choice) or ValueError with what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("body is not valid JSON") from None
    if not isinstance(data, dict) or set(data) != {"session", "item_id", "choice"}:
        raise ValueError("expected exactly the keys session, item_id, choice")
    session, item, choice = data["session"], data["item_id"], data["choice"]
    if not isinstance(session, str) or not SESSION_RE.match(session):
        raise ValueError("session must be 8-64 characters of A-Z a-z 0-9 _ -")
    if not isinstance(item, str) or item not in known_items:
        raise ValueError("unknown item_id")
    if choice not in ("A", "B"):
        raise ValueError("choice must be 'A' or 'B'")
    return session, item, choice


class FeedbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, page_dir: str | Path, port: int = 0):
        self.page_dir = Path(page_dir)
        self.items = {it["item_id"] for it in load_items(self.page_dir)}
        self.store = ClickStore(db_path(self.page_dir))
        super().__init__((HOST, port), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"


class Handler(BaseHTTPRequestHandler):
    server: FeedbackServer
    server_version = "rmbench-feedback"
    timeout = 10  # seconds: a client that announces a body and never sends it loses its thread, not ours

    def log_message(self, fmt, *args):  # silent: every click is in the store; per-request stderr helps no one
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: dict) -> None:
        self._send(status, json.dumps(obj).encode())

    def do_GET(self):
        name = self.path.split("?", 1)[0].lstrip("/") or "index.html"
        if name == "favicon.ico":  # browsers ask for it; an empty answer keeps the console clean
            return self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        if name not in PUBLIC_FILES:
            return self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
        path = self.server.page_dir / name
        self._send(HTTPStatus.OK, path.read_bytes(), TYPES[path.suffix])

    do_HEAD = do_GET

    def do_POST(self):
        if self.path != "/api/click":
            return self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send application/json"})
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._json(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length required"})
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # do not read an oversized body
            return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"body over {MAX_BODY} bytes"})
        try:
            session, item, choice = parse_click(self.rfile.read(length), self.server.items)
        except ValueError as e:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(e)})
        try:
            click_id = self.server.store.add(session, item, choice)
        except DuplicateClick as e:
            return self._json(HTTPStatus.CONFLICT, {"error": str(e)})
        self._json(HTTPStatus.CREATED, {"stored": click_id})


def start_in_thread(page_dir: str | Path, port: int = 0) -> tuple[FeedbackServer, threading.Thread]:
    """Serve in a daemon thread (tests, notebooks); stop with ``server.shutdown()``."""
    server = FeedbackServer(page_dir, port)
    thread = threading.Thread(target=server.serve_forever, name="rmbench-feedback", daemon=True)
    thread.start()
    return server, thread
