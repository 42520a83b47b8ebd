"""Heavy imports started in a background thread while a flow waits on I/O."""

from __future__ import annotations

import importlib
import threading


def preload(*modules: str) -> threading.Thread:
    """Import `modules` in a daemon thread; a later import of one of them waits for it."""

    def run() -> None:
        for name in modules:
            importlib.import_module(name)

    thread = threading.Thread(target=run, name="preload", daemon=True)
    thread.start()
    return thread
