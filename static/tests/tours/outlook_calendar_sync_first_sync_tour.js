import { registry } from "@web/core/registry";

// Alice has just signed in (tests/test_first_sync_tour.py): the Calendar opens the first-sync
// preview by itself; she reads the counts, tries a choice, then starts with the default one.
registry.category("web_tour.tours").add("outlook_calendar_sync_first_sync_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            content: "The preview opens by itself, counted by a dry run: one event to import",
            trigger: ".modal .o_outlook_first_sync .o_outlook_preview_to_odoo:contains(1)",
        },
        {
            content: "Two existing future events would go to Outlook",
            trigger: ".modal .o_outlook_preview_to_outlook:contains(2)",
        },
        {
            content: "By default nobody is emailed",
            trigger: ".modal .o_outlook_preview_invited:contains(0)",
        },
        {
            content: "The attendees held back are named",
            trigger: ".modal .o_outlook_preview_held_back:contains(2)",
        },
        {
            content: "Ticking 'also send events with other attendees' shows who Outlook would email",
            trigger: ".modal div[name='push_attendees'] input",
            run: "click",
        },
        {
            trigger: ".modal .o_outlook_preview_invited:contains(2)",
        },
        {
            content: "Import only: nothing goes to Outlook",
            trigger: ".modal div[name='mode'] input[data-value='import_only']",
            run: "click",
        },
        {
            trigger: ".modal .o_outlook_preview_to_outlook:contains(0)",
        },
        {
            content: "Back to both ways, without attendees",
            trigger: ".modal div[name='mode'] input[data-value='two_way']",
            run: "click",
        },
        {
            trigger: ".modal div[name='push_attendees'] input:checked",
            run: "click",
        },
        {
            trigger: ".modal .o_outlook_preview_invited:contains(0)",
        },
        {
            content: "Start syncing",
            trigger: ".modal .o_outlook_preview_start",
            run: "click",
        },
        {
            content: "The first sync ran: Outlook is synced",
            trigger: ".o_outlook_sync[data-state='active'] .o_outlook_sync_menu:contains(Synced)",
        },
        {
            content: "The event from Outlook is in the Calendar",
            trigger: ".o_calendar_renderer .fc-event:contains(From Outlook)",
        },
    ],
});
