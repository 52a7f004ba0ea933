"""SDK clients (and role sessions) kept per key by the storage modules, the least recently
used dropped first. A key starts with a configuration revision, after a purpose when it has
one, so that a revision's clients can all be dropped together."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

CLIENT_CACHE_SIZE = 256


class ClientCache:
    def __init__(self, size: int = CLIENT_CACHE_SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]):
        """The client kept for `key`, else the one `build` makes, kept. Built under the lock,
        so a key gets one client however many threads ask at once."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
            built = self._kept[key] = build()
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
            return built

    def forget(self, revision: Hashable) -> None:
        with self._lock:
            for key in [key for key in self._kept if revision_of(key) == revision]:
                del self._kept[key]

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def items(self) -> list[tuple[Hashable, Any]]:
        with self._lock:
            return list(self._kept.items())

    def __iter__(self) -> Iterator[Hashable]:
        return iter([key for key, _ in self.items()])

    def __len__(self) -> int:
        return len(self._kept)


def revision_of(key: Hashable) -> Hashable:
    """The revision a key starts with: (purpose, (revision, ...)), (revision, ...) or itself."""
    while isinstance(key, tuple) and key:
        if not isinstance(key[0], str):
            return key[0]
        key = key[1]
    return key
