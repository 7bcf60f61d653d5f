"""Who may see what: roles, their purposes of access, and per field clear / masked / denied.

The policy is a TOML file (``default_policy.toml`` is shipped; ``C360_POLICY`` points at a
bank's own). It is read whole and checked strictly: an unknown key, role setting, field or
access value refuses to start the service, so a typo can neither open nor close data
silently. Nothing here knows GraphQL: fields are named ``Type.field`` as in the schema, and
the schema asks :class:`Grants` what to do with each.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from customer360.auth.masking import MASKS


class PolicyError(ValueError):
    """The policy file says something this service cannot enforce."""


class Access(enum.IntEnum):
    """Ordered from least to most open, so that several roles combine by ``max``."""

    DENIED = 0
    MASKED = 1
    CLEAR = 2


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    purposes: frozenset[str]
    explain: bool
    cost_budget: int
    reads_audit_record: bool
    fields: Mapping[str, Access]
    by_purpose: Mapping[str, Mapping[str, Access]] = field(default_factory=dict)

    def access(self, field_name: str, purpose: str | None) -> Access:
        override = self.by_purpose.get(purpose or "", {})
        return override.get(field_name, self.fields.get(field_name, Access.CLEAR))


@dataclass(frozen=True)
class Policy:
    personal_data: frozenset[str]
    roles: Mapping[str, Role]
    _grants: dict[tuple, "Grants"] = field(default_factory=dict, compare=False, repr=False)
    """:meth:`grants` worked out once per roles, purpose and exemption: every request asks."""

    def role(self, name: str) -> Role:
        try:
            return self.roles[name]
        except KeyError:
            raise PolicyError(f"unknown role {name!r} (the policy has {', '.join(sorted(self.roles))})") from None

    def grants(self, role_names: Iterable[str], purpose: str | None, *, purpose_exempt: bool = False) -> "Grants":
        """What a principal with these roles may see under ``purpose``.

        Only the roles that allow the purpose count (all of them for an exempt principal);
        where several count, the most open access of each field wins. Kept for purposes some
        role has (the client names the purpose: any other string is worked out, not kept).
        """
        role_names = tuple(role_names)
        key = (role_names, purpose, purpose_exempt)
        known = self._grants.get(key)
        if known is not None:
            return known
        made = self._combine(role_names, purpose, purpose_exempt)
        if purpose is None or any(purpose in role.purposes for role in self.roles.values()):
            self._grants[key] = made
        return made

    def _combine(self, role_names: tuple[str, ...], purpose: str | None, purpose_exempt: bool) -> "Grants":
        roles = [self.role(name) for name in role_names]
        counted = roles if purpose_exempt or purpose is None else [r for r in roles if purpose in r.purposes]
        names = set().union(*(r.fields for r in roles), *(f for r in roles for f in r.by_purpose.values()))
        fields = {name: max((r.access(name, purpose) for r in counted), default=Access.DENIED) for name in names}
        return Grants(
            personal_data=self.personal_data,
            fields=fields,
            purposes=frozenset().union(*(r.purposes for r in roles)),
            explain=any(r.explain for r in roles),
            cost_budget=max((r.cost_budget for r in roles), default=0),
            reads_audit_record=any(r.reads_audit_record for r in roles),
            default=Access.CLEAR if counted else Access.DENIED,
        )


@dataclass(frozen=True)
class Grants:
    """A principal's combined access under one purpose."""

    personal_data: frozenset[str]
    fields: Mapping[str, Access]
    purposes: frozenset[str]
    explain: bool
    cost_budget: int
    reads_audit_record: bool
    default: Access = Access.CLEAR

    def access(self, field_name: str) -> Access:
        return self.fields.get(field_name, self.default)

    @cached_property
    def masking(self) -> tuple[frozenset[str], Access]:
        """Which fields this caller gets masked, as a value: two grants with the same masking
        are recorded the same way by the audit, whoever holds them."""
        return frozenset(name for name, access in self.fields.items() if access is Access.MASKED), self.default

    @cached_property
    def decisions(self) -> tuple[frozenset[str], frozenset[tuple[str, Access]], Access]:
        """Every field's access, as a value: two grants with the same decisions show every
        field the same way (clear, masked or refused), whoever holds them."""
        return self.personal_data, frozenset(self.fields.items()), self.default


