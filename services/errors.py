"""Exception types of the sync core.

Every error carries the data a caller needs to decide what to do next (retry later, resync,
ask the user to reconnect, re-read and re-plan), in the manner of vdirsyncer's
``SyncConflict(ident, href_a, href_b)``: callers branch on the type and read attributes, never
parse messages.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base class of every error raised by ``services``."""


class GraphError(SyncError):
    """Microsoft Graph answered with an error status.

    ``code`` is Graph's ``error.code`` (branch on it, never on ``message``); ``status`` is the
    HTTP status.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class NotFound(GraphError):
    """404: the item is gone from the mailbox (or never was)."""


class PreconditionFailed(GraphError):
    """412: the ``If-Match`` etag is stale; re-read the event and re-plan."""


class Throttled(GraphError):
    """429/503/504 still returned after the bounded retries; try again after ``retry_after``."""

    def __init__(self, status: int, code: str, message: str, retry_after: float) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after


class SyncStateGone(GraphError):
    """The delta state is unusable (410 ``SyncStateNotFound``, or a repeating ``nextLink``).

    The caller drops its delta link and runs a full window resync, re-matching existing links.
    """


class ReauthRequired(SyncError):
    """The user's grant is no longer valid (``invalid_grant``, or 401 after one refresh).

    ``reason`` is a short machine-readable cause (e.g. ``invalid_grant``,
    ``unauthorized_after_refresh``, ``no_account``); the account moves to ``needs_reauth``.
    """

    def __init__(self, reason: str, description: str = "") -> None:
        super().__init__(f"{reason}: {description}" if description else reason)
        self.reason = reason
        self.description = description


class TransportError(SyncError):
    """No HTTP answer (timeout, connection reset): the outcome of a write is unknown.

    For a create, the caller must not POST again blindly: the next run matches by the
    extended property / ``transactionId`` before creating.
    """

    def __init__(self, method: str, url: str, reason: str) -> None:
        super().__init__(f"{method} {url}: {reason}")
        self.method = method
        self.url = url
        self.reason = reason


class WriteUnconfirmed(TransportError):
    """A write Graph may have applied without saying so: no answer, or a 503/504 to a request
    that is not safe to repeat (Graph has answered 503 to a PATCH it had applied and mailed).
    It is not sent again in this run; the next one reads Outlook before deciding."""


class MalformedEvent(SyncError):
    """A Graph event could not be read into ``EventValues``; only that event is skipped."""

    def __init__(self, graph_id: str | None, reason: str) -> None:
        super().__init__(f"event {graph_id!r}: {reason}")
        self.graph_id = graph_id
        self.reason = reason


class SnapshotError(SyncError):
    """A stored base snapshot cannot be read (unknown version or missing field)."""


class SignInFailed(SyncError):
    """The sign-in redirect could not be redeemed (state mismatch, denied consent, bad code)."""

    def __init__(self, reason: str, description: str = "") -> None:
        super().__init__(f"{reason}: {description}" if description else reason)
        self.reason = reason
        self.description = description


class AuthError(SyncError):
    """The identity platform refused the app itself (``invalid_client``: bad or expired secret)
    or is unavailable; an administrator or a later retry fixes it, not the user."""

    def __init__(self, reason: str, description: str = "") -> None:
        super().__init__(f"{reason}: {description}" if description else reason)
        self.reason = reason
        self.description = description


class AdminConsentRequired(AuthError):
    """The organization has not granted (or has revoked) the app's application permissions:
    the token endpoint answers as for an app unknown to the tenant (AADSTS700016). Every
    account of the organization stops until an administrator grants consent again."""


class AdminConsentRefused(SyncError):
    """The admin-consent page came back without consent (the administrator cancelled, or the
    reply is not Microsoft's): ``reason`` is Microsoft's ``error`` or ours."""

    def __init__(self, reason: str, description: str = "") -> None:
        super().__init__(f"{reason}: {description}" if description else reason)
        self.reason = reason
        self.description = description


class MailboxUnavailable(GraphError):
    """An organization-wide connection cannot reach one user's mailbox: it has none
    (404 ``MailboxNotEnabledForRESTAPI``), or the organization's application access policy
    keeps the app out of it (403 "Access to OData is disabled."). ``reason`` says which:
    ``no_mailbox`` or ``access_policy``. Only that user's account stops."""

    def __init__(self, status: int, code: str, message: str, reason: str) -> None:
        super().__init__(status, code, message)
        self.reason = reason
