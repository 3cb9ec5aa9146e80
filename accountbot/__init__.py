"""accountbot: a Slack bot for key-account management (composition root, config, CLI, demo)."""

__version__ = "0.1.0"
