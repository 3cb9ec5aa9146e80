"""What can stop a read from a CRM, as typed errors with messages meant for the admin who reads them.

Every error names its source ("hubspot" or "salesforce"). The sync engine catches `CrmError`; the ones that
say "stop until later" (`DailyLimitReached`, `AllocationLimitReached`, `ErrorBudgetExceeded`) leave the
stored watermark where the last written page put it, so the next run resumes from there.
"""

from __future__ import annotations

from datetime import datetime

SOURCES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}


class CrmError(Exception):
    """Base of every error of the CRM API layer."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message

    def __str__(self) -> str:
        return self.message


class AuthFailed(CrmError):
    """The credentials were refused (a bad or revoked token, an unapproved connected app, a bad key)."""


class DailyLimitReached(CrmError):
    """HubSpot's daily request limit is used up: nothing more until it resets (midnight, portal time)."""

    def __init__(self, source: str, *, daily: int | None, reset_at: datetime, zone: str) -> None:
        self.daily = daily
        self.reset_at = reset_at
        self.zone = zone
        size = f" ({daily:,} requests a day)" if daily else ""
        super().__init__(
            source,
            f"{SOURCES.get(source, source)}'s daily API limit for this account is used up{size}. The sync "
            f"stops here and resumes from its watermark after the limit resets at "
            f"{reset_at:%Y-%m-%d %H:%M} {zone} (midnight in the account's time zone).",
        )


class AllocationLimitReached(CrmError):
    """Salesforce's 24-hour API allocation is at the configured share (default 80%), or already refused
    (403 REQUEST_LIMIT_EXCEEDED). Not retried: the sync stops and reports."""

    def __init__(
        self, source: str, *, used: int | None, allowed: int | None, share: float, refused: str | None = None
    ) -> None:
        self.used = used
        self.allowed = allowed
        self.share = share
        self.refused = refused  # Salesforce's message when it answered REQUEST_LIMIT_EXCEEDED
        usage = f"{used:,} of {allowed:,} requests" if used is not None and allowed else "unknown"
        if refused is not None:
            text = (
                f"Salesforce refused the request: the org's 24-hour API allocation is used up "
                f"(REQUEST_LIMIT_EXCEEDED: {refused}; usage {usage}). The sync stops without retrying and "
                "resumes from its watermark on a later run, once the rolling 24-hour usage has fallen."
            )
        else:
            percent = f"{used / allowed:.0%}" if used is not None and allowed else "?"
            text = (
                f"Salesforce API usage in the last 24 hours is {usage} ({percent}). The sync stops at "
                f"{share:.0%} of the org's allocation so that other integrations keep their share; it resumes "
                "from its watermark on a later run, once the rolling 24-hour usage has fallen "
                "(Setup > Company Information > API Requests, Last 24 Hours)."
            )
        super().__init__(source, text)


class RateLimited(CrmError):
    """429s for the interval limit that went on after every back-off allowed."""


class ErrorBudgetExceeded(CrmError):
    """Too many error answers for the requests sent (HubSpot asks integrations to stay under 5%)."""

    def __init__(self, source: str, *, errors: int, requests: int, share: float) -> None:
        self.errors = errors
        self.requests = requests
        super().__init__(
            source,
            f"{SOURCES.get(source, source)} answered {errors} of {requests} requests with an error; the sync "
            f"stops to keep error answers under {share:.0%} of its requests. It resumes from its watermark "
            "on the next run.",
        )


class ServerError(CrmError):
    """5xx answers that went on after every retry allowed."""

    def __init__(self, source: str, message: str, *, status: int) -> None:
        super().__init__(source, message)
        self.status = status


class AnswerTimedOut(CrmError):
    """The server did not answer in time, after every retry allowed."""


class Unreachable(CrmError):
    """No connection could be made (DNS, refused, reset), after every retry allowed."""


class ApiError(CrmError):
    """Any other answer the API layer cannot go on from (a 400 for a malformed query, a 404, a 414)."""

    def __init__(self, source: str, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(source, message)
        self.status = status
        self.code = code
