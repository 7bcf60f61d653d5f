"""``generate_bank``: the one entry point, running pass 1 (customers) then pass 2 (transactions)."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from customer360.generator.csvfiles import (
    ACCOUNTS_FILE,
    ADDRESSES_FILE,
    DUPLICATES_FILE,
    PERSONS_FILE,
    PHONES_FILE,
    TRANSACTIONS_FILE,
    csv_writers,
)
from customer360.generator.customers import CustomerPass
from customer360.generator.duplicates import DuplicateInjector
from customer360.generator.pools import build_pools
from customer360.generator.transactions import (
    TimeSampler,
    TransactionPass,
    add_hub_payouts,
    plan_rings,
)

DEFAULT_START = datetime(2025, 1, 1, tzinfo=timezone.utc)
"""A fixed default, never "now": the same arguments must give the same bytes on any day."""


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """Rows written per file (header excluded) and where the files are."""

    out_dir: Path
    persons: int
    accounts: int
    addresses: int  # person-address rows; a shared address appears on several
    phones: int  # person-phone rows; a shared phone appears on several
    transactions: int
    duplicates: int = 0  # of the persons, how many are labelled duplicates (duplicates.csv)

    @property
    def files(self) -> dict[Path, int]:
        """Each written file with its row count, in the order a loader should read them."""
        return {
            self.out_dir / PERSONS_FILE: self.persons,
            self.out_dir / ACCOUNTS_FILE: self.accounts,
            self.out_dir / ADDRESSES_FILE: self.addresses,
            self.out_dir / PHONES_FILE: self.phones,
            self.out_dir / TRANSACTIONS_FILE: self.transactions,
        }


def generate_bank(
    out_dir: Path,
    persons: int,
    seed: int,
    *,
    progress: bool = True,
    start: datetime | None = None,
    days: int = 365,
    duplicates: float = 0.0,
) -> GenerationSummary:
    """Write a synthetic bank of ``persons`` customers as the five seed CSV files in ``out_dir``.

    The same ``(persons, seed, start, days)`` gives byte-identical files (with the same Python
    and Faker versions). ``start`` defaults to ``DEFAULT_START``; a naive ``start`` is taken as
    UTC. Transactions fall in ``[start, start + days)``. ``progress`` shows tqdm bars on stderr.
    Existing files of the same names are replaced only when the whole run succeeded.

    ``duplicates`` (a ratio, e.g. 0.01) adds ``round(persons * duplicates)`` labelled
    duplicate customers after the ``persons`` originals and lists them in ``duplicates.csv``
    (always written, empty without duplicates); see :mod:`.duplicates`. The originals, their
    accounts and all transactions are the same bytes as without duplicates.
    """
    if isinstance(persons, bool) or not isinstance(persons, int) or persons < 1:
        raise ValueError(f"persons must be a whole number of at least 1, got {persons!r}")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number of at least 1, got {days!r}")
    if start is None:
        start = DEFAULT_START
    elif start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    start = start.astimezone(timezone.utc)
    if isinstance(duplicates, bool) or not isinstance(duplicates, (int, float)) or not 0 <= duplicates <= 0.5:
        raise ValueError(f"duplicates must be a ratio between 0 and 0.5, got {duplicates!r}")
    start_epoch = int(start.timestamp())
    out_dir = Path(out_dir)

    rng = random.Random(seed)
    pools = build_pools(seed)
    names = (PERSONS_FILE, ACCOUNTS_FILE, ADDRESSES_FILE, PHONES_FILE, TRANSACTIONS_FILE, DUPLICATES_FILE)
    injector = DuplicateInjector(seed, round(persons * duplicates), start.date())
    with csv_writers(out_dir, names) as writers:
        customer_writers = {
            "persons": writers[PERSONS_FILE],
            "accounts": writers[ACCOUNTS_FILE],
            "addresses": writers[ADDRESSES_FILE],
            "phones": writers[PHONES_FILE],
        }
        with tqdm(total=persons, unit="person", desc="customers", file=sys.stderr, disable=not progress) as bar:
            customer_pass = CustomerPass(rng, pools, injector.tap(customer_writers), start.date())
            ledger = customer_pass.run(persons, bar.update)
        extra_persons, extra_accounts, extra_addresses, extra_phones = injector.write(
            customer_writers, writers[DUPLICATES_FILE], persons, ledger.accounts,
            customer_pass.next_address_number, customer_pass.next_phone_number,
        )

        if ledger.accounts >= 2 and not ledger.hubs:
            ledger.hubs.append(rng.randint(1, ledger.accounts))  # no active checking account at all
        add_hub_payouts(rng, ledger)
        rings = plan_rings(rng, ledger)
        planned = sum(ledger.planned_sends) + sum(ring.transactions for ring in rings) if ledger.accounts >= 2 else 0
        transactions = TransactionPass(rng, writers[TRANSACTIONS_FILE], ledger, TimeSampler(start_epoch, days))
        with tqdm(total=planned, unit="tx", desc="transactions", file=sys.stderr, disable=not progress) as bar:
            written = transactions.run(rings, bar.update)

    return GenerationSummary(
        out_dir=out_dir,
        persons=persons + extra_persons,
        accounts=ledger.accounts + extra_accounts,
        addresses=ledger.address_rows + extra_addresses,
        phones=ledger.phone_rows + extra_phones,
        transactions=written,
        duplicates=extra_persons,
    )
