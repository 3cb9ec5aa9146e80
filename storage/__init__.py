"""Schema, sessions, queries and migrations; every query is scoped by workspace (Slack team id).

Core: models, db, migrations. stored/: stored values and their hooks. reads/, writes/: queries by what they
return or change. importing/: imports. queues/: outbox, ledger. feeds, mentions: news. See docs/data.md.
"""
