"""Order books: a streaming :class:`OrderBook` and a batch :func:`replay`, both following
the venue's synchronisation rules (see ``docs/books.md``)."""

from __future__ import annotations

from ferrox.book.order_book import OrderBook
from ferrox.book.replay import STATE_NAMES, replay, replay_mbo
from ferrox.book.rules import RULES, sync_rule_for

__all__ = ["RULES", "STATE_NAMES", "OrderBook", "replay", "replay_mbo", "sync_rule_for"]