DEFAULT_POLICY = "default_policy.toml"
_ROLE_KEYS = {"description", "purposes", "explain", "cost_budget", "reads_audit_record", "fields", "purpose"}


def _access_table(where: str, table: Any, personal_data: frozenset[str]) -> dict[str, Access]:
    if not isinstance(table, dict):
        raise PolicyError(f"{where} must be a table of \"Type.field\" = \"clear\" | \"masked\" | \"denied\"")
    result: dict[str, Access] = {}
    for name, value in table.items():
        if name not in personal_data:
            raise PolicyError(f"{where}: {name!r} is not in personal_data, so its access cannot be set")
        try:
            access = Access[str(value).upper()]
        except KeyError:
            raise PolicyError(f"{where}.{name}: {value!r} is not one of clear, masked, denied") from None
        if access is Access.MASKED and name not in MASKS:
            raise PolicyError(f"{where}.{name}: this field has no mask; use clear or denied")
        result[name] = access
    return result


def _role(name: str, raw: Any, personal_data: frozenset[str]) -> Role:
    where = f"roles.{name}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be a table")
    unknown = set(raw) - _ROLE_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    purposes = raw.get("purposes", [])
    if not isinstance(purposes, list) or not all(isinstance(p, str) and p for p in purposes):
        raise PolicyError(f"{where}.purposes must be a list of purpose names")
    budget = raw.get("cost_budget", 0)
    if not isinstance(budget, int) or budget < 0:
        raise PolicyError(f"{where}.cost_budget must be a whole number of at least 0")
    by_purpose: dict[str, dict[str, Access]] = {}
    for purpose, table in raw.get("purpose", {}).items():
        if purpose not in purposes:
            raise PolicyError(f"{where}.purpose.{purpose}: not one of the role's purposes")
        if set(table) != {"fields"}:
            raise PolicyError(f"{where}.purpose.{purpose} may only hold a fields table")
        by_purpose[purpose] = _access_table(f"{where}.purpose.{purpose}.fields", table["fields"], personal_data)
    return Role(
        name=name,
        description=str(raw.get("description", "")),
        purposes=frozenset(purposes),
        explain=bool(raw.get("explain", False)),
        cost_budget=budget,
        reads_audit_record=bool(raw.get("reads_audit_record", False)),
        fields=_access_table(f"{where}.fields", raw.get("fields", {}), personal_data),
        by_purpose=by_purpose,
    )


def parse_policy(text: str, source: str) -> Policy:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{source}: not valid TOML: {error}") from None
    unknown = set(raw) - {"personal_data", "roles"}
    if unknown:
        raise PolicyError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    personal = raw.get("personal_data", [])
    if not isinstance(personal, list) or not all(isinstance(f, str) and "." in f for f in personal):
        raise PolicyError(f"{source}: personal_data must be a list of \"Type.field\" names")
    personal_data = frozenset(personal)
    roles = raw.get("roles", {})
    if not roles:
        raise PolicyError(f"{source}: no roles")
    try:
        return Policy(personal_data, {name: _role(name, table, personal_data) for name, table in roles.items()})
    except PolicyError as error:
        raise PolicyError(f"{source}: {error}") from None


def load_policy(path: Path | None = None) -> Policy:
    """The policy at ``path``, or the shipped defaults."""
    if path is None:
        text = resources.files("customer360.auth").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")
        return parse_policy(text, DEFAULT_POLICY)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(f"C360_POLICY={path}: cannot be read: {error.strerror}") from None
    return parse_policy(text, str(path))
