"""A unit of work run in a thread, for tests of what waits for what between concurrent sessions."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker


def in_thread(
    work: Callable[[Session], object], sessions: sessionmaker[Session]
) -> tuple[threading.Thread, list[BaseException], threading.Event]:
    """A thread (not started) that runs `work` in its own committed unit of work; its errors, and an event
    set when it ends either way."""
    errors: list[BaseException] = []
    done = threading.Event()

    def body() -> None:
        try:
            with sessions.begin() as s:
                work(s)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            done.set()

    return threading.Thread(target=body), errors, done
