"""bot.deferred: work submitted while answering a request starts only when the request releases it."""

from __future__ import annotations

import threading

from bot.deferred import DeferringExecutor, hold_submissions


def test_plain_submit_runs_at_once() -> None:
    with DeferringExecutor(max_workers=2) as pool:
        assert pool.submit(lambda: 41 + 1).result(timeout=5) == 42


def test_held_tasks_start_on_release_with_their_results() -> None:
    started = threading.Event()
    with DeferringExecutor(max_workers=2) as pool:
        held = hold_submissions()
        future = pool.submit(lambda x: (started.set(), x * 2)[1], 21)
        assert not started.wait(0.2)  # held back
        assert not future.done()
        held.release()
        assert future.result(timeout=5) == 42
        assert started.is_set()
        # after release, submits on this thread run at once again
        assert pool.submit(lambda: "direct").result(timeout=5) == "direct"


def test_release_is_idempotent_and_exceptions_reach_the_future() -> None:
    def boom() -> None:
        raise ValueError("nope")

    with DeferringExecutor(max_workers=1) as pool:
        held = hold_submissions()
        future = pool.submit(boom)
        held.release()
        held.release()
        assert isinstance(future.exception(timeout=5), ValueError)


def test_holding_is_per_thread() -> None:
    with DeferringExecutor(max_workers=2) as pool:
        held = hold_submissions()
        result: list[int] = []
        other = threading.Thread(target=lambda: result.append(pool.submit(lambda: 7).result(timeout=5)))
        other.start()
        other.join(5)
        assert result == [7]  # another thread's submit is not held
        held.release()
