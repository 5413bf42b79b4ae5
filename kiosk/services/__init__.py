"""Services: plain functions that take inputs (and `now`) and return frozen dataclasses.

Screens call these through thread workers; nothing here imports Textual.
"""
