"""Canteen services: food sample retention 食品留样, one module per job.

- `core`: what every job shares: CanteenError, who may act, the school's zone and day, the sample as
  screens see it (SampleView, with its timing, fridge band, hold and disposal state).
- `meals`: a day's meals and menus, checked against their samples (menu check); accompanied meals and tastings.
- `samples`: record a sample (weight, fridge, temperature) and find one by its label scan.
- `sample_labels`: a sample's label: its text, rendering and printing.
- `disposal`: may a scanned sample be disposed of now; dispose; due and overdue lists.
- `holds`: incident holds 封存 and the samples they hold.
- `register`: the register 留样记录表 and the inspectors' list of held samples, and their exports.

Screens and the CLI call these; they return frozen dataclasses (never peewee rows), write only through
kiosk.services.facts and raise CanteenError (an i18n key + values). The rules are pure functions in
kiosk.services.sample_rules. This package imports none of its modules here, so importing one job's module
loads only what that job needs.
"""
