"""A small synthetic Binance USD-M capture, for when no real data is at hand.

Lines are written exactly as the real captures are (``LOCAL_RECV_NS JSON``,
gzip): combined-stream ``depth@0ms`` diffs with ``U``/``u``/``pu`` update ids,
``trade`` and ``bookTicker`` messages, and a few lines in one REST depth
snapshot (``lastUpdateId``, no stream wrapper). The book behind them is
simulated in integer ticks and never crossed; diffs before the snapshot follow
Binance's rules (the first diff to apply has ``U <= lastUpdateId <= u``), each
``bookTicker`` carries the top of the book at the ``u`` of the diff it follows,
and trades deplete the level they hit in the next diff. A seed makes the bytes
identical from run to run.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

#: 2024-08-08T12:00:00Z, the day of the real captures.
START_NS = 1_723_118_400_000_000_000


@dataclass(frozen=True)
class SyntheticMarket:
    """One instrument to simulate: its symbol, starting best bid and increments."""

    symbol: str
    best_bid: str
    tick: str
    size_decimals: int = 3
    levels: int = 20


MARKETS = (
    SyntheticMarket("BTCUSDT", "61800.20", "0.10"),
    SyntheticMarket("ETHUSDT", "2601.37", "0.01"),
)


def _decimals(text: str) -> int:
    return len(text.partition(".")[2])


def _raw(text: str, decimals: int) -> int:
    whole, _, frac = text.partition(".")
    return int(whole + frac.ljust(decimals, "0"))


def _text(raw: int, decimals: int) -> str:
    if decimals == 0:
        return str(raw)
    return f"{raw // 10**decimals}.{raw % 10**decimals:0{decimals}d}"


@dataclass
class _Book:
    market: SyntheticMarket
    rng: random.Random
    best_bid: int = 0
    bids: dict[int, int] = field(default_factory=dict)
    asks: dict[int, int] = field(default_factory=dict)
    pending: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def price_decimals(self) -> int:
        return _decimals(self.market.tick)

    def price(self, tick: int) -> str:
        step = _raw(self.market.tick, self.price_decimals)
        return _text(tick * step, self.price_decimals)

    def size(self, raw: int) -> str:
        return _text(raw, self.market.size_decimals)

    def random_size(self) -> int:
        # Mostly small orders, now and then a large one, as on a real book.
        scale = 10**self.market.size_decimals
        return max(1, int(self.rng.lognormvariate(0, 1.3) * scale // 4))

    def seed_levels(self) -> None:
        step = _raw(self.market.tick, self.price_decimals)
        self.best_bid = _raw(self.market.best_bid, self.price_decimals) // step
        n = self.market.levels
        self.bids = {self.best_bid - i: self.random_size() for i in range(n)}
        self.asks = {self.best_bid + 1 + i: self.random_size() for i in range(n)}

    def next_diff(self) -> tuple[dict[int, int], dict[int, int]]:
        """Moves the book one step; returns the changed levels per side (0 = removed)."""
        move = self.rng.choices((-2, -1, 0, 1, 2), weights=(1, 6, 30, 6, 1))[0]
        self.best_bid += move
        n = self.market.levels
        want_bids = set(range(self.best_bid - n + 1, self.best_bid + 1))
        want_asks = set(range(self.best_bid + 1, self.best_bid + 1 + n))
        changes: dict[str, dict[int, int]] = {"b": {}, "a": {}}
        for side, book, want in (("b", self.bids, want_bids), ("a", self.asks, want_asks)):
            for tick in [t for t in book if t not in want]:
                changes[side][tick] = 0
            for tick in sorted(want - set(book)):
                changes[side][tick] = self.random_size()
            for tick in self.rng.sample(sorted(want), self.rng.randint(1, 3)):
                changes[side].setdefault(tick, self.random_size())
        for (side, tick), qty in self.pending.items():
            book = self.bids if side == "b" else self.asks
            if tick in book and tick not in changes[side]:
                changes[side][tick] = qty
        self.pending.clear()
        for side, book in (("b", self.bids), ("a", self.asks)):
            for tick, qty in changes[side].items():
                if qty == 0:
                    book.pop(tick, None)
                else:
                    book[tick] = qty
        return changes["b"], changes["a"]

    def trade(self) -> tuple[int, int, bool]:
        """A market order against the top; returns (tick, size, buyer_is_maker)."""
        buyer_is_maker = self.rng.random() < 0.5
        side, tick = ("b", max(self.bids)) if buyer_is_maker else ("a", min(self.asks))
        book = self.bids if side == "b" else self.asks
        resting = self.pending.get((side, tick), book[tick])
        size = min(self.random_size(), resting - 1) if resting > 1 else 0
        if size <= 0:
            return tick, 0, buyer_is_maker
        self.pending[(side, tick)] = resting - size
        return tick, size, buyer_is_maker


def write_capture(
    path: Path,
    market: SyntheticMarket,
    *,
    messages: int = 3000,
    seed: int = 7,
    start_ns: int = START_NS,
) -> int:
    """Writes a synthetic capture of about ``messages`` lines; returns the line count."""
    rng = random.Random(f"{seed}-{market.symbol}")
    book = _Book(market, rng)
    book.seed_levels()
    lower = market.symbol.lower()
    lines: list[str] = []
    local_ns = start_ns
    last_u = 4_000_000_000_000 + rng.randint(0, 10**9)
    trade_id = 5_000_000_000 + rng.randint(0, 10**6)
    snapshot_after = 3  # diffs before the snapshot's lastUpdateId; one more arrives before it
    diffs = 0

    def emit(stream: str | None, data: dict[str, object]) -> None:
        nonlocal local_ns
        local_ns += rng.randint(300, 3_000)  # messages of one burst arrive microseconds apart
        body = data if stream is None else {"stream": stream, "data": data}
        lines.append(f"{local_ns} {json.dumps(body, separators=(',', ':'))}")

    snapshot: dict[str, object] | None = None
    while len(lines) < messages:
        local_ns += int(rng.expovariate(1 / 15_000_000)) + 1
        event_ms = (local_ns - rng.randint(1_000_000, 3_000_000)) // 1_000_000
        if rng.random() < 0.25 and diffs:
            tick, size, maker = book.trade()
            if size:
                trade_id += 1
                emit(
                    f"{lower}@trade",
                    {
                        "e": "trade",
                        "E": event_ms,
                        "T": event_ms,
                        "s": market.symbol,
                        "t": trade_id,
                        "p": book.price(tick),
                        "q": book.size(size),
                        "X": "MARKET",
                        "m": maker,
                    },
                )
            continue
        bid_changes, ask_changes = book.next_diff()
        first_u = last_u + 1
        last_u = first_u + rng.randint(0, 8)
        emit(
            f"{lower}@depth@0ms",
            {
                "e": "depthUpdate",
                "E": event_ms,
                "T": event_ms,
                "s": market.symbol,
                "U": first_u,
                "u": last_u,
                "pu": first_u - 1,
                "b": [[book.price(t), book.size(q)] for t, q in sorted(bid_changes.items())],
                "a": [[book.price(t), book.size(q)] for t, q in sorted(ask_changes.items())],
            },
        )
        diffs += 1
        best_bid, best_ask = max(book.bids), min(book.asks)
        emit(
            f"{lower}@bookTicker",
            {
                "e": "bookTicker",
                "u": last_u,
                "s": market.symbol,
                "b": book.price(best_bid),
                "B": book.size(book.bids[best_bid]),
                "a": book.price(best_ask),
                "A": book.size(book.asks[best_ask]),
                "T": event_ms,
                "E": event_ms,
            },
        )
        if diffs == snapshot_after:
            snapshot = {
                "lastUpdateId": last_u,
                "E": event_ms,
                "T": event_ms,
                "bids": [[book.price(t), book.size(book.bids[t])] for t in sorted(book.bids)[::-1]],
                "asks": [[book.price(t), book.size(book.asks[t])] for t in sorted(book.asks)],
            }
        elif diffs == snapshot_after + 1 and snapshot is not None:
            # The REST snapshot arrives after a later diff, as in the real captures.
            emit(None, snapshot)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(("\n".join(lines) + "\n").encode())
    return len(lines)


def generate(root: Path, *, messages: int = 3000, seed: int = 7) -> list[Path]:
    """Writes one capture per market under ``root/binance-usdm/``; returns their paths."""
    paths = []
    for market in MARKETS:
        path = root / "binance-usdm" / f"{market.symbol.lower()}_20240808.gz"
        write_capture(path, market, messages=messages, seed=seed)
        paths.append(path)
    return paths


__all__ = ["MARKETS", "START_NS", "SyntheticMarket", "generate", "write_capture"]
