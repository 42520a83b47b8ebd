"""Local servers for the benchmarks, each run in its own process: an OpenAI-compatible
chat-completions endpoint with a fixed latency, and an SMTP server that counts what it takes."""

from __future__ import annotations

import json
import subprocess
import sys
import time

ANSWER = {
    "subject": "A thank-you for staying",
    "body": "We have set aside a discount for you.",
    "call_to_action": "See the offer",
}


def serve_llm(port: int, latency: float) -> None:
    """An OpenAI-compatible chat-completions endpoint answering after `latency` seconds."""
    import asyncio

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def complete(request):
        body = await request.json()
        await asyncio.sleep(latency)
        return JSONResponse(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "bench"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": json.dumps(ANSWER)},
                    }
                ],
                "usage": {"prompt_tokens": 180, "completion_tokens": 45, "total_tokens": 225},
            }
        )

    app = Starlette(routes=[Route("/v1/chat/completions", complete, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=1024)


def serve_smtp(port: int) -> None:
    """An SMTP server that takes every message and prints how many it took when stopped."""
    import signal
    import threading

    from aiosmtpd.controller import Controller

    class Count:
        taken = 0

        async def handle_DATA(self, server, session, envelope):
            Count.taken += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    print(Count.taken, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(kind: str, port: int, latency: float = 0.0) -> subprocess.Popen:
    """`kind` ("llm" or "smtp") on `port` in its own process; an SMTP server prints "ready"
    once it listens and, when terminated, how many messages it took."""
    command = [sys.executable, __file__, kind, str(port), str(latency)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def wait_for_port(port: int, seconds: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


if __name__ == "__main__":
    kind, port, latency = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    serve_llm(port, latency) if kind == "llm" else serve_smtp(port)
