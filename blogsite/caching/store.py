"""Key-value operations the generation cache needs, on Redis or on an in-process cache.

Every Redis method is one round trip. Errors propagate: the circuit breaker in
``generations.py`` turns them into misses.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis.cluster import RedisCluster

from .watcher import GenerationWatcher

HITS, MISSES = "stats:hits", "stats:misses"
SCAN_LIMIT = 200_000  # stop counting keys past this: a status page must stay cheap
COUNT_FLUSH_SECONDS = 0.5


def new_token() -> str:
    """Return a fresh generation: random, so a reset or evicted counter never repeats one."""
    return secrets.token_hex(8)


def _text(raw: bytes | str | None) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


class Counters:
    """Hits and misses counted in-process, then added to the store in a later round trip."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self._flushed = time.monotonic()

    def add(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def take(self, force: bool = False) -> tuple[int, int]:
        """Return and reset the pending counts, at most every COUNT_FLUSH_SECONDS."""
        with self._lock:
            if not force and time.monotonic() - self._flushed < COUNT_FLUSH_SECONDS:
                return 0, 0
            counts, self.hits, self.misses = (self.hits, self.misses), 0, 0
            self._flushed = time.monotonic()
            return counts

    def give_back(self, hits: int, misses: int) -> None:
        with self._lock:
            self.hits += hits
            self.misses += misses


class RedisStore:
    """Generations, values and locks in Redis, through flask-caching's client and serializer."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        prefix: str,
        serializer: Any,
        watch: Callable[[Any], GenerationWatcher | None] = lambda client: None,
    ) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._watch = watch
        self.watcher: GenerationWatcher | None = None
        self.prefix = prefix
        self.serializer = serializer
        self.counters = Counters()

    @property
    def client(self) -> Any:
        # Built lazily: a Redis Cluster client connects on creation, which must not
        # stop the site from starting while the cluster is down.
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    client = self._client_factory()
                    if not isinstance(client, RedisCluster):  # tracking is per node there
                        self.watcher = self._watch(client)
                    self._client = client
        return self._client

    def read(self, gen_keys: Sequence[str], value_key: str | None) -> tuple[list[str | None], Any]:
        """Return the generations and the stored value (None when absent), in one round trip.

        With a watcher, generations alone (a page held in memory) cost no round trip.
        """
        keys = [self.prefix + key for key in gen_keys]
        client, watcher = self.client, self.watcher
        epoch = 0
        if watcher is not None:
            known, epoch = watcher.lookup(keys)
            if known is not None and value_key is None:
                self._flush_counts()
                return list(known), None
        if value_key is not None:
            keys.append(self.prefix + value_key)
        hits, misses = self.counters.take()
        if hits or misses or isinstance(client, RedisCluster):
            # Counts ride along (every COUNT_FLUSH_SECONDS); a cluster needs per-key GETs.
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
            if hits:
                pipe.incrby(self.prefix + HITS, hits)
            if misses:
                pipe.incrby(self.prefix + MISSES, misses)
            try:
                replies = pipe.execute()
            except Exception:
                self.counters.give_back(hits, misses)
                raise
        else:
            replies = client.mget(keys)  # one command: the cheapest hit
        gens = [_text(raw) for raw in replies[: len(gen_keys)]]
        if watcher is not None:
            watcher.remember([(k, v) for k, v in zip(keys, gens) if v is not None], epoch)  # noqa: B905
        value = None
        if value_key is not None:
            value = self.serializer.loads(replies[len(gen_keys)])
        return gens, value

    def _flush_counts(self) -> None:
        """Add pending hit and miss counts (every COUNT_FLUSH_SECONDS at most)."""
        hits, misses = self.counters.take()
        if not (hits or misses):
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.incrby(self.prefix + HITS, hits)
        pipe.incrby(self.prefix + MISSES, misses)
        try:
            pipe.execute()
        except Exception:
            self.counters.give_back(hits, misses)
            raise

    def init_generations(self, keys: Sequence[str], timeout: int) -> list[str]:
        """Give missing generations a fresh value (unless another process just did); return all."""
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.set(self.prefix + key, new_token(), nx=True, ex=timeout)
            pipe.get(self.prefix + key)
        replies = pipe.execute()
        return [_text(raw) or "" for raw in replies[1::2]]

    def bump(self, keys: Sequence[str], timeout: int) -> None:
        """Give each generation a new value: everything built on the old one is unreachable."""
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.set(self.prefix + key, new_token(), ex=timeout)
        pipe.execute()

    def write(self, key: str, value: Any, timeout: int, unlock: str | None = None) -> None:
        """Store ``value`` and release ``unlock`` in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.prefix + key, self.serializer.dumps(value), ex=timeout)
        if unlock is not None:
            pipe.delete(self.prefix + unlock)
        pipe.execute()

    def lock(self, key: str, timeout: float) -> bool:
        """Take a short lock; return whether this caller holds it."""
        return bool(self.client.set(self.prefix + key, b"1", nx=True, px=int(timeout * 1000)))

    def unlock(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def ping(self) -> None:
        self.client.ping()

    def stats(self) -> dict[str, Any]:
        """Return keys under the prefix, hit and miss counts, and Redis memory in use."""
        hits, misses = self.counters.take(force=True)
        pipe = self.client.pipeline(transaction=False)
        pipe.incrby(self.prefix + HITS, hits)
        pipe.incrby(self.prefix + MISSES, misses)
        total_hits, total_misses = pipe.execute()
        keys = 0
        for _ in self.client.scan_iter(match=self._pattern(), count=1000):
            keys += 1
            if keys >= SCAN_LIMIT:
                break
        info = self.client.info("memory")
        if "used_memory_human" not in info:  # a cluster answers per node
            info = next(iter(info.values()), {}) if info else {}
        memory = info.get("used_memory_human") if isinstance(info, dict) else None
        hits, misses = int(total_hits), int(total_misses)
        return {"hits": hits, "misses": misses, "keys": keys, "memory": memory}

    def _pattern(self) -> str:
        special = "*?[]\\"
        return "".join("\\" + ch if ch in special else ch for ch in self.prefix) + "*"


class LocalStore:
    """The same operations on a per-process cachelib cache (no Redis configured)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.counters = Counters()
        self._lock = threading.Lock()

    def read(self, gen_keys: Sequence[str], value_key: str | None) -> tuple[list[str | None], Any]:
        keys = [*gen_keys, value_key] if value_key is not None else list(gen_keys)
        replies = self.backend.get_many(*keys)
        hits, misses = self.counters.take()
        self._add_counts(hits, misses)
        return replies[: len(gen_keys)], replies[len(gen_keys)] if value_key else None

    def init_generations(self, keys: Sequence[str], timeout: int) -> list[str]:
        for key in keys:
            self.backend.add(key, new_token(), timeout=timeout)
        return [value or "" for value in self.backend.get_many(*keys)]

    def bump(self, keys: Sequence[str], timeout: int) -> None:
        self.backend.set_many({key: new_token() for key in keys}, timeout=timeout)

    def write(self, key: str, value: Any, timeout: int, unlock: str | None = None) -> None:
        self.backend.set(key, value, timeout=timeout)
        if unlock is not None:
            self.backend.delete(unlock)

    def lock(self, key: str, timeout: float) -> bool:
        with self._lock:  # cachelib's SimpleCache.add is not atomic across threads
            return bool(self.backend.add(key, 1, timeout=max(1, round(timeout))))

    def unlock(self, key: str) -> None:
        self.backend.delete(key)

    def ping(self) -> None:
        """An in-process cache is always there."""

    def stats(self) -> dict[str, Any]:
        self._add_counts(*self.counters.take(force=True))
        hits, misses = self.backend.get_many(HITS, MISSES)
        entries = getattr(self.backend, "_cache", None)
        keys = len(entries) if entries is not None else 0
        return {"hits": hits or 0, "misses": misses or 0, "keys": keys, "memory": None}

    def _add_counts(self, hits: int, misses: int) -> None:
        if hits:
            self.backend.inc(HITS, hits)
        if misses:
            self.backend.inc(MISSES, misses)
