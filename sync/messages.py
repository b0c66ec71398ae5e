"""What a user reads when Microsoft fails or refuses the sync, in words they can act on."""

from odoo import fields
from odoo.exceptions import UserError

from ..services.errors import AuthError, SignInFailed


def app_rejected_message(env):
    return env._(
        "Microsoft refused this Odoo's app credentials: an administrator must check the "
        "Client ID and renew the Client Secret in Settings."
    )


def unreachable_message(env, error):
    return env._(
        "Microsoft Graph could not be reached or refused the request: %(error)s", error=str(error)
    )


def unconfirmed_message(env, error):
    return env._(
        "Microsoft did not confirm the changes sent to Outlook (%(error)s): they may have been "
        "applied all the same. The next sync reads Outlook before sending any of them again, "
        "so nobody is mailed twice.",
        error=str(error),
    )


def throttled_message(env, retry_at):
    return env._(
        "Microsoft asked us to slow down: the next sync runs after %(when)s (UTC).",
        when=fields.Datetime.to_string(retry_at),
    )


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
