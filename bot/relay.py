"""The outbox relay: delivers due outbox rows to Slack exactly once (`Relay.run_once`, `start_relay`).

Claims rows with a lease, renders them, opens the DM, posts with outbox metadata (then any files), paces
each channel, and retries on later passes through one rule (`Relay._retry`); an ambiguous earlier attempt is
reconciled from the channel's history first. See docs/nudges.md#delivery-the-outbox-and-the-relay.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from accounts.facts import FeedPausedFacts
from bot import metrics
from bot.health import TOKEN_FIX, check_token
from bot.redaction import redact
from bot.render.registry import UnknownKind, attachments, render
from bot.slack_client import TOKEN_ERRORS, SlackFailure, classify
from bot.uploads import HistoryUnavailable, Png, UploadFailed, find_shared, upload_pngs
from storage import holds, nudge_ledger
from storage.db import utcnow
from storage.feeds import pause_alerts
from storage.queues import outbox

log = logging.getLogger("accountbot.relay")

METADATA_EVENT = "accountbot_outbox"
MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 900.0
CHANNEL_INTERVAL_SECONDS = 1.02  # Slack allows about 1 message per second per channel; keep a small margin
CONCURRENCY = 4  # channels sent to at once by one relay (Slack's pace is per channel; 4/s stays well within)
MAX_PACE_WAIT_SECONDS = 3.0  # rows waiting longer for their channel go back to the queue
CLOCK_SKEW_SECONDS = 600  # reconciliation reads history from this long before the row was created
# last_error prefixes that prove the earlier attempt did not post (no reconciliation needed)
_NOT_POSTED = ("rate_limited", "open_failed", "render_failed")
CHANNEL_GONE = ("not_in_channel", "channel_not_found", "is_archived")  # a news alert's channel refuses it
HOLD_RECHECK_SECONDS = 60.0  # while the workspace is on hold, auth.test this often to see if the token works
ARCHIVE_CHECK_SECONDS = 600.0  # how long a channel's archived state is trusted before it is asked again


@dataclass
class RelayStats:
    claimed: int = 0
    sent: int = 0
    reconciled: int = 0  # found already posted by an earlier attempt
    retried: int = 0  # rescheduled (rate limit, 5xx, connection error, pace)
    dead: int = 0
    lost_lease: int = 0

    def add(self, other: RelayStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    recipient: str
    kind: str
    facts: dict[str, Any]
    channel: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    slack_ts: str | None = None  # set while sending: the message part is already in Slack (files pending)

    @property
    def marker(self) -> str:
        """In the names of the row's files, to find them again in the conversation's history."""
        return f"-outbox-{self.id}-"


@dataclass(frozen=True, slots=True)
class _Reasons:
    """How a failed Slack step reads on its row (last_error while it waits, the reason once dead) and in the log."""

    retry: str  # last_error while backing off (5xx, timeout, connection error)
    gave_up: str | None  # dead reason after max_attempts, behind "gave up after N attempts: "; None: never
    rate_limited: str = ""  # last_error while waiting out a 429; "{wait}" becomes the seconds
    dead: str = ""  # dead reason for a permanent error
    log_event: str | None = None  # logs the retry (and the rate limit) under this name; None: silent
    log_error: str | None = None  # the error as logged, if not the failure's own


# A history read that failed: not posted, to be safe; backed off like a 5xx.
_RECONCILE_POST = _Reasons(
    retry="reconcile_failed", gave_up="could not read the history to check for an earlier post"
)
_RECONCILE_FILES = _Reasons(
    retry="reconcile_failed", gave_up="could not read the history to check for earlier files"
)


@dataclass
class _Pace:
    """Next monotonic instant at which each channel may receive a post."""

    interval: float
    next_slot: dict[str, float] = field(default_factory=dict)

    def wait_for(self, channel: str, now: float) -> float:
        return max(0.0, self.next_slot.get(channel, 0.0) - now)

    def used(self, channel: str, at: float, extra: float = 0.0) -> None:
        self.next_slot[channel] = max(self.next_slot.get(channel, 0.0), at + max(self.interval, extra))


class _Lanes:
    """The rows of one pass shared by its lanes: those not started, the channels being sent to, the first error."""

    def __init__(self, pending: list[_Row]) -> None:
        self.pending = pending  # the caller's list: what is left in it when a pass fails is released
        self.busy: set[str] = set()
        self.changed = threading.Condition()
        self.stopped = False
        self.error: BaseException | None = None

    def done(self, keys: tuple[str, ...]) -> None:
        with self.changed:
            self.busy.difference_update(keys)
            self.changed.notify_all()

    def fail(self, exc: BaseException) -> None:
        """A lane failed (the database, most likely): the other lanes finish their row and take no more."""
        with self.changed:
            if self.error is None:
                self.error = exc
            self.stopped = True
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()


class Relay:
    """`Relay(sessions, client, team_id=...)`; `run_once()` delivers what is due now and returns stats.

    `client` must be a WebClient without retry handlers (bot.slack_client.make_web_client(settings,
    retries=False)). `clock` gives the database time (leases, due times), `monotonic`/`sleep` the pace."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        *,
        team_id: str,
        clock: Callable[[], datetime] = utcnow,
        worker: str | None = None,
        batch: int = 50,
        lease: timedelta = timedelta(minutes=2),
        channel_interval: float = CHANNEL_INTERVAL_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        concurrency: int = CONCURRENCY,
    ) -> None:
        if client.retry_handlers:
            raise ValueError(
                "the relay needs a WebClient without retry handlers (it schedules its own retries)"
            )
        self.sessions = sessions
        self.client = client
        self.team_id = team_id
        self.clock = clock
        self.worker = worker or f"relay-{random.getrandbits(40):010x}"
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts
        self.monotonic = monotonic
        self.sleep = sleep
        self.jitter = jitter
        self.concurrency = max(1, concurrency)
        self.pace = _Pace(channel_interval)
        self._dm: dict[str, str] = {}  # user id -> DM channel id
        self._hold_checked: float | None = None  # monotonic time of the last auth.test while on hold
        self._holding = False  # Slack refused the token during this pass
        self._archive_checks: dict[str, tuple[float, bool]] = {}  # channel -> (monotonic time, archived)

    # ------------------------------------------------------------------ one pass

    def run_once(self) -> RelayStats:
        stats = RelayStats()
        if not self._may_send():
            return stats
        self._holding = False
        with self.sessions.begin() as session:
            claimed = outbox.claim_due(
                session,
                team_id=self.team_id,
                worker=self.worker,
                now=self.clock(),
                lease=self.lease,
                limit=self.batch,
            )
            rows = [
                _Row(
                    r.id,
                    r.recipient,
                    r.kind,
                    dict(r.facts or {}),
                    r.channel,
                    r.attempts,
                    r.last_error,
                    r.created_at,
                    r.slack_ts,
                )
                for r in claimed
            ]
        stats.claimed = len(rows)
        pending = list(rows)
        try:
            self._deliver_all(pending, stats)
        except BaseException:
            self._release(pending)  # the rows this pass never started: due again now, not after the lease
            raise
        return stats

    def _release(self, rows: list[_Row]) -> None:
        try:
            with self.sessions.begin() as session:
                n = outbox.release(
                    session, team_id=self.team_id, message_ids=[r.id for r in rows], worker=self.worker
                )
        except Exception as exc:  # the database again: the lease expires and they are claimed then
            log.warning(
                "outbox_release_failed team=%s rows=%d error=%s", self.team_id, len(rows), type(exc).__name__
            )
            return
        if n:
            log.warning(
                "outbox_released team=%s rows=%d (the pass failed before sending them)", self.team_id, n
            )

    def _deliver_all(self, pending: list[_Row], stats: RelayStats) -> None:
        """Deliver the claimed rows on up to `concurrency` lanes at once, each channel's rows in claim order at the
        channel's pace: a Slack call that hangs holds up its own channel only. A channel is on one lane at a time,
        so its pace and its exactly-once steps are as with one lane. `pending` keeps the rows not yet started."""
        lanes = _Lanes(pending)
        workers = min(self.concurrency, len({r.channel or r.recipient for r in pending}))
        if workers <= 1:
            self._lane(lanes, stats)
        else:
            self._lanes(lanes, stats, workers)
        if lanes.error is not None:
            raise lanes.error

    def _lanes(self, lanes: _Lanes, stats: RelayStats, workers: int) -> None:
        results = [RelayStats() for _ in range(workers)]
        threads = [
            threading.Thread(
                target=self._lane, args=(lanes, results[i]), name=f"{self.worker}-lane-{i}", daemon=True
            )
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        finally:
            lanes.stop()  # an interrupt here: the lanes finish the rows they started and take no more
            for result in results:
                stats.add(result)

    def _lane(self, lanes: _Lanes, stats: RelayStats) -> None:
        """One lane: take the row whose channel is free soonest (claim order breaks ties) among the channels no
        other lane is sending to, wait for its channel's pace, deliver it; until no row is left."""
        while True:
            with lanes.changed:
                picked = None
                while picked is None and lanes.pending and not lanes.stopped:
                    picked = self._pick(lanes)
                    if picked is None:
                        lanes.changed.wait()  # every row left is for a channel another lane is sending to
                if picked is None:
                    return
            row, wait, keys = picked
            try:
                if self._holding:  # the token was refused: the rest waits for it too, not attempted
                    self._reschedule(row, stats, seconds=HOLD_RECHECK_SECONDS, error=None, counted=False)
                elif wait > MAX_PACE_WAIT_SECONDS:
                    # Not attempted: keep the previous reason (it decides whether the next attempt reconciles).
                    self._reschedule(row, stats, seconds=wait, error=None, counted=False)
                else:
                    if wait > 0:
                        self.sleep(wait)
                    self._deliver(row, stats)
            except BaseException as exc:
                lanes.fail(exc)
                return
            finally:
                lanes.done(keys)

    def _pick(self, lanes: _Lanes) -> tuple[_Row, float, tuple[str, ...]] | None:
        """The next row for a lane (taken out of `lanes.pending`, its channel marked busy), or None when every
        row left is for a busy channel. Called with `lanes.changed` held."""
        now_m = self.monotonic()
        best: tuple[float, int] | None = None
        for i, row in enumerate(lanes.pending):
            keys = (row.recipient, self._pace_key(row))
            if lanes.busy.intersection(keys):
                continue
            wait = self.pace.wait_for(keys[1], now_m)
            if best is None or wait < best[0]:
                best = (wait, i)
        if best is None:
            return None
        row = lanes.pending.pop(best[1])
        keys = (row.recipient, self._pace_key(row))
        lanes.busy.update(keys)
        return row, best[0], keys

    def drain(self, max_passes: int = 1000) -> RelayStats:
        """Run passes until nothing is due (tests and the CLI)."""
        total = RelayStats()
        for _ in range(max_passes):
            stats = self.run_once()
            total.add(stats)
            if stats.claimed == 0:
                break
        return total

    def _may_send(self) -> bool:
        """False while the workspace is on hold (storage.holds); every HOLD_RECHECK_SECONDS an auth.test tells
        whether the token works again, and if it does the hold ends and delivery resumes."""
        with self.sessions() as session:
            on_hold = holds.held(session, team_id=self.team_id)
        if on_hold is None:
            return True
        now_m = self.monotonic()
        if self._hold_checked is not None and now_m - self._hold_checked < HOLD_RECHECK_SECONDS:
            return False
        self._hold_checked = now_m
        check = check_token(self.client)
        if not check.ok or check.team_id not in (None, self.team_id):
            log.warning(
                "workspace_still_held team=%s error=%s", self.team_id, check.error or "another_workspace"
            )
            return False
        with self.sessions.begin() as session:
            holds.release(session, team_id=self.team_id)
        log.info("workspace_released team=%s held_since=%s", self.team_id, on_hold.since)
        return True

    def _hold(self, row: _Row, stats: RelayStats, error: str) -> None:
        """Slack refused the bot token: the workspace goes on hold and the row waits, its attempt not counted and
        its previous reason kept (nothing was posted)."""
        reason = f"Slack refused the bot token ({error}); nothing is sent for this workspace until it works. {TOKEN_FIX}"
        with self.sessions.begin() as session:
            new = holds.hold(session, team_id=self.team_id, reason=reason, now=self.clock())
        if new:
            log.error("workspace_held team=%s error=%s outbox_id=%s", self.team_id, error, row.id)
        self._holding = True
        self._hold_checked = self.monotonic()
        self._reschedule(row, stats, seconds=HOLD_RECHECK_SECONDS, error=None, counted=False)

    def _archived(self, channel: str) -> bool:
        """Whether Slack says the channel is archived (conversations.info, remembered ARCHIVE_CHECK_SECONDS).
        When Slack cannot say, the post is tried: its own answer decides then."""
        now_m = self.monotonic()
        known = self._archive_checks.get(channel)
        if known is not None and now_m - known[0] < ARCHIVE_CHECK_SECONDS:
            return known[1]
        try:
            info = self.client.conversations_info(channel=channel).get("channel") or {}
        except Exception as exc:
            log.info(
                "channel_check_skipped team=%s channel=%s error=%s",
                self.team_id,
                channel,
                classify(exc).error,
            )
            return False
        archived = bool(info.get("is_archived"))
        self._archive_checks[channel] = (now_m, archived)
        return archived

    def _pace_key(self, row: _Row) -> str:
        return row.channel or self._dm.get(row.recipient) or row.recipient

    # ------------------------------------------------------------------ one row

    def _deliver(self, row: _Row, stats: RelayStats) -> None:
        ctx = f"team={self.team_id} outbox_id={row.id} kind={row.kind} recipient={row.recipient}"
        try:
            message = render(row.kind, row.facts)
            files = attachments(row.kind, row.facts, row.marker)
        except UnknownKind as exc:
            self._dead(row, stats, f"render_failed: {exc}")
            return
        except Exception as exc:  # a renderer bug must not stop the queue
            log.exception("outbox_render_failed %s", ctx)
            self._dead(row, stats, f"render_failed: {type(exc).__name__}: {exc}")
            return

        had_channel = row.channel is not None
        channel = row.channel
        if channel is None:
            channel = self._open(row, stats)
            if channel is None:
                return

        if row.slack_ts is not None and files:
            # the message went out in an earlier attempt; only the files are left
            self._deliver_files(row, stats, channel, row.slack_ts, files)
            return

        if row.attempts > 1 and had_channel and not (row.last_error or "").startswith(_NOT_POSTED):
            found = self._find_posted(row, channel)
            if found == "error":
                self._retry(row, stats, None, _RECONCILE_POST, ctx=ctx)
                return
            if found is not None:
                if files:
                    self._message_part_done(row, stats, channel, found, files)
                    return
                self._sent(row, stats, channel, found, reconciled=True)
                return

        if channel[:1] in ("C", "G") and self._archived(channel):  # checked before posting to a channel
            self._dead(row, stats, "is_archived")
            return

        payload = message.payload()
        started = self.monotonic()
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=payload["text"],
                blocks=payload["blocks"],
                metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row.id}},
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            self.pace.used(channel, started)
            self._failed(row, stats, exc, channel)
            return
        self.pace.used(channel, started)
        posted_in, ts = str(response.get("channel") or channel), str(response.get("ts"))
        if files:
            self._message_part_done(row, stats, posted_in, ts, files)
            return
        self._sent(row, stats, posted_in, ts)

    # ------------------------------------------------------------------ files after the message

    def _message_part_done(
        self, row: _Row, stats: RelayStats, channel: str, ts: str, files: list[Png]
    ) -> None:
        """Remember that the message part is in Slack (so it is never posted again), then upload the files."""
        with self.sessions.begin() as session:
            held = outbox.note_posted(
                session, team_id=self.team_id, message_id=row.id, worker=self.worker, channel=channel, ts=ts
            )
        if not held:
            stats.lost_lease += 1
            log.warning("outbox_lease_lost team=%s outbox_id=%s", self.team_id, row.id)
            return
        self._deliver_files(row, stats, channel, ts, files, first_try=True)

    def _deliver_files(
        self,
        row: _Row,
        stats: RelayStats,
        channel: str,
        ts: str,
        files: list[Png],
        *,
        first_try: bool = False,
    ) -> None:
        """Upload the row's files into `channel` once: on a later attempt, files already shared (found by the
        row's marker in the history) are not uploaded again."""
        ctx = f"team={self.team_id} outbox_id={row.id} kind={row.kind} channel={channel}"
        if not first_try:
            oldest = f"{row.created_at.timestamp() - CLOCK_SKEW_SECONDS:.6f}"
            try:
                found = find_shared(self.client, channel, row.marker, oldest)
            except HistoryUnavailable as exc:
                if exc.error not in ("missing_scope", "not_allowed_token_type"):
                    log.warning("outbox_reconcile_failed %s error=%s", ctx, exc.error)
                    self._retry(row, stats, None, _RECONCILE_FILES, ctx=ctx)
                    return
                log.warning(
                    "outbox_reconcile_unavailable %s error=%s (grant im:history to avoid doubles)",
                    ctx,
                    exc.error,
                )
                found = []
            if found:
                log.info("outbox_files_found %s files=%d", ctx, len(found))
                self._sent(row, stats, channel, ts, reconciled=True)
                return
        started = self.monotonic()
        try:
            upload_pngs(self.client, channel, files)
        except UploadFailed as exc:
            self.pace.used(channel, started)
            self._files_failed(row, stats, exc, channel)
            return
        self.pace.used(channel, started)
        log.info("outbox_files_shared %s files=%d", ctx, len(files))
        self._sent(row, stats, channel, ts)

    def _files_failed(self, row: _Row, stats: RelayStats, exc: UploadFailed, channel: str) -> None:
        failure, step = exc.failure, exc.step
        shared = "may have shared" if exc.maybe_shared else "not shared"
        reasons = _Reasons(
            rate_limited="files: rate_limited: retry after {wait}s",
            dead=f"files ({step}): {failure.error}",
            retry=f"files ({step}, {shared}): {failure.error}",
            gave_up=f"files ({step}): {failure.error}",
            log_event="outbox_files_retry",
            log_error=f"{failure.error} ({shared})",
        )
        ctx = f"team={self.team_id} outbox_id={row.id} kind={row.kind} channel={channel} step={step}"
        self._retry(row, stats, failure, reasons, answered=exc.answered, channel=channel, ctx=ctx)

    def _open(self, row: _Row, stats: RelayStats) -> str | None:
        recipient = row.recipient
        if recipient[:1] not in ("U", "W"):
            channel = recipient
        elif recipient in self._dm:
            channel = self._dm[recipient]
        else:
            try:
                response = self.client.conversations_open(users=recipient, return_im=False)
            except Exception as exc:
                failure = classify(exc)
                reasons = _Reasons(
                    rate_limited="open_failed: rate_limited",
                    dead=f"conversations.open: {failure.error}",
                    retry=f"open_failed: {failure.error}",
                    gave_up=None,  # retried until it works (capped backoff), as it always was
                )
                ctx = f"team={self.team_id} outbox_id={row.id} kind={row.kind} recipient={recipient}"
                self._retry(row, stats, failure, reasons, answered=isinstance(exc, SlackApiError), ctx=ctx)
                return None
            channel = str((response.get("channel") or {}).get("id") or "")
            if not channel:
                self._dead(row, stats, "conversations.open returned no channel")
                return None
            self._dm[recipient] = channel
        with self.sessions.begin() as session:
            if not outbox.set_channel(
                session, team_id=self.team_id, message_id=row.id, worker=self.worker, channel=channel
            ):
                stats.lost_lease += 1
                return None
        return channel

    def _find_posted(self, row: _Row, channel: str) -> str | None:
        """ts of a message in `channel` tagged with this row's outbox id, None if there is none, "error" if
        history could not be read (then we do not post, to be safe, unless the scope is missing)."""
        oldest = f"{row.created_at.timestamp() - CLOCK_SKEW_SECONDS:.6f}"
        cursor = None
        for _ in range(10):
            try:
                response = self.client.conversations_history(
                    channel=channel, oldest=oldest, limit=200, include_all_metadata=True, cursor=cursor
                )
            except Exception as exc:
                failure = classify(exc)
                if failure.error in ("missing_scope", "not_allowed_token_type"):
                    log.warning(
                        "outbox_reconcile_unavailable team=%s outbox_id=%s error=%s (grant im:history to avoid doubles)",
                        self.team_id,
                        row.id,
                        failure.error,
                    )
                    return None
                log.warning(
                    "outbox_reconcile_failed team=%s outbox_id=%s error=%s",
                    self.team_id,
                    row.id,
                    failure.error,
                )
                return "error"
            for message in response.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == METADATA_EVENT and str(payload.get("outbox_id")) == str(row.id):
                    return str(message.get("ts"))
            cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
            if not response.get("has_more") or not cursor:
                return None
        return None

    def _failed(self, row: _Row, stats: RelayStats, exc: Exception, channel: str) -> None:
        failure = classify(exc)
        # 5xx, timeout or connection error: it may have been posted; the next attempt reconciles first.
        label = "retryable" if failure.kind == "retryable" else "ambiguous"
        reasons = _Reasons(
            rate_limited="rate_limited: retry after {wait}s",
            dead=failure.error,
            retry=f"{label}: {failure.error}",
            gave_up=f"{label}: {failure.error}",
            log_event="outbox_retry",
        )
        ctx = f"team={self.team_id} outbox_id={row.id} kind={row.kind} channel={channel}"
        self._retry(
            row, stats, failure, reasons, answered=isinstance(exc, SlackApiError), channel=channel, ctx=ctx
        )

    def _retry(
        self,
        row: _Row,
        stats: RelayStats,
        failure: SlackFailure | None,
        reasons: _Reasons,
        *,
        answered: bool = False,
        channel: str | None = None,
        ctx: str,
    ) -> None:
        """The relay's one retry rule for a failed Slack step (`failure` None: the history could not be read).

        A refused token puts the workspace on hold (`_hold`); a 429 is due again after Retry-After, not counted
        as an attempt, and `channel` waits as long; a
        permanent error, or an unknown one Slack `answered`, is dead; anything else (5xx, timeout, connection
        error) backs off exponentially and is dead after max_attempts (never, if `reasons.gave_up` is None).
        Retries happen on a later pass, never inside the call: the next attempt reconciles before posting."""
        if failure is not None and failure.error in TOKEN_ERRORS:
            self._hold(row, stats, failure.error)
            return
        if failure is not None and failure.kind == "rate_limited":
            wait = float(failure.retry_after or 1)
            if channel is not None:
                self.pace.used(channel, self.monotonic(), extra=wait)
            if reasons.log_event is not None:
                log.info("outbox_rate_limited %s retry_after=%s", ctx, wait)
            error = reasons.rate_limited.replace("{wait}", f"{wait:g}")
            metrics.retry("rate_limited")
            self._reschedule(row, stats, seconds=wait, error=error, counted=False)
            return
        if failure is not None and (failure.kind == "permanent" or (answered and failure.kind == "unknown")):
            self._dead(row, stats, reasons.dead)
            return
        if reasons.gave_up is not None and row.attempts >= self.max_attempts:
            self._dead(row, stats, f"gave up after {row.attempts} attempts: {reasons.gave_up}")
            return
        delay = self._backoff(row.attempts)
        kind = "reconcile_failed" if failure is None else failure.kind
        metrics.retry({"retryable": "server_error", "unknown": "no_answer"}.get(kind, kind))
        if reasons.log_event is not None:
            log.warning(
                "%s %s error=%s attempt=%d in=%.1fs",
                reasons.log_event,
                ctx,
                reasons.log_error or (failure.error if failure else reasons.retry),
                row.attempts,
                delay,
            )
        self._reschedule(row, stats, seconds=delay, error=reasons.retry)

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter between half and the whole step: 2, 4, 8 ... s, capped."""
        step = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
        return step / 2 + self.jitter() * step / 2

    def _pause_feed(self, session: Session, row: _Row, error: str) -> None:
        """Slack will not take the feed's alerts in its channel: pause them, and DM the admin who added the
        feed, once per pause (the DM is an outbox row of its own, written with the pause)."""
        feed_id = row.facts.get("feed_id")
        if not isinstance(feed_id, int):
            return
        reason = f"{error} in <#{row.recipient}>"
        feed = pause_alerts(session, team_id=self.team_id, feed_id=feed_id, reason=reason, now=self.clock())
        if feed is None:
            return
        log.warning(
            "feed_alerts_paused team=%s feed_id=%s channel=%s error=%s",
            self.team_id,
            feed_id,
            row.recipient,
            error,
        )
        if feed.added_by:
            facts: FeedPausedFacts = {
                "feed_id": feed_id,
                "url": feed.url,
                "channel": row.recipient,
                "error": error,
            }
            outbox.enqueue(
                session,
                team_id=self.team_id,
                recipient=feed.added_by,
                kind="feed_paused",
                facts=facts,
                period=f"feed-{feed_id}-{self.clock().isoformat(timespec='seconds')}",
                now=self.clock(),
            )

    # ------------------------------------------------------------------ state changes

    def _sent(self, row: _Row, stats: RelayStats, channel: str, ts: str, reconciled: bool = False) -> None:
        with self.sessions.begin() as session:
            ok = outbox.mark_sent(
                session,
                team_id=self.team_id,
                message_id=row.id,
                worker=self.worker,
                channel=channel,
                ts=ts,
                now=self.clock(),
            )
            if ok:  # the nudge ledger: in the transaction that marks the row sent, so recorded exactly once
                nudge_ledger.record_delivered(session, team_id=self.team_id, outbox_id=row.id, recipient=row.recipient,
                                              kind=row.kind, facts=row.facts, sent_at=self.clock())  # fmt: skip
        if not ok:
            stats.lost_lease += 1
            log.warning("outbox_lease_lost team=%s outbox_id=%s", self.team_id, row.id)
            return
        if reconciled:
            stats.reconciled += 1
        else:
            stats.sent += 1
        metrics.message_sent(row.kind)
        log.info(
            "outbox_sent team=%s outbox_id=%s kind=%s channel=%s ts=%s reconciled=%s",
            self.team_id,
            row.id,
            row.kind,
            channel,
            ts,
            reconciled,
        )

    def _reschedule(
        self, row: _Row, stats: RelayStats, *, seconds: float, error: str | None, counted: bool = True
    ) -> None:
        with self.sessions.begin() as session:
            outbox.reschedule(
                session,
                team_id=self.team_id,
                message_id=row.id,
                worker=self.worker,
                at=self.clock() + timedelta(seconds=seconds),
                error=None if error is None else redact(error),  # Slack's or an exception's text: no token
                count_attempt=counted,
            )
        stats.retried += 1

    def _dead(self, row: _Row, stats: RelayStats, reason: str) -> None:
        reason = redact(reason)  # stored and printed by `accountbot outbox`: never a token
        with self.sessions.begin() as session:
            outbox.mark_dead(
                session,
                team_id=self.team_id,
                message_id=row.id,
                worker=self.worker,
                reason=reason,
                now=self.clock(),
            )
            if row.kind == "news_alert" and reason in CHANNEL_GONE and row.recipient[:1] in ("C", "G"):
                self._pause_feed(session, row, reason)
        stats.dead += 1
        metrics.message_dead(row.kind)
        log.warning(
            "outbox_dead team=%s outbox_id=%s kind=%s reason=%s", self.team_id, row.id, row.kind, reason
        )


# ---------------------------------------------------------------------- background service


class RelayService:
    """The relay (and the owner directory sync) on a daemon thread. `stop()` ends it within a pass."""

    def __init__(
        self,
        relay: Relay,
        *,
        directory: Any | None = None,
        interval: float = 2.0,
        directory_every: float = 600.0,
    ) -> None:
        self.relay = relay
        self.directory = directory
        self.interval = interval
        self.directory_every = directory_every
        self._next_directory = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="accountbot-relay", daemon=True)

    def start(self) -> RelayService:
        """Sync the owner directory first (in the caller's thread: the scheduler starts after it, so no job runs
        on a guessed time zone), then deliver in the background."""
        if self.directory is not None:
            try:
                self.directory.sync_all()
            except Exception:  # the database: the loop tries again; nobody unresolved is due meanwhile
                log.exception("directory_sync_failed team=%s", self.relay.team_id)
            self._next_directory = time.monotonic() + self.directory_every
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.directory is not None and time.monotonic() >= self._next_directory:
                self._next_directory = time.monotonic() + self.directory_every
                try:
                    if self.directory.sync().more:
                        self._next_directory = time.monotonic() + self.interval  # more to resolve: soon
                except Exception:
                    log.exception("directory_sync_failed team=%s", self.relay.team_id)
            try:
                stats = self.relay.run_once()
            except Exception:
                log.exception("relay_pass_failed team=%s", self.relay.team_id)
                stats = RelayStats()
            if stats.claimed < self.relay.batch:
                self._stop.wait(self.interval)


def start_relay(
    sessions: sessionmaker[Session],
    settings: Any,
    *,
    client: WebClient | None = None,
    team_id: str | None = None,
) -> RelayService:
    """Start the relay and the owner directory for `accountbot run`; returns the service (call `.stop()`).

    The workspace is `team_id`, else SLACK_TEAM_ID, else the bot token's own team (auth.test), else the
    only workspace in the database. A configured workspace that is not the token's own is refused: its
    nudges would go out with another workspace's token."""
    from bot.directory import Directory
    from bot.slack_client import make_web_client

    client = client or make_web_client(settings, retries=False)
    configured = team_id or getattr(settings, "slack_team_id", None)
    token_team = _token_team(client)
    if configured and token_team and configured != token_team:
        raise RuntimeError(
            f"SLACK_TEAM_ID is {configured} but SLACK_BOT_TOKEN belongs to workspace {token_team}; "
            "set SLACK_TEAM_ID to the token's workspace (or unset it)"
        )
    team = configured or token_team or _only_workspace(sessions)
    if not team:
        raise RuntimeError(
            "the outbox relay cannot tell which workspace to serve: set SLACK_TEAM_ID (auth.test failed and the "
            "database holds several workspaces or none)"
        )
    relay = Relay(sessions, client, team_id=team)
    log.info("relay_starting team=%s worker=%s", team, relay.worker)
    directory = Directory(sessions, client, team_id=team, also=lambda: settings.listed_admins(team))
    return RelayService(relay, directory=directory).start()


