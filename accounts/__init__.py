"""Pure account-management rules from the seeds: tiers, ratings, grades, quadrants, cadences, signals.

No Slack, no SQL, no clock reads: dataclasses in, decisions (with reasons) out.
"""
