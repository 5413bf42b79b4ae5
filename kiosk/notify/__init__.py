"""Telling the people who must know (issue 17): guardians on a boarder's exit and return, head teachers,
duty leaders and leadership when a boarder is overdue or missing, the duty leader on a watchlist deny hit,
the food-safety officer on a dish served without a sample.

- model.py     the notification fact, its delivery receipts, guardian opt-outs (migration m0012)
- settings.py  [notify] settings: events, recipients, channels
- rules.py     pure rules: who is told of what, which step is due, backoff, rate limit, give-up
- store.py     contacts from the roster; writing notifications inside the caller's transaction
- events.py    hooks the services call inside their own write transaction
- planner.py   notifications caused by time passing (overdue returns, ladder steps, dishes without a sample)
- render.py    a notification's text from the catalogs, in the school's language
- channels/    SMS gateway, WeCom robot, DingTalk robot, e-mail: one small interface
- delivery.py  the offline-first delivery loop (retries, receipts, crash recovery) and the app's worker
- service.py   what screens and the CLI ask: lists, a test message, guardian opt-outs
"""
