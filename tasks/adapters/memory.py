"""Freed memory handed back to the system, so a long run's peak follows what it holds.

Arrow's allocator (mimalloc) and glibc's malloc keep freed pages for reuse; after a large
transient (a table's parse, a chunk's intermediates) both are asked to return them."""

from __future__ import annotations

import ctypes
import functools


def give_back() -> None:
    """Return freed Arrow buffers and free heap pages to the system (cheap; safe anywhere)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim (looked up among the symbols already loaded), or None on another C
    library."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
