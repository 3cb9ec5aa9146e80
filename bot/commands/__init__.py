"""`/account SUBCOMMAND ...`: one module per group of subcommands (its parser, handler, usage and help
lines), the shared types and text helpers, and `registry`, the one list every word is dispatched from.
See README.md#adding-a-subcommand.
"""
