"""Channels behind one small interface: `send(message) -> Outcome`.

An Outcome says sent, retry (the provider or the network may take it later) or give_up (it never will:
a bad address, a template the provider refuses), with the provider's code and reason kept for the admin.
A channel without its address in the settings is off; `configured(settings)` lists the ones that are on.
Submodules: `base` (the interface), `registry` (`configured`), one module per provider.
"""
from kiosk.notify.channels.base import CHANNEL_NAMES, Channel, Message, Outcome

__all__ = ["CHANNEL_NAMES", "Channel", "Message", "Outcome"]
