import { Component, onMounted, onWillStart, useState } from "@odoo/owl";
import { AlertDialog, ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { browser } from "@web/core/browser/browser";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { useService } from "@web/core/utils/hooks";

/**
 * The Calendar toolbar's "Outlook sync" button: connects the current user's Outlook calendar and
 * shows where its sync stands (waiting for the first-sync choice, synced, paused, needs
 * reconnecting, error). Right after the sign-in it opens the first-sync preview.
 */
export class OutlookSyncButton extends Component {
    static template = "outlook_calendar_sync.OutlookSyncButton";
    static components = { Dropdown, DropdownItem };
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.dialog = useService("dialog");
        this.state = useState({ status: null, busy: false });
        onWillStart(() => this.refresh());
        onMounted(() => {
            if (this.state.status.state === "preview") {
                this.openPreview();
            }
        });
    }

    openPreview() {
        return this.openDialog("action_open_first_sync_preview");
    }

    /** Open the dialog the account's ``method`` returns (the first-sync preview, the calendar
     * picker); the button's status is read again when it closes. */
    async openDialog(method) {
        this.state.busy = true;
        try {
            const action = await this.orm.call("outlook.account", method, [
                [this.state.status.account_id],
            ]);
            await this.action.doAction(action, { onClose: () => this.refresh() });
        } finally {
            this.state.busy = false;
        }
    }

    openSettings() {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "outlook.account",
            res_id: this.state.status.account_id,
            views: [[false, "form"]],
        });
    }

    async refresh() {
        this.state.status = await this.orm.call("outlook.account", "get_sync_status", []);
    }

    get lastSyncLabel() {
        const lastSync = this.state.status.last_sync_at;
        if (!lastSync) {
            return _t("Connected");
        }
        return _t("Synced · %s", deserializeDateTime(lastSync).toRelative());
    }

    async connect() {
        const status = this.state.status;
        if (!status.configured) {
            this.explainMissingConfiguration(status);
            return;
        }
        const url = await this.orm.call("outlook.account", "action_start_sign_in", [], {
            return_path: browser.location.pathname + browser.location.search,
        });
        browser.location.assign(url);
    }

    explainMissingConfiguration(status) {
        if (status.is_admin) {
            this.dialog.add(ConfirmationDialog, {
                title: _t("Outlook Calendar is not configured"),
                body: _t(
                    "Enable Outlook Calendar in Settings and enter the Client ID and Secret of your Azure app first."
                ),
                confirmLabel: _t("Open Settings"),
                confirm: () => this.action.doAction("base_setup.action_general_configuration"),
                cancel: () => {},
            });
        } else {
            this.dialog.add(AlertDialog, {
                title: _t("Outlook Calendar is not configured"),
                body: _t("An administrator must set up Outlook Calendar before you can connect."),
            });
        }
    }

    async run(method) {
        this.state.busy = true;
        try {
            await this.orm.call("outlook.account", method, [[this.state.status.account_id]]);
        } finally {
            this.state.busy = false;
            await this.refresh();
        }
    }
}
