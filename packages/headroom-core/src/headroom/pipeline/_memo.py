"""A small thread-safe LRU for pure functions of a block: compressor outputs, detections.

Compressors are pure functions of (text, task), so this cache never changes a result; it only
saves recomputing the blocks a conversation re-sends on every turn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class Memo:
    """Bounded least-recently-used map."""

    def __init__(self, maxsize: int = 2048) -> None:
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def get(self, key: Hashable) -> tuple[bool, Any]:
        """(hit, value)."""
        with self._lock:
            if key not in self._data:
                return False, None
            self._data.move_to_end(key)
            return True, self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Remember ``value`` under ``key``, evicting the oldest entry when full."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)
