import logging

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.outlook_account import app_rejected_message, unreachable_message
from ..services.errors import AuthError, SignInFailed, SyncError

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
            accounts._discard_sign_in()
            _logger.warning(
                "Outlook sign-in of user %s failed: %s", request.env.uid, type(error).__name__
            )
            return request.render(
                "outlook_calendar_sync.sign_in_result",
                {"message": sign_in_failure_message(request.env, error)},
                status=400,
            )
        return request.redirect(return_path, local=True)


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
