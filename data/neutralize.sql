-- A neutralized copy of a database must not sync with anyone's real Outlook calendar: no
-- account may use production's tokens or sync state, every connected account waits paused.
UPDATE outlook_account
   SET token_cache = NULL,
       sign_in_flow = NULL,
       delta_link = NULL,
       delta_window_end = NULL,
       next_sync_at = NULL;
UPDATE outlook_account
   SET state = 'paused'
 WHERE state != 'not_connected';
