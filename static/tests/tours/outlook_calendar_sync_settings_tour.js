import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("outlook_calendar_sync_settings_tour", {
    url: "/odoo/settings",
    steps: () => [
        {
            content: "Open the General Settings",
            trigger: ".settings_tab .tab[data-key='general_settings']",
            run: "click",
        },
        {
            content: "Enable Outlook Calendar",
            trigger: "#outlook_calendar_sync_setting input[type='checkbox']:not(:checked)",
            run: "click",
        },
        {
            content: "Fill the Client ID",
            trigger: "div[name='outlook_client_id'] input",
            run: "edit tour-client-id",
        },
        {
            content: "Fill the Client Secret",
            trigger: "div[name='outlook_client_secret'] input",
            run: "edit tour-client-secret",
        },
        {
            content: "The redirect URI to register in Azure is shown",
            trigger: "div[name='outlook_redirect_uri']:contains(/microsoft_account/authentication)",
        },
        {
            content: "Save: the settings page reloads",
            trigger: ".o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the General Settings again",
            trigger: ".settings_tab .tab[data-key='general_settings']",
            run: "click",
        },
        {
            content: "Outlook Calendar is still enabled",
            trigger: "#outlook_calendar_sync_setting input[type='checkbox']:checked",
        },
        {
            content: "The Client ID was kept",
            trigger: "div[name='outlook_client_id'] input:value(tour-client-id)",
        },
        {
            content: "The Client Secret was kept (masked)",
            trigger: "div[name='outlook_client_secret'] input[type='password']:value(tour-client-secret)",
        },
    ],
});