def _token_team(client: WebClient) -> str | None:
    try:
        return str(client.auth_test().get("team_id") or "") or None
    except Exception as exc:
        log.warning("relay_auth_test_failed error=%s", type(exc).__name__)
        return None


def _only_workspace(sessions: sessionmaker[Session]) -> str | None:
    from storage.db import workspace_ids

    with sessions() as session:
        teams = workspace_ids(session)
    return teams[0] if len(teams) == 1 else None


class RelayPool:
    """OAuth mode: a relay per installed workspace, each sending with that workspace's own bot token from the
    installation store (bot.installations). `sync()` starts relays for workspaces installed since, restarts one
    whose token changed (a reinstall) and stops those of uninstalled workspaces; the pool calls it every
    `every` seconds. `stop()` stops them all."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Any, store: Any, *, every: float = 30.0
    ) -> None:
        self.sessions, self.settings, self.store, self.every = sessions, settings, store, every
        self.relays: dict[str, tuple[str, RelayService]] = {}  # team id -> (its token, its relay)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="accountbot-relay-pool", daemon=True)

    def start(self) -> RelayPool:
        self.sync()
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        for team in list(self.relays):
            self._drop(team)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.sync()
            except Exception:
                log.exception("relay_pool_sync_failed")

    def sync(self) -> None:
        from bot.directory import Directory
        from bot.slack_client import make_web_client

        tokens: dict[str, str] = {}
        for enterprise_id, team in self.store.installed():
            bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team)
            if bot is not None and bot.bot_refresh_token:  # Slack's token rotation: renew before it expires
                bot = self._renewed(bot)
            if bot is not None and bot.bot_token:
                tokens[team] = bot.bot_token
        for team in [t for t in self.relays if tokens.get(t) != self.relays[t][0]]:
            self._drop(team)  # uninstalled, or a new token
        for team, token in tokens.items():
            if team in self.relays:
                continue
            client = make_web_client(self.settings, token=token, retries=False)
            relay = Relay(self.sessions, client, team_id=team)
            also = partial(self.settings.listed_admins, team)
            directory = Directory(self.sessions, client, team_id=team, also=also)
            service = RelayService(relay, directory=directory).start()
            self.relays[team] = (token, service)
            log.info("relay_starting team=%s worker=%s", team, relay.worker)

    def _renewed(self, bot: Any) -> Any:
        """The bot with a fresh token when its rotating token expires within 2 hours (slack_sdk's TokenRotator,
        oauth.v2.access with the refresh token), saved encrypted; the bot as it was otherwise or on failure."""
        from slack_sdk.oauth.token_rotation import TokenRotator

        from bot.slack_client import make_web_client

        secret = (
            self.settings.slack_client_secret.get_secret_value() if self.settings.slack_client_secret else ""
        )
        rotator = TokenRotator(client_id=self.settings.slack_client_id, client_secret=secret,
                               client=make_web_client(self.settings, token=None))  # fmt: skip
        try:
            renewed = rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=120)
        except Exception as exc:  # the old token may still work; the next sync tries again
            log.warning("token_rotation_failed team=%s error=%s", bot.team_id, classify(exc).error)
            return bot
        if renewed is None:
            return bot
        self.store.save_bot(renewed)
        log.info("token_rotated team=%s", bot.team_id)
        return renewed

    def _drop(self, team: str) -> None:
        _token, service = self.relays.pop(team)
        service.stop()
        log.info("relay_stopped team=%s", team)
