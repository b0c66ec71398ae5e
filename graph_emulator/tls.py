"""A throw-away CA (trustme) and the files clients need to trust the emulator.

``REQUESTS_CA_BUNDLE`` overrides ``verify=`` in requests and msal, so besides the CA pem we
write a bundle = the system CAs + this CA, for tests and tools to point that variable at.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import trustme

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)


def system_bundle() -> str:
    """The PEM text of the system trust store (empty if none is found)."""
    candidates = [os.environ.get("SSL_CERT_FILE", ""), *SYSTEM_BUNDLES]
    for path in candidates:
        if path and Path(path).is_file():
            return Path(path).read_text()
    return ""


class Certificates:
    """A CA, a server certificate for the host, and the ca/bundle files in ``directory``."""

    def __init__(self, directory: Path, host: str) -> None:
        self.ca = trustme.CA(organization_name="Graph emulator test CA")
        names = sorted({host, "127.0.0.1", "localhost", "::1"} - {"0.0.0.0", ""})
        self.cert = self.ca.issue_cert(*names)
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_path = directory / "graph-emulator-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self.bundle_path = directory / "graph-emulator-bundle.pem"
        system = system_bundle()
        self.bundle_path.write_text(
            system
            + ("\n" if system and not system.endswith("\n") else "")
            + self.ca.cert_pem.bytes().decode()
        )

    def server_context(self) -> ssl.SSLContext:
        """The server-side TLS context."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.cert.configure_cert(ctx)
        return ctx
