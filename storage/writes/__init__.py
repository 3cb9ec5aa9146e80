"""Writes from the Slack face (edits) and from the Slack directory (slack_users); they run in the caller's
unit of work and never commit. Imports are in storage.importing."""
