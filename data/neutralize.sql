-- A neutralized copy of a database must not sync with anyone's real Outlook calendar.
UPDATE outlook_account
   SET state = 'paused', token_cache = NULL, sign_in_flow = NULL
 WHERE state != 'not_connected';
