"""A local OpenAI-compatible chat-completions server whose answers a test scripts.

Each request takes the next scripted `Reply` (then the default one): an answer's text, an
HTTP error status, a delay, or a raw body of any content type (what a broken proxy answers).
GET /v1/models lists `models`. The server records every chat request body, arrival times
and the most requests it had in flight at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str | None = None  # the assistant's text (status 200)
    status: int = 200
    delay: float = 0.0  # seconds before answering
    prompt_tokens: int = 100
    completion_tokens: int = 40
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None  # sent as it is instead of a chat completion
    content_type: str = "application/json"


def answer(delay: float = 0.0, **fields: Any) -> Reply:
    """A 200 reply whose text is the JSON object of `fields`."""
    return Reply(content=json.dumps(fields), delay=delay)


EMAIL = {"subject": "We saved something for you", "body": "Stay with us.", "call_to_action": "Go"}


class LLMServer:
    def __init__(self, default: Reply | Callable[[dict], Reply] | None = None):
        self.default = default or answer(**EMAIL)
        self.models = ["gpt-4o-mini"]  # what GET /v1/models lists
        self.script: list[Reply] = []
        self.requests: list[dict] = []
        self.arrivals: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def then(self, *replies: Reply) -> LLMServer:
        """Answer the next requests with these replies, in order."""
        self.script.extend(replies)
        return self

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.arrivals.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.script:
                return self.script.pop(0)
        return self.default(body) if callable(self.default) else self.default

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # the model list, as OpenAI's API serves it
                if self.path.rstrip("/") != "/v1/models":
                    self._write(Reply(status=404), b'{"error": {"message": "not found"}}')
                    return
                models = [{"id": m, "object": "model", "owned_by": "local"} for m in server.models]
                self._write(Reply(), json.dumps({"object": "list", "data": models}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = server._next(body)
                try:
                    time.sleep(reply.delay)
                    self._send(reply, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    server._done()

            def _send(self, reply: Reply, body: dict) -> None:
                if reply.raw is not None:
                    self._write(reply, reply.raw.encode())
                    return
                if reply.status == 200:
                    payload = {
                        "id": "chatcmpl-local",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "local"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply.content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": reply.prompt_tokens,
                            "completion_tokens": reply.completion_tokens,
                            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
                        },
                    }
                else:
                    payload = {"error": {"message": "scripted failure", "type": "server_error"}}
                self._write(reply, json.dumps(payload).encode())

            def _write(self, reply: Reply, data: bytes) -> None:
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                self.send_header("content-length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
