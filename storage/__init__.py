"""Schema, sessions, queries and migrations. Every query is scoped by workspace (Slack team id)."""
