import { registry } from "@web/core/registry";

// The sign-in page between the two halves of the first tour belongs to the Graph emulator, where
// no tour runs: the Python test (tests/test_connect_tour.py) chooses the mailbox and clicks
// Accept there, as a user would.
registry.category("web_tour.tours").add("outlook_calendar_sync_connect_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            content: "Outlook is not connected yet: press Outlook sync to sign in at Microsoft",
            trigger: ".o_outlook_sync[data-state='not_connected'] .o_outlook_sync_connect",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back in Calendar after the sign-in, the first-sync preview opens: start",
            trigger: ".modal .o_outlook_preview_start",
            run: "click",
        },
        {
            content: "Outlook is connected and synced",
            trigger: ".o_outlook_sync[data-state='active'] .o_outlook_sync_menu:contains(Outlook ·)",
        },
        {
            content: "The connected mailbox is shown in the menu",
            trigger: ".o_outlook_sync_menu",
            run: "click",
        },
        {
            trigger: ".o_outlook_sync_mailbox:contains(alice@example.com)",
        },
    ],
});

registry.category("web_tour.tours").add("outlook_calendar_sync_disconnect_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            content: "Open the Outlook menu",
            trigger: ".o_outlook_sync[data-state='active'] .o_outlook_sync_menu",
            run: "click",
        },
        {
            content: "Disconnect Outlook",
            trigger: ".o_outlook_sync_disconnect",
            run: "click",
        },
        {
            content: "The Outlook sync button is back",
            trigger: ".o_outlook_sync[data-state='not_connected'] .o_outlook_sync_connect",
        },
    ],
});
