"""``python -m graph_emulator``: prints one JSON line describing the emulator, then logs."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from .emulator import GraphEmulator
from .seed import SEEDS


def main(argv: list[str] | None = None) -> int:
    """Run until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m graph_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="https port (0 = any free port)")
    parser.add_argument(
        "--http-port", type=int, default=0, help="plain-http port for the browser pages"
    )
    parser.add_argument("--seed", choices=SEEDS, default="empty")
    parser.add_argument(
        "--state", default=None, help="JSON file loaded at start and written at stop"
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    emulator = GraphEmulator(
        seed=args.seed,
        host=args.host,
        port=args.port,
        state_file=args.state,
        http_port=args.http_port,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with emulator:
        sys.stdout.write(json.dumps(emulator.info()) + "\n")
        sys.stdout.flush()
        logging.getLogger("graph_emulator").info("ready; Ctrl-C to stop")
        while not stop.wait(0.5):
            pass
    logging.getLogger("graph_emulator").info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
