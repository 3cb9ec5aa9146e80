"""Reads, one module per thing returned: account states, summaries, cards, contacts, App Home, assessments,
account look-ups, chart inputs, report inputs, Slack users. Every query is scoped by team_id."""
