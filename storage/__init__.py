"""Schema, sessions, queries and migrations. Every query is scoped by workspace (Slack team id)."""

import storage.classes  # noqa: F401  (registers the stale-classification hook on every Session)
import storage.last_touch  # noqa: F401  (keeps the latest touches on every write to interactions)
import storage.rollups  # noqa: F401  (registers the stale-rollups hooks on every Session)
