"""The sync engine: plain classes that carry out one account's sync inside Odoo.

They read and write Odoo records and call the Graph client of ``services``, whose pure parts
decide; the Odoo models of ``models`` start them. Nothing here is an Odoo model.
"""
