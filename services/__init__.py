"""Pure core of outlook_calendar_sync: Graph client, auth, mapping, planner (no Odoo imports).

Modules import each other relatively so the package works both as
``odoo.addons.outlook_calendar_sync.services`` and, in the pure tests, as ``services``.
"""
