"""The synthetic bank generator behind ``c360 generate``.

It writes the five CSV files of the seed notebook (persons, accounts, addresses, phones,
transactions) for any number of customers, for tests, demos and benchmarks at realistic scale.

Choices, and why:

* Deterministic: everything random comes from one ``random.Random(seed)`` and one
  ``Faker('en_US')`` seeded with the same seed; no global random state, no clock (the default
  period starts at a fixed date, ``DEFAULT_START``). A benchmark or a failing test can then be
  reproduced byte for byte from ``(persons, seed, start, days)``. Byte-identity holds for the
  same Python and Faker versions; a new Faker may spell names differently.
* Streaming: a million persons must not need the bank in memory. Pass 1 (``customers``) writes
  persons, accounts, addresses and phones as each household is made; pass 2 (``transactions``)
  writes transactions sender by sender. Between them only O(accounts) small numbers are kept
  (planned sends per account, account count and wealth per person): about 13 bytes per person.
  Account ids are contiguous, so any account is picked by drawing a number, never a list lookup.
* Fast: Faker is slow per value, so names, streets and places are drawn from Faker once into
  pools of a few thousand (``pools``) and rows pick from those with the seeded ``Random``;
  weighted draws use prebuilt cumulative tables (``sampling``).
* Realistic enough to exercise every rule: households share addresses (and some a landline),
  a few mobiles are shared by unrelated persons, balances and activity are skewed and
  correlated with wealth so every segment and risk level occurs, hub accounts draw hundreds of
  counterparties and small cycles of accounts (rings) move money in circles.
* Safe output: files are written under temporary names and renamed into place only when the
  whole run succeeded (``csvfiles``).
"""

from customer360.generator.bank import DEFAULT_START, GenerationSummary, generate_bank
from customer360.generator.csvfiles import (
    ACCOUNTS_FILE,
    ADDRESSES_FILE,
    DUPLICATES_FILE,
    HEADERS,
    PERSONS_FILE,
    PHONES_FILE,
    TRANSACTIONS_FILE,
)

__all__ = [
    "ACCOUNTS_FILE",
    "ADDRESSES_FILE",
    "DUPLICATES_FILE",
    "DEFAULT_START",
    "HEADERS",
    "PERSONS_FILE",
    "PHONES_FILE",
    "TRANSACTIONS_FILE",
    "GenerationSummary",
    "generate_bank",
]
