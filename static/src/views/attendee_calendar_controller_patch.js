import { AttendeeCalendarController } from "@calendar/views/attendee_calendar/attendee_calendar_controller";
import { OutlookSyncButton } from "../components/outlook_sync_button/outlook_sync_button";

AttendeeCalendarController.components = {
    ...AttendeeCalendarController.components,
    OutlookSyncButton,
};
