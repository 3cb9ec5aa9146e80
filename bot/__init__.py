"""The only package that knows Slack: Bolt app factory, listeners, Block Kit rendering, outbox relay."""
