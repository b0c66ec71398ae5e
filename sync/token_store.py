"""The secret columns of ``outlook.account``: the msal token cache and the pending sign-in flow,
read and written with plain SQL so that no field, read, export or tracking can reach them."""

import json


class TokenStore:
    """Reads and writes an account's token cache and pending sign-in flow."""

    def __init__(self, cr, account_id):
        self._cr = cr
        self._id = account_id

    def read_cache(self):
        self._cr.execute("SELECT token_cache FROM outlook_account WHERE id = %s", [self._id])
        row = self._cr.fetchone()
        return row[0] if row else None

    def write_cache(self, blob):
        if blob is not None:
            self._cr.execute(
                "UPDATE outlook_account SET token_cache = %s WHERE id = %s", [blob, self._id]
            )

    def read_flow(self):
        self._cr.execute("SELECT sign_in_flow FROM outlook_account WHERE id = %s", [self._id])
        row = self._cr.fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def write_flow(self, flow):
        self._cr.execute(
            "UPDATE outlook_account SET sign_in_flow = %s WHERE id = %s",
            [json.dumps(flow) if flow else None, self._id],
        )

    def clear(self):
        self._cr.execute(
            "UPDATE outlook_account SET token_cache = NULL, sign_in_flow = NULL WHERE id = %s",
            [self._id],
        )
