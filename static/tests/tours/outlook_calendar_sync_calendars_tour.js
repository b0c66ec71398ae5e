import { registry } from "@web/core/registry";

// Alice is connected (tests/test_calendars_tour.py); she opens the calendar picker from the
// Outlook menu, ticks her "Projects" calendar in import only, and saves.
registry.category("web_tour.tours").add("outlook_calendar_sync_calendars_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            content: "Open the Outlook menu",
            trigger: ".o_outlook_sync[data-state='active'] .o_outlook_sync_menu",
            run: "click",
        },
        {
            content: "Choose the calendars to sync",
            trigger: ".o_outlook_sync_calendars",
            run: "click",
        },
        {
            content: "The default calendar is synced already",
            trigger: ".modal .o_outlook_calendar_picker .o_data_row:first:contains(Calendar) .o_boolean_toggle input:checked",
        },
        {
            content: "Tick Projects",
            trigger: ".modal .o_data_row:contains(Projects) .o_boolean_toggle input",
            run: "click",
        },
        {
            content: "Open its direction",
            trigger: ".modal .o_data_row:contains(Projects) td[name=sync_mode]",
            run: "click",
        },
        {
            content: "Import only",
            trigger: ".modal .o_data_row:contains(Projects) td[name=sync_mode] select",
            run: 'select "import_only"',
        },
        {
            content: "Save",
            trigger: ".modal .o_outlook_calendars_save",
            run: "click",
        },
        {
            content: "Back in Calendar",
            trigger: "body:not(:has(.modal)) .o_outlook_sync[data-state='active']",
        },
    ],
});
