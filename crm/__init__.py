"""The CRM API layer of the live sync (issue 16): HubSpot and Salesforce read page by page, inside their
rate limits, as plain records the sync engine writes in transactions (see crm.pages for the contract).

crm/ knows HTTP and the vendors' APIs; it imports nothing of ours (no storage, bot, jobs or CLI). The
settings (HUBSPOT_TOKEN, SALESFORCE_LOGIN_URL, ...) are passed in as constructor arguments.
"""

from crm.errors import (
    AllocationLimitReached,
    AnswerTimedOut,
    ApiError,
    AuthFailed,
    CrmError,
    DailyLimitReached,
    ErrorBudgetExceeded,
    RateLimited,
    ServerError,
    Unreachable,
)
from crm.pages import CrmRecord, Page

__all__ = [
    "AllocationLimitReached",
    "AnswerTimedOut",
    "ApiError",
    "AuthFailed",
    "CrmError",
    "CrmRecord",
    "DailyLimitReached",
    "ErrorBudgetExceeded",
    "Page",
    "RateLimited",
    "ServerError",
    "Unreachable",
]
