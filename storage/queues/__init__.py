"""Work queues in the database: the outbox of Slack messages and the ledger of job runs."""
