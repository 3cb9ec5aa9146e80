"""Pure rendering: data -> Message(text, blocks). Snapshot-tested; reused by the demo and the relay."""
