"""Schema, sessions, queries and migrations. Every query is scoped by workspace (Slack team id)."""

import storage.classes  # noqa: E402,F401  (registers the stale-classification hook on every Session)
