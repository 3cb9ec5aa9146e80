"""APScheduler 3 inside `accountbot run`: it only ticks; correctness lives in the job-run ledger.

Each replica has its own in-memory BackgroundScheduler in UTC; every job also runs once at start (catch-up),
and the news poller ticks on an interval. See docs/nudges.md#running-several-replicas-postgresql.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from jobs.news_poll import TICK_SECONDS as NEWS_TICK_SECONDS
from jobs.news_poll import news_tick
from jobs.outbox_watch import TICK_SECONDS as OUTBOX_WATCH_SECONDS
from jobs.outbox_watch import outbox_watch
from jobs.registry import JOBS, JobSpec
from jobs.runner import JobResult, default_worker
from storage.crypto import TokenCipher
from storage.db import utcnow

log = logging.getLogger("accountbot.scheduler")


class JobScheduler:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        *,
        clock: Callable[[], datetime] = utcnow,
        jobs: Mapping[str, JobSpec] = JOBS,
        pollers: Mapping[str, tuple[Callable[[], object], float]] | None = None,
        worker: str | None = None,
        listed_admins: Callable[[str], Collection[str]] | None = None,
        served: Callable[[], Collection[str]] | None = None,
        cipher: object | None = None,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher  # TOKEN_ENCRYPTION_KEYS' cipher for the jobs that read saved secrets (crm_sync)
        self.served = served  # the workspaces this bot has a token for (None: every one in the database)
        self.thresholds = thresholds
        self.clock = clock
        self.jobs = dict(jobs)
        self.pollers = dict(pollers or {})  # name -> (function, seconds between ticks)
        self.last_poll: dict[str, object] = {}
        self.worker = worker or default_worker()
        self.listed_admins = (
            listed_admins  # team id -> the ADMIN_USER_IDS that count there (admin-facing jobs)
        )
        self._scheduler: BackgroundScheduler | None = None
        self.last_tick_at: float | None = None  # wall time a job or poller last ran (readiness: bot.health)

    def tick(self, name: str) -> JobResult | None:
        """Run one job as of now (all workspaces). Errors are logged, never raised into APScheduler."""
        spec = self.jobs[name]
        now = self.clock()
        session = self.sessions()
        try:
            only = None if self.served is None else set(self.served())
            result = spec(
                session,
                now,
                self.thresholds,
                worker=self.worker,
                listed_admins=self.listed_admins,
                served=only,
                cipher=self.cipher,
            )
        except Exception:
            log.exception("job_tick_failed job=%s at=%s", name, now.isoformat())
            return None
        finally:
            session.close()
            self.last_tick_at = time.time()
        log.info(
            "job_tick job=%s at=%s periods=%d enqueued=%d",
            name,
            now.isoformat(),
            result.claimed,
            result.enqueued,
        )
        return result

    def poll(self, name: str) -> object:
        """One interval tick of a poller. Errors are logged, never raised into APScheduler."""
        fn, _seconds = self.pollers[name]
        try:
            self.last_poll[name] = result = fn()
        except Exception:
            log.exception("poll_tick_failed poller=%s", name)
            return None
        finally:
            self.last_tick_at = time.time()
        return result

    def catch_up(self) -> dict[str, JobResult | None]:
        """Run every job once now: whatever period is due and not done yet runs (see module doc)."""
        return {name: self.tick(name) for name in self.jobs}

    def start(self, *, catch_up: bool = True) -> JobScheduler:
        # APScheduler's own per-tick INFO lines are not structured; our job_tick events replace them.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        for name, spec in self.jobs.items():
            scheduler.add_job(
                self.tick,
                CronTrigger(timezone=UTC, **spec.cron),
                args=[name],
                id=name,
                name=name,
                replace_existing=True,
            )
        for name, (_fn, seconds) in self.pollers.items():
            scheduler.add_job(
                self.poll,
                IntervalTrigger(seconds=seconds, timezone=UTC),
                args=[name],
                id=name,
                name=name,
                next_run_time=datetime.now(UTC),
                replace_existing=True,
            )
        if catch_up:
            scheduler.add_job(self.catch_up, id="catch_up", name="catch_up", next_run_time=datetime.now(UTC))
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler_started jobs=%s worker=%s", ",".join([*self.jobs, *self.pollers]), self.worker)
        return self

    def stop(self, wait: bool = True) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def next_runs(self) -> dict[str, Any]:
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}


def start_scheduler(
    sessions: sessionmaker[Session],
    settings: Any,
    *,
    clock: Callable[[], datetime] = utcnow,
    catch_up: bool = True,
    served: Callable[[], Collection[str]] | None = None,
) -> JobScheduler:
    """Start ticking for `accountbot run` (call `.stop()` on shutdown): the scheduled jobs, and news-feed
    polling every NEWS_TICK_SECONDS. `settings` is bot.settings.Settings; `served` names the workspaces the
    bot has a token for (jobs run for those only)."""
    thresholds = getattr(settings, "thresholds", DEFAULT_THRESHOLDS)
    pollers = {
        "news_poll": (news_tick(sessions, settings, served), NEWS_TICK_SECONDS),
        "outbox_watch": (outbox_watch(sessions, clock), OUTBOX_WATCH_SECONDS),
    }
    listed_admins = getattr(settings, "listed_admins", None)
    return JobScheduler(
        sessions, thresholds, clock=clock, pollers=pollers, listed_admins=listed_admins, served=served,
        cipher=cipher_of(settings),
    ).start(catch_up=catch_up)  # fmt: skip


def cipher_of(settings: Any) -> TokenCipher | None:
    """The cipher of TOKEN_ENCRYPTION_KEYS (None when unset: saved CRM connections then cannot be read)."""
    keys = getattr(settings, "token_encryption_keys", None)
    value = keys.get_secret_value() if keys is not None else ""
    if not value.strip():
        return None
    try:
        return TokenCipher(value)
    except ValueError as exc:  # the message names the setting, never the value
        log.warning("token_encryption_keys_unusable error=%s", exc)
        return None
