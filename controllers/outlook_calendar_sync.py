import json
import logging

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.outlook_subscription import WEBHOOK_PATH
from ..services.errors import AuthError, SignInFailed, SyncError
from ..services.notifications import read_notifications
from ..sync.messages import app_rejected_message, unreachable_message

_logger = logging.getLogger(__name__)


class OutlookCalendarSyncController(http.Controller):
    @http.route("/microsoft_account/authentication", type="http", auth="user", methods=["GET"])
    def outlook_authentication(self, state=None, **query):
        """Microsoft sends the browser back here with a code (or an error) and our state."""
        accounts = request.env["outlook.account"]
        try:
            return_path = accounts._finish_sign_in(state, dict(query, state=state or ""))
        except (UserError, SyncError) as error:
            request.env.cr.rollback()
            # Whatever failed, the sign-in it belonged to is over: a replay must fail too.
            accounts._discard_sign_in(state)
            _logger.warning(
                "Outlook sign-in of user %s failed: %s", request.env.uid, type(error).__name__
            )
            return request.render(
                "outlook_calendar_sync.sign_in_result",
                {"message": sign_in_failure_message(request.env, error)},
                status=400,
            )
        return request.redirect(return_path, local=True)

    @http.route(
        WEBHOOK_PATH,
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def outlook_notifications(self, validationToken=None, **_query):
        """Microsoft Graph's calls for ``outlook.subscription``; public, no session, no CSRF
        token (Graph has neither), so it trusts nothing but a matching ``clientState``.

        - ``?validationToken=...`` (Graph checking the URL when a subscription is created):
          200, the token unchanged as ``text/plain`` (``nosniff``), nothing read or written.
        - a ``{"value": [...]}`` collection: each item whose subscription is known and whose
          ``clientState`` matches (constant-time compare) records a notice for its account (an
          active or failing one; a paused account waits for its next sync) and wakes the sync
          cron, which syncs the account; ``reauthorizationRequired`` and ``subscriptionRemoved``
          ask the maintenance cron to renew or recreate (a removed one syncs too), ``missed``
          syncs.
          Unknown subscriptions and wrong ``clientState`` values are ignored and logged with
          the subscription id only (never the secret or the payload).
        - Always 202 with an empty body, whatever the body held (malformed, forged or valid):
          the answer tells a caller nothing, and nothing is synced in this request, so Graph
          gets it in milliseconds.
        """
        if validationToken is not None:
            return request.make_response(
                validationToken,
                headers=[
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("X-Content-Type-Options", "nosniff"),
                ],
            )
        try:
            payload = json.loads(request.httprequest.get_data(cache=False) or b"null")
        except ValueError:
            payload = None
        notifications = list(read_notifications(payload))
        if notifications:
            request.env["outlook.subscription"].sudo()._receive(notifications)
        else:
            _logger.info("Outlook notification endpoint: a POST without notifications ignored")
        return request.make_response("", status=202)


def sign_in_failure_message(env, error):
    """One sentence the user can act on; never Microsoft's trace ids or tokens."""
    if isinstance(error, UserError):
        return error.args[0]
    if isinstance(error, SignInFailed) and error.reason == "access_denied":
        return env._("The sign-in at Microsoft was cancelled: nothing was connected.")
    if isinstance(error, SignInFailed):
        description = (error.description or "").strip().splitlines()
        return env._(
            "Microsoft refused the sign-in (%(reason)s): %(description)s",
            reason=error.reason,
            description=description[0] if description else "",
        )
    if isinstance(error, AuthError):
        return app_rejected_message(env)
    return unreachable_message(env, error)
