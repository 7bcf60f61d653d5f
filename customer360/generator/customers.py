"""Pass 1: persons, grouped into households, with their addresses, phones and accounts.

Rows are written as each person is made, in person order, so memory does not grow with the
bank except for what pass 2 needs per account (see ``Ledger``): a planned number of outgoing
transactions per account (4 bytes), and per person their account count and wealth (5 bytes).
Account ids are handed out contiguously in person order, so pass 2 finds a person's accounts,
and any random account, arithmetically instead of keeping a list of ids.

Why the shapes are what they are:

* Households are runs of consecutive persons sharing one address row id (same street, city,
  state, zip on every member's row); most share the family's last name. That is what makes
  "shared address" relationships exist at all (the seed data had none) without any lookup of
  earlier persons.
* Shared phones come from two places, both streaming: a household landline (``home``) linked
  to every member, and a few "suspicious" mobiles that a handful of unrelated later persons
  also list. The latter are held in a tiny pool until they have all their links.
* Balances scale with a per-person wealth score and activity correlates with it, so the
  business thresholds (segments PREMIUM..BRONZE, risk LOW..HIGH) are all reached, and a
  customer's products look like one person's rather than independent draws. Credit cards and
  loans carry negative balances (money owed), which pulls some totals down as in a real bank.
* Per-account activity is Pareto-distributed: most accounts send a handful of transactions, a
  few send hundreds, which is what makes the "> 50 transactions" rules fire for some customers.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass, field
from datetime import date, timedelta

from customer360.generator.pools import Location, Name, Pools
from customer360.generator.sampling import Weighted, stochastic_round
from customer360.model import AccountStatus, AccountType, PhoneType

# Households: probability that the next group of persons is a family of 2-5 rather than a single.
# 0.135 with the sizes below puts about 30% of persons in a shared address.
_HOUSEHOLD_CHANCE = 0.135
_HOUSEHOLD_SIZE = Weighted((2, 3, 4, 5), (50, 28, 14, 8))
_SAME_LAST_NAME = 0.8
_SECOND_ADDRESS = 0.10
_SECONDARY_UNIT = 0.2

# Phones.
_LANDLINE = 0.3  # households with a shared home phone
_SECOND_OWN_PHONE = 0.22
_SUSPICIOUS_MOBILE = 0.006  # own mobile later also listed by 1-4 unrelated persons
_ATTACH_SUSPICIOUS = 0.03
_SUSPICIOUS_POOL_MAX = 64
_OWN_PHONE_TYPE = Weighted((PhoneType.MOBILE, PhoneType.WORK), (88, 12))
_SECOND_PHONE_TYPE = Weighted((PhoneType.WORK, PhoneType.HOME, PhoneType.MOBILE), (50, 30, 20))

# Accounts.
_ACCOUNT_COUNT = Weighted((1, 2, 3, 4, 5), (44, 31, 13, 7, 5))
_TYPES = (
    AccountType.CHECKING,
    AccountType.SAVINGS,
    AccountType.CREDIT_CARD,
    AccountType.INVESTMENT,
    AccountType.LOAN,
)
_FIRST_ACCOUNT_TYPE = Weighted(_TYPES, (82, 6, 7, 3, 2))
_OTHER_ACCOUNT_TYPE = Weighted(_TYPES, (14, 30, 26, 15, 15))
_STATUSES = (AccountStatus.ACTIVE, AccountStatus.DORMANT, AccountStatus.FROZEN, AccountStatus.CLOSED)
_STATUS = Weighted(_STATUSES, (86, 7, 2, 5))
_OPENED_WITHIN_YEARS = 25

# Expected outgoing transactions per account over the period, before the per-person and the
# Pareto factors; cards and current accounts are where day-to-day spending happens.
_TYPE_ACTIVITY = {
    AccountType.CHECKING: 5.6,
    AccountType.CREDIT_CARD: 5.2,
    AccountType.SAVINGS: 1.0,
    AccountType.INVESTMENT: 0.9,
    AccountType.LOAN: 0.6,
}
_STATUS_ACTIVITY = {
    AccountStatus.ACTIVE: 1.0,
    AccountStatus.DORMANT: 0.03,
    AccountStatus.FROZEN: 0.3,
    AccountStatus.CLOSED: 0.2,
}
_PARETO_ALPHA = 1.6
_PARETO_MEAN = _PARETO_ALPHA / (_PARETO_ALPHA - 1)
_MAX_PLANNED_SENDS = 5000

# Phone number spellings seen in the seed data (Faker en_US formats), by share.
_PHONE_FORMAT = Weighted(
    (
        "{a}-{e}-{l}",
        "({a}) {e}-{l}",
        "+1-{a}-{e}-{l}",
        "{a}.{e}.{l}",
        "{a}{e}{l}",
        "001-{a}-{e}-{l}x{x5}",
        "{a}-{e}-{l}x{x3}",
        "({a}){e}-{l}x{x3}",
    ),
    (26, 20, 15, 15, 10, 5, 5, 4),
)

# Hub accounts (merchants, payroll): about 0.1% of accounts, i.e. one per 500 persons.
_PERSONS_PER_HUB = 500


@dataclass(slots=True)
class Ledger:
    """What pass 1 leaves for pass 2: counts and small per-account numbers, never rows."""

    persons: int
    accounts: int = 0
    address_rows: int = 0
    phone_rows: int = 0
    accounts_per_person: array = field(default_factory=lambda: array("B"))
    wealth: array = field(default_factory=lambda: array("f"))
    planned_sends: array = field(default_factory=lambda: array("I"))  # [account number - 1]
    hubs: list[int] = field(default_factory=list)  # account numbers


@dataclass(slots=True)
class _SuspiciousPhone:
    phone_id: str
    number: str
    links_left: int
    household: int


def shift_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def phone_number(rng: random.Random) -> str:
    """A North-American number in one of the mixed spellings of the seed data."""
    return _PHONE_FORMAT.draw(rng).format(
        a=rng.randint(201, 989),
        e=rng.randint(200, 999),
        l=f"{rng.randrange(10000):04d}",
        x3=rng.randint(100, 999),
        x5=rng.randint(10000, 99999),
    )


def ssn(rng: random.Random) -> str:
    """A valid-looking SSN: area 001-899 except 666, group 01-99, serial 0001-9999."""
    area = rng.randint(1, 898)
    if area >= 666:
        area += 1
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


class CustomerPass:
    """Writes persons, accounts, addresses and phones; returns the ``Ledger`` for pass 2."""

    def __init__(self, rng: random.Random, pools: Pools, writers: dict, start: date) -> None:
        self._rng = rng
        self._pools = pools
        self._persons_out = writers["persons"]
        self._accounts_out = writers["accounts"]
        self._addresses_out = writers["addresses"]
        self._phones_out = writers["phones"]
        self._start = start
        self._start_ordinal = start.toordinal()
        self._next_address = 1
        self._next_phone = 1
        self._suspicious: list[_SuspiciousPhone] = []
        self._hub_candidates_seen = 0

    @property
    def next_address_number(self) -> int:
        """The number the next new address id would get (duplicates continue from it)."""
        return self._next_address

    @property
    def next_phone_number(self) -> int:
        return self._next_phone

    def run(self, persons: int, on_progress=None) -> Ledger:
        ledger = Ledger(persons=persons)
        hub_slots = max(1, persons // _PERSONS_PER_HUB)
        person = 1
        household = 0
        while person <= persons:
            size = 1
            if self._rng.random() < _HOUSEHOLD_CHANCE:
                size = min(_HOUSEHOLD_SIZE.draw(self._rng), persons - person + 1)
            household += 1
            self._household(ledger, person, size, household, hub_slots)
            person += size
            if on_progress is not None:
                on_progress(size)
        return ledger

    # -- one household -------------------------------------------------------------------

    def _household(self, ledger: Ledger, first: int, size: int, household: int, hub_slots: int) -> None:
        rng = self._rng
        pools = self._pools
        family = rng.choice(pools.last_names)
        home_id, home_fields = self._new_address()
        landline = None
        if size >= 2 and rng.random() < _LANDLINE:
            landline = (self._new_phone_id(), phone_number(rng))
        head_age = int(rng.triangular(18, 91, 42))
        for member in range(size):
            person_id = f"P{first + member:07d}"
            if member == 0:
                age = head_age
            elif member == 1:
                age = min(90, max(18, head_age + rng.randint(-6, 6)))
            else:
                age = head_age - rng.randint(20, 38)
                if age < 18:
                    age = rng.randint(18, 90)  # a relative rather than a grown-up child
            last = family if member == 0 or rng.random() < _SAME_LAST_NAME else rng.choice(pools.last_names)
            birth = self._write_person(person_id, last, age)
            ledger.address_rows += self._write_addresses(person_id, home_id, home_fields)
            ledger.phone_rows += self._write_phones(person_id, landline, household)
            self._write_accounts(ledger, person_id, birth, hub_slots)

    # -- rows ----------------------------------------------------------------------------

    def _write_person(self, person_id: str, last: Name, age: int) -> date:
        rng = self._rng
        pools = self._pools
        first = rng.choice(pools.female_first_names if rng.random() < 0.5 else pools.male_first_names)
        birth = self._birth_date(age)
        self._persons_out.writerow(
            (person_id, first.text, last.text, birth.isoformat(), ssn(rng), self._email(first.slug, last.slug))
        )
        return birth

    def _write_addresses(self, person_id: str, home_id: str, home_fields: tuple) -> int:
        out = self._addresses_out
        out.writerow((home_id, person_id, *home_fields))
        if self._rng.random() < _SECOND_ADDRESS:
            other_id, other_fields = self._new_address()
            out.writerow((other_id, person_id, *other_fields))
            return 2
        return 1

    def _write_phones(self, person_id: str, landline, household: int) -> int:
        rng = self._rng
        out = self._phones_out
        own_id, own_number = self._new_phone_id(), phone_number(rng)
        own_type = _OWN_PHONE_TYPE.draw(rng)
        out.writerow((own_id, person_id, own_number, own_type.value))
        if (
            own_type is PhoneType.MOBILE
            and len(self._suspicious) < _SUSPICIOUS_POOL_MAX
            and rng.random() < _SUSPICIOUS_MOBILE
        ):
            self._suspicious.append(_SuspiciousPhone(own_id, own_number, rng.randint(1, 4), household))
        if landline is not None:
            out.writerow((landline[0], person_id, landline[1], PhoneType.HOME.value))
            return 2
        if self._suspicious and rng.random() < _ATTACH_SUSPICIOUS:
            index = rng.randrange(len(self._suspicious))
            shared = self._suspicious[index]
            if shared.household != household:
                out.writerow((shared.phone_id, person_id, shared.number, PhoneType.MOBILE.value))
                shared.links_left -= 1
                if shared.links_left == 0:
                    self._suspicious[index] = self._suspicious[-1]
                    self._suspicious.pop()
                return 2
        if rng.random() < _SECOND_OWN_PHONE:
            kind = _SECOND_PHONE_TYPE.draw(rng)
            out.writerow((self._new_phone_id(), person_id, phone_number(rng), kind.value))
            return 2
        return 1

    def _write_accounts(self, ledger: Ledger, person_id: str, birth: date, hub_slots: int) -> None:
        rng = self._rng
        wealth = rng.gauss(0.0, 1.0)
        activity = math.exp(0.7 * wealth + 0.5 * rng.gauss(0.0, 1.0))
        count = _ACCOUNT_COUNT.draw(rng)
        earliest = max(shift_years(birth, 18).toordinal(), self._start_ordinal - 365 * _OPENED_WITHIN_YEARS)
        for index in range(count):
            number = ledger.accounts + 1
            ledger.accounts = number
            kind = (_FIRST_ACCOUNT_TYPE if index == 0 else _OTHER_ACCOUNT_TYPE).draw(rng)
            status = _STATUS.draw(rng)
            balance = 0.0 if status is AccountStatus.CLOSED else _balance(rng, kind, wealth)
            opened = date.fromordinal(rng.randint(earliest, self._start_ordinal))
            self._accounts_out.writerow(
                (
                    f"ACC{number:08d}",
                    person_id,
                    kind.value,
                    f"{balance:.2f}",
                    status.value,
                    opened.isoformat(),
                )
            )
            expected = (
                _TYPE_ACTIVITY[kind]
                * _STATUS_ACTIVITY[status]
                * activity
                * rng.paretovariate(_PARETO_ALPHA)
                / _PARETO_MEAN
            )
            ledger.planned_sends.append(min(_MAX_PLANNED_SENDS, stochastic_round(rng, expected)))
            if kind is AccountType.CHECKING and status is AccountStatus.ACTIVE:
                self._offer_hub(ledger, number, hub_slots)
        ledger.accounts_per_person.append(count)
        ledger.wealth.append(wealth)

    # -- helpers -------------------------------------------------------------------------

    def _offer_hub(self, ledger: Ledger, number: int, slots: int) -> None:
        """Reservoir-sample the hub accounts among active checking accounts (O(hubs) memory)."""
        self._hub_candidates_seen += 1
        if len(ledger.hubs) < slots:
            ledger.hubs.append(number)
        else:
            slot = self._rng.randrange(self._hub_candidates_seen)
            if slot < slots:
                ledger.hubs[slot] = number

    def _new_address(self) -> tuple[str, tuple[str, str, str, str]]:
        rng = self._rng
        pools = self._pools
        address_id = f"ADR{self._next_address:08d}"
        self._next_address += 1
        number = rng.randint(1, 99999) if rng.random() < 0.5 else rng.randint(100, 9999)
        street = f"{number} {rng.choice(pools.street_names)}"
        if rng.random() < _SECONDARY_UNIT:
            street = f"{street} {rng.choice(pools.secondary_units)}"
        where: Location = rng.choice(pools.locations)
        return address_id, (street, where.city, where.state, where.zip_code)

    def _new_phone_id(self) -> str:
        phone_id = f"PH{self._next_phone:08d}"
        self._next_phone += 1
        return phone_id

    def _birth_date(self, age: int) -> date:
        """A birth date at which the person is exactly ``age`` (completed years) on the start day."""
        latest = shift_years(self._start, -age)
        earliest = shift_years(self._start, -(age + 1)) + timedelta(days=1)
        return date.fromordinal(self._rng.randint(earliest.toordinal(), latest.toordinal()))

    def _email(self, first: str, last: str) -> str:
        rng = self._rng
        style = rng.randrange(4)
        first = first or "user"
        last = last or "mail"
        if style == 0:
            local = f"{first}.{last}"
        elif style == 1:
            local = f"{first}{last}{rng.randint(1, 99)}"
        elif style == 2:
            local = f"{first[0]}{last}{rng.randint(1, 999)}"
        else:
            local = f"{last}.{first}{rng.randint(1, 99)}"
        return f"{local}@{rng.choice(self._pools.email_domains)}"


def _balance(rng: random.Random, kind: AccountType, wealth: float) -> float:
    """A plausible balance for ``kind``; owed amounts (cards, loans) are negative."""
    lift = 0.9 * wealth
    if kind is AccountType.CHECKING:
        return min(750_000.0, rng.lognormvariate(math.log(2_500) + lift, 0.9))
    if kind is AccountType.SAVINGS:
        return min(2_000_000.0, rng.lognormvariate(math.log(15_000) + lift, 1.0))
    if kind is AccountType.INVESTMENT:
        return min(1_200_000.0, rng.lognormvariate(math.log(60_000) + lift, 1.0))
    if kind is AccountType.CREDIT_CARD:
        if rng.random() < 0.15:
            return 0.0  # paid off
        return -min(25_000.0, max(1.0, rng.lognormvariate(math.log(1_800), 1.0)))
    return -min(400_000.0, max(5_000.0, rng.lognormvariate(math.log(40_000), 1.0)))
