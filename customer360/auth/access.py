"""One request's access to personal data: the principal's grants under the declared purpose.

Every path that shows a personal field asks :meth:`RequestAccess.present` (GraphQL fields,
network node properties, search hits), so masking happens in this one place. A denied field
raises :class:`FieldDenied`, a personal field asked for without a purpose raises
:class:`PurposeRequired`; the schema's error boundary turns each into an error on that
field's path while the rest of the response stands. A purpose the principal's roles do not
allow refuses the whole request before anything runs (:attr:`RequestAccess.refusal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from customer360.auth.masking import MASKS
from customer360.auth.policy import Access, Grants, Policy
from customer360.auth.principal import Principal

PURPOSE_HEADER = "X-Purpose-Of-Access"


class AccessError(Exception):
    """A refusal the client is meant to read; ``code`` goes into the error's extensions."""

    code = "FORBIDDEN"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FieldDenied(AccessError):
    pass


class PurposeRequired(AccessError):
    code = "PURPOSE_REQUIRED"


class PurposeRefused(AccessError):
    pass


@dataclass(frozen=True)
class RequestAccess:
    principal: Principal
    purpose: str | None
    grants: Grants
    refusal: PurposeRefused | None = None

    @classmethod
    def decide(cls, policy: Policy, principal: Principal, purpose: str | None) -> "RequestAccess":
        purpose = (purpose or "").strip() or None
        grants = policy.grants(principal.roles, purpose, purpose_exempt=principal.purpose_exempt)
        refusal = None
        if purpose is not None and not principal.purpose_exempt and purpose not in grants.purposes:
            allowed = ", ".join(sorted(grants.purposes)) or "none"
            refusal = PurposeRefused(
                f"purpose of access {purpose!r} is not allowed for {principal.name} "
                f"(roles {', '.join(principal.roles)}; allowed: {allowed})"
            )
        return cls(principal, purpose, grants, refusal)

    def cost_budget(self, server_budget: int) -> int:
        """The estimated cost this request may have: the most generous of the principal's
        roles' ``cost_budget`` in the policy, or the server's (``C360_MAX_COST``) where no role
        sets one (``cost_budget = 0``)."""
        return self.grants.cost_budget or server_budget

    def access(self, field_name: str) -> Access:
        """Clear, masked or denied; raises when the field needs a purpose that was not given."""
        if field_name in self.grants.personal_data and self.purpose is None and not self.principal.purpose_exempt:
            raise PurposeRequired(
                f"{field_name} is personal data: send the {PURPOSE_HEADER} header "
                f"(one of: {', '.join(sorted(self.grants.purposes)) or 'none for your roles'})"
            )
        access = self.grants.access(field_name)
        if access is Access.DENIED:
            raise FieldDenied(f"{field_name} is not available to {self.principal.name} "
                              f"(roles {', '.join(self.principal.roles)}, purpose {self.purpose or 'none'})")
        return access

    def present(self, field_name: str, value: str) -> str:
        """``value`` as this request may see it (masked with the field's own mask)."""
        if self.access(field_name) is Access.MASKED:
            return MASKS[field_name](value)
        return value

    def visible(self, field_name: str, value: str) -> str | None:
        """Like :meth:`present`, but ``None`` instead of an error: for bags of properties
        (network nodes) where a missing key, not an error, is the way to leave a value out."""
        try:
            return self.present(field_name, value)
        except AccessError:
            return None
