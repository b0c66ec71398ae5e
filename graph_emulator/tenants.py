"""Organizations (Entra tenants) as an app-only caller meets them: which tenant a mailbox
belongs to, which users have no Exchange mailbox, the administrators' consents to an app's
application permissions, and Exchange Online's application access policies.

Every mailbox belongs to the emulator's one tenant (``identity.TENANT_ID``) unless it was
moved to another; a policy is a set of mailbox addresses an app may reach in a tenant (none:
every mailbox of the tenant).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Tenant:
    """One organization: its mailboxes' tenancy lives in ``Tenants.tenant_of``."""

    tenant_id: str
    # Application permissions an administrator granted, by client id.
    consents: dict[str, frozenset[str]] = field(default_factory=dict)
    # The mailboxes (lower-case addresses) each app may reach, by client id.
    policies: dict[str, frozenset[str]] = field(default_factory=dict)


class Tenants:
    """The organizations the emulator knows, created on first mention."""

    def __init__(self, default_tenant: str) -> None:
        self.default_tenant = default_tenant
        self.lock = threading.RLock()
        self.tenants: dict[str, Tenant] = {}
        self.tenant_of: dict[str, str] = {}
        self.without_mailbox: set[str] = set()

    def tenant(self, tenant_id: str) -> Tenant:
        """The organization ``tenant_id`` (made if new)."""
        with self.lock:
            return self.tenants.setdefault(tenant_id, Tenant(tenant_id))

    def move(self, address: str, tenant_id: str) -> None:
        """Put a mailbox (user) into another organization."""
        with self.lock:
            self.tenant(tenant_id)
            self.tenant_of[address.lower()] = tenant_id

    def tenant_id_of(self, address: str) -> str:
        """The organization a mailbox belongs to."""
        with self.lock:
            return self.tenant_of.get(address.lower(), self.default_tenant)

    def set_mailbox_enabled(self, address: str, enabled: bool) -> None:
        """A user of the directory with (True) or without (False) an Exchange Online mailbox."""
        with self.lock:
            if enabled:
                self.without_mailbox.discard(address.lower())
            else:
                self.without_mailbox.add(address.lower())

    def has_mailbox(self, address: str) -> bool:
        """Whether the user has an Exchange Online mailbox."""
        with self.lock:
            return address.lower() not in self.without_mailbox

    def grant(self, tenant_id: str, client_id: str, roles: frozenset[str]) -> None:
        """An administrator consents to ``roles`` for the app in the tenant."""
        with self.lock:
            self.tenant(tenant_id).consents[client_id] = roles

    def revoke(self, tenant_id: str, client_id: str) -> bool:
        """The administrator removes the app from the tenant; False when it was not there."""
        with self.lock:
            return self.tenant(tenant_id).consents.pop(client_id, None) is not None

    def consented(self, tenant_id: str, client_id: str) -> frozenset[str] | None:
        """The application permissions granted to the app in the tenant, None without consent."""
        with self.lock:
            tenant = self.tenants.get(tenant_id)
            return tenant.consents.get(client_id) if tenant else None

    def restrict(self, tenant_id: str, client_id: str, addresses: list[str] | None) -> None:
        """An application access policy: the app reaches only ``addresses`` (None: removed)."""
        with self.lock:
            policies = self.tenant(tenant_id).policies
            if addresses is None:
                policies.pop(client_id, None)
            else:
                policies[client_id] = frozenset(a.lower() for a in addresses)

    def policy_allows(self, tenant_id: str, client_id: str, address: str) -> bool:
        """Whether the tenant's policy lets the app reach the mailbox."""
        with self.lock:
            tenant = self.tenants.get(tenant_id)
            allowed = tenant.policies.get(client_id) if tenant else None
            return allowed is None or address.lower() in allowed

    def reset(self) -> None:
        """Forget every consent, policy and tenancy."""
        with self.lock:
            self.tenants.clear()
            self.tenant_of.clear()
            self.without_mailbox.clear()
