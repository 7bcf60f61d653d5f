"""Pass 2: transactions between the bank's own accounts, streamed sender by sender.

Pass 1 fixed how many transactions each account sends (``Ledger.planned_sends``); here they are
written account by account, so nothing but the current account's few favourite counterparties is
held in memory. Receivers are account numbers drawn arithmetically (accounts are numbered
1..N contiguously), so every endpoint exists in the accounts file without keeping a list of ids.

Why the shapes are what they are:

* Receivers: a quarter of payments go to a hub (merchants, payroll accounts; about 0.1% of
  accounts), so hubs have hundreds of distinct counterparties, as hubs do in graph analytics. Some
  go to the sender's own other accounts (transfers), some to a few favourite counterparties of that
  account (rent, family), the rest to a random account. Hubs themselves pay out (payroll).
* Amounts are lognormal (most small, a long tail past 100,000) and scale with the sender's
  wealth, so high-volume / high-average risk rules fire for some customers and not for most.
* Timestamps follow a weekly and daily rhythm in US Eastern time (UTC-5, ignoring daylight
  saving for simplicity): weekdays and business hours are busiest, nights quiet. The file is not
  sorted by time; loaders must not rely on order.
* Rings: a few cycles of 3-6 accounts pass similar, slightly shrinking amounts A->B->...->A,
  hop after hop within hours or days, several times over the period: the classic layering
  pattern that relationship discovery and AML checks should be able to find.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from customer360.generator.customers import Ledger

_HUB_SHARE = 0.25
_OWN_TRANSFER_SHARE = 0.08
_FAVOURITE_SHARE = 0.20
_AMOUNT_MEDIAN = 130.0
_AMOUNT_SIGMA = 1.6
_AMOUNT_WEALTH_LIFT = 1.0
_HUB_AMOUNT_SHRINK = 0.5  # card purchases at merchants are smaller than transfers
_MAX_AMOUNT = 500_000.0
_PAYROLL_MEDIAN = 3_200.0
_HUB_PAYOUTS = (40, 160)  # outgoing payroll payments per hub over the period

_PERSONS_PER_RING = 2000
_RING_SIZE = (3, 6)
_RING_ROUNDS = (3, 6)
_RING_AMOUNT_MEDIAN = 9_000.0

_UTC_OFFSET_HOURS = -5  # business hours are US Eastern (standard time all year)
_WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 1.1, 0.55, 0.35)  # Monday..Sunday
_HOUR_WEIGHT = (
    0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.2, 0.45, 0.8, 1.0, 1.0, 1.0,
    1.1, 1.0, 1.0, 1.0, 0.9, 0.85, 0.7, 0.55, 0.45, 0.35, 0.2, 0.1,
)  # fmt: skip


class TimeSampler:
    """Draws epoch seconds in ``[start, start + days * 86400)`` with a weekly and daily rhythm."""

    def __init__(self, start_epoch: int, days: int) -> None:
        self._start = start_epoch
        weights = []
        for hour in range(days * 24):
            local = start_epoch + hour * 3600 + _UTC_OFFSET_HOURS * 3600
            local_day = local // 86400
            weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
            weights.append(_WEEKDAY_WEIGHT[weekday] * _HOUR_WEIGHT[(local // 3600) % 24])
        self._cumulative = list(accumulate(weights))
        self._total = self._cumulative[-1]
        self._end = start_epoch + days * 86400

    def draw(self, rng: random.Random) -> int:
        hour = bisect_right(self._cumulative, rng.random() * self._total)
        return self._start + hour * 3600 + int(rng.random() * 3600)

    def clamp(self, epoch: int) -> int:
        """Wrap a time that ran past the end back into the period."""
        return self._start + (epoch - self._start) % (self._end - self._start)


@dataclass(frozen=True, slots=True)
class Ring:
    accounts: tuple[int, ...]
    amount: float
    rounds: int

    @property
    def transactions(self) -> int:
        return len(self.accounts) * self.rounds


def plan_rings(rng: random.Random, ledger: Ledger) -> list[Ring]:
    """``max(1, persons // 2000)`` cycles over distinct non-hub accounts (none if too few accounts)."""
    hubs = set(ledger.hubs)
    eligible = ledger.accounts - len(hubs)
    rings = []
    for _ in range(max(1, ledger.persons // _PERSONS_PER_RING)):
        size = rng.randint(*_RING_SIZE)
        if eligible < size:
            break
        members: list[int] = []
        while len(members) < size:
            number = rng.randint(1, ledger.accounts)
            if number not in hubs and number not in members:
                members.append(number)
        amount = rng.lognormvariate(math.log(_RING_AMOUNT_MEDIAN), 0.3)
        rings.append(Ring(tuple(members), amount, rng.randint(*_RING_ROUNDS)))
    return rings


def add_hub_payouts(rng: random.Random, ledger: Ledger) -> None:
    """Hubs pay out too (payroll, refunds): make sure each sends a steady stream."""
    if ledger.accounts < 2:
        return
    for hub in ledger.hubs:
        ledger.planned_sends[hub - 1] = max(ledger.planned_sends[hub - 1], rng.randint(*_HUB_PAYOUTS))


class TransactionPass:
    """Writes every planned transaction, then the rings; ids ``TX`` + 10 digits from 1."""

    def __init__(self, rng: random.Random, writer, ledger: Ledger, times: TimeSampler) -> None:
        self._rng = rng
        self._writer = writer
        self._ledger = ledger
        self._times = times
        self._next_id = 1

    def run(self, rings: list[Ring], on_progress=None) -> int:
        ledger = self._ledger
        if ledger.accounts >= 2:
            self._regular(on_progress)
            for ring in rings:
                self._ring(ring)
                if on_progress is not None:
                    on_progress(ring.transactions)
        return self._next_id - 1

    def _regular(self, on_progress) -> None:
        # Locals rather than attributes: this loop runs once per transaction.
        # ``int(random() * n)`` rather than ``randrange(n)``: randrange is pure Python and was a
        # third of this loop; the bias for n far below 2**53 is immaterial for synthetic data.
        rng = self._rng
        random_ = rng.random

        def randrange(n: int) -> int:
            return int(random_() * n)

        lognormal = rng.lognormvariate
        draw_time = self._times.draw
        writerow = self._writer.writerow
        ledger = self._ledger
        total_accounts = ledger.accounts
        planned = ledger.planned_sends
        hubs = ledger.hubs
        hub_set = set(hubs)
        hub_count = len(hubs)
        own_cut = _HUB_SHARE + _OWN_TRANSFER_SHARE
        favourite_cut = own_cut + _FAVOURITE_SHARE
        base_mu = math.log(_AMOUNT_MEDIAN)
        hub_mu_shift = math.log(_HUB_AMOUNT_SHRINK)
        payroll_mu = math.log(_PAYROLL_MEDIAN)
        next_id = self._next_id
        first_account = 1
        pending = 0

        def other_than(account: int) -> int:
            number = 1 + randrange(total_accounts - 1)  # 1..N-1, then skip ``account``
            return number + 1 if number >= account else number

        for person, owned in enumerate(ledger.accounts_per_person):
            mu = base_mu + _AMOUNT_WEALTH_LIFT * ledger.wealth[person]
            for account in range(first_account, first_account + owned):
                sends = planned[account - 1]
                if not sends:
                    continue
                sender = f"ACC{account:08d}"
                if account in hub_set:
                    for _ in range(sends):
                        amount = min(_MAX_AMOUNT, lognormal(payroll_mu, 0.4))
                        writerow(
                            (f"TX{next_id:010d}", sender, f"ACC{other_than(account):08d}",
                             f"{amount:.2f}", draw_time(rng))
                        )  # fmt: skip
                        next_id += 1
                    pending += sends
                    continue
                favourites = [other_than(account) for _ in range(1 + randrange(3))]
                for _ in range(sends):
                    pick = random_()
                    amount_mu = mu
                    if pick < _HUB_SHARE:
                        receiver = hubs[randrange(hub_count)]
                        amount_mu = mu + hub_mu_shift
                    elif pick < own_cut and owned > 1:
                        receiver = first_account + randrange(owned - 1)
                        if receiver >= account:
                            receiver += 1
                    elif pick < favourite_cut:
                        receiver = favourites[randrange(len(favourites))]
                    else:
                        receiver = other_than(account)
                    amount = lognormal(amount_mu, _AMOUNT_SIGMA)
                    if amount < 1.0:
                        amount = 1.0
                    elif amount > _MAX_AMOUNT:
                        amount = _MAX_AMOUNT * (0.2 + 0.8 * random_())  # fold back: no spike at the cap
                    writerow(
                        (f"TX{next_id:010d}", sender, f"ACC{receiver:08d}", f"{amount:.2f}", draw_time(rng))
                    )
                    next_id += 1
                pending += sends
            first_account += owned
            if pending >= 10_000 and on_progress is not None:
                on_progress(pending)
                pending = 0
        if pending and on_progress is not None:
            on_progress(pending)
        self._next_id = next_id

    def _ring(self, ring: Ring) -> None:
        rng = self._rng
        times = self._times
        size = len(ring.accounts)
        for _ in range(ring.rounds):
            moment = times.draw(rng)
            amount = ring.amount * rng.uniform(0.97, 1.03)
            for hop in range(size):
                sender = ring.accounts[hop]
                receiver = ring.accounts[(hop + 1) % size]
                self._writer.writerow(
                    (
                        f"TX{self._next_id:010d}",
                        f"ACC{sender:08d}",
                        f"ACC{receiver:08d}",
                        f"{amount:.2f}",
                        times.clamp(moment),
                    )
                )
                self._next_id += 1
                moment += rng.randint(3600, 2 * 86400)
                amount *= rng.uniform(0.985, 0.999)  # a small cut kept at each hop
