"""How each maskable field is masked: visibly, so a reader can never take a mask for data.

One function per field, used by every path that shows the field (GraphQL fields, network
node properties, search hits) through :class:`~customer360.auth.access.RequestAccess`.
"""

from __future__ import annotations

from collections.abc import Callable


def ssn_from_last_four(last_four: str) -> str:
    """``***-**-1234``: the SSN is stored encrypted; its last four digits are all a mask needs."""
    return "***-**-" + last_four


def year_of_birth(iso_date: str) -> str:
    """``1972-**-**``: the year, in the date's own shape."""
    return iso_date[:4] + "-**-**"


def phone_last_four(number: str) -> str:
    """``***-***-0100``: the last four digits, whatever the format the number was recorded in."""
    digits = [c for c in number if c.isdigit()]
    return "***-***-" + "".join(digits[-4:]).rjust(4, "*")


def street_hidden(street: str) -> str:
    """The street is left out; the city and a ZIP prefix still place the customer."""
    return "(masked)"


def zip_prefix(zip_code: str) -> str:
    """``100**``: the first three digits (the sectional centre), not the delivery area."""
    return zip_code[:3] + "*" * max(0, len(zip_code) - 3)


MASKS: dict[str, Callable[[str], str]] = {
    "Person.ssn": ssn_from_last_four,
    "Person.dateOfBirth": year_of_birth,
    "Phone.number": phone_last_four,
    "Address.street": street_hidden,
    "Address.zipCode": zip_prefix,
}
