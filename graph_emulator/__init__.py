"""A Microsoft Graph v1.0 calendar + identity platform emulator for tests, demos and benchmarks.

Standalone: never imports Odoo, uses only relative imports, so it loads as ``graph_emulator``
or as ``odoo.addons.outlook_calendar_sync.graph_emulator``.
"""

from .clock import FakeClock, system_clock
from .emulator import CLIENT_ID, CLIENT_SECRET, GraphEmulator

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "FakeClock", "GraphEmulator", "system_clock"]
