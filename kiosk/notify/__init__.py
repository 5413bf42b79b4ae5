"""Telling the people who must know (issue 17): guardians on a boarder's exit and return, head teachers,
duty leaders and leadership when a boarder is overdue or missing, the duty leader on a watchlist deny hit,
the food-safety officer on a dish served without a sample.

- model.py     the notification fact, its delivery receipts, guardian opt-outs
- settings.py  [notify] settings: events, recipients, channels
- rules.py     pure rules: who is told of what, which step is due, backoff, rate limit
- events.py    hooks the services call inside their own write transaction
- planner.py   notifications caused by time passing (later ladder steps, dishes without a sample)
- channels/    SMS gateway, WeCom robot, DingTalk robot, e-mail: one small interface
- delivery.py  the offline-first delivery loop (retries, receipts, crash recovery)
- queries.py   what screens and the CLI show
"""
