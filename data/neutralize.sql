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
-- Change-notification subscriptions are production's: the copy forgets them (their notices go
-- with them) without touching them at Microsoft, and never registers production's webhook URL.
DELETE FROM outlook_subscription;
DELETE FROM ir_config_parameter WHERE key = 'outlook_calendar_sync.webhook_base_url';
