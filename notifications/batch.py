"""Reads that the sends of one batch share, made once per batch.

`touchpoints_send` opens a batch; inside it, `read_once(key, read)` returns what
the first `read()` for `key` returned (a merchant's message templates, its
benefits and testimonials, its webhook endpoints) instead of asking the
database again; `batch_touchpoints()` lists the batch's rows, so a read can
cover all of them at once (the categories of every product in the batch).
Outside a batch it simply reads. A batch is one task (a few
dozen sends, well under a second when the provider answers), so a merchant's
edit shows from the next batch on, and nothing is cached across tasks.
"""

from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_reads: ContextVar[dict | None] = ContextVar("notifications_batch_reads", default=None)
_touchpoints: ContextVar[tuple] = ContextVar("notifications_batch_touchpoints", default=())


@contextmanager
def batch_reads(touchpoints: Iterable = ()) -> Iterator[None]:
    token = _reads.set({})
    rows = _touchpoints.set(tuple(touchpoints))
    try:
        yield
    finally:
        _touchpoints.reset(rows)
        _reads.reset(token)


def batch_touchpoints() -> tuple:
    """The touchpoints the current batch sends (none outside a batch)."""
    return _touchpoints.get()


def read_once(key: Hashable, read: Callable[[], T]) -> T:
    reads = _reads.get()
    if reads is None:
        return read()
    if key not in reads:
        reads[key] = read()
    return reads[key]
