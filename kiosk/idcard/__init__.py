"""The resident ID card reader (二代证阅读器) at the gate.

- frames: the serial frame protocol (encode requests, decode responses as they arrive).
- card: the card's 256 bytes of text as a Card (resident ID, foreign permanent resident ID, HK/Macau/Taiwan
  residence permit), checked field by field; what the visitor form takes from it.
- reader: a reader on a serial port (pyserial): find, select, read; each failure an IdCardError.
- wedge: readers that type like a keyboard (ID number, maybe the name, then Enter).
- simulator: a reader on a pseudo-terminal with demo cards and injectable faults (tests, demos).

The card photo is read off the wire with the text (the protocol sends both) and dropped there: it is never
kept, stored or shown.
"""
from __future__ import annotations

from kiosk.i18n import UserError


class IdCardError(UserError):
    """The card could not be read or used; nothing was filled. `message()` says what to do, in the current language."""
