"""Start follow-up work only after the ack has gone out: `DeferringExecutor` holds back the lazy
functions submitted while an HTTP request is being answered and submits them once the response is written,
so CPU-heavy answers never compete with their own ack for the GIL (docs/slack-setup.md#design-decisions-where-the-issue-left-room).
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_local = threading.local()


class HeldTasks:
    """Tasks held back on one thread; `release()` (idempotent) submits them."""

    def __init__(self) -> None:
        self.owner = threading.get_ident()
        self.tasks: list[tuple[DeferringExecutor, Callable[[], Any], Future[Any]]] = []
        self.released = False
        _local.held = self

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        if threading.get_ident() == self.owner and getattr(_local, "held", None) is self:
            _local.held = None
        for executor, call, placeholder in self.tasks:
            executor._submit_now(call, placeholder)
        self.tasks.clear()


def hold_submissions() -> HeldTasks:
    """From now until `.release()`, DeferringExecutor.submit() calls on this thread are held back."""
    return HeldTasks()


class DeferringExecutor(ThreadPoolExecutor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fn = functools.partial(contextvars.copy_context().run, fn)  # the request's log context goes along
        held: HeldTasks | None = getattr(_local, "held", None)
        if held is None or held.released:
            return super().submit(fn, *args, **kwargs)
        placeholder: Future[Any] = Future()
        held.tasks.append((self, lambda: fn(*args, **kwargs), placeholder))
        return placeholder

    def _submit_now(self, call: Callable[[], Any], placeholder: Future[Any]) -> None:
        def run() -> None:
            if not placeholder.set_running_or_notify_cancel():
                return
            try:
                placeholder.set_result(call())
            except BaseException as exc:  # same contract as a Future from submit()
                placeholder.set_exception(exc)

        super().submit(run)
