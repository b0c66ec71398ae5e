"""HTTP routes: Microsoft's sign-in return and Graph's change notifications, for the models."""

from odoo import http
from odoo.http import request

from ..models.outlook_subscription import WEBHOOK_PATH


class OutlookCalendarSyncController(http.Controller):
    @http.route("/microsoft_account/authentication", type="http", auth="user", methods=["GET"])
    def outlook_authentication(self, state=None, **query):
        """Microsoft sends the browser back here with a code (or an error) and our state."""
        return_path, failure = request.env["outlook.account"]._sign_in_returned(
            state, dict(query, state=state or "")
        )
        if failure:
            return request.render(
                "outlook_calendar_sync.sign_in_result", {"message": failure}, status=400
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
        request.env["outlook.subscription"].sudo()._receive_payload(
            request.httprequest.get_data(cache=False)
        )
        return request.make_response("", status=202)
