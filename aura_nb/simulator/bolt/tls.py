"""The certificates of a simulator's Bolt endpoint: one CA per simulator, valid for loopback only.

``trustme`` makes the CA and the server certificate. The CA's certificate is then re-issued with a
critical *name constraint* that permits only loopback names (``127.0.0.0/8``, ``::1``,
``localhost``): a kernel that trusts it so that ``neo4j+s://`` works offline trusts nothing new
for any real host, even if the CA's key (which never leaves this process) were stolen.
"""

from __future__ import annotations

import ipaddress
import ssl

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

__all__ = ["BoltCertificates", "LOOPBACK_NAMES"]

#: What the server certificate names: the driver checks it against the address it connects to,
#: which the kit's resolver makes a loopback address.
LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")


def _loopback_only(ca: trustme.CA) -> trustme.CA:
    """``ca`` re-issued (same key, same name) with a name constraint to loopback names."""
    cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    constraint = x509.NameConstraints(
        permitted_subtrees=[x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
                            x509.IPAddress(ipaddress.ip_network("::1/128")),
                            x509.DNSName("localhost")],
        excluded_subtrees=None)
    builder = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer)
               .public_key(cert.public_key()).serial_number(cert.serial_number)
               .not_valid_before(cert.not_valid_before_utc)
               .not_valid_after(cert.not_valid_after_utc))
    for extension in cert.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    builder = builder.add_extension(constraint, critical=True)
    constrained = builder.sign(key, hashes.SHA256())
    return trustme.CA.from_pem(constrained.public_bytes(serialization.Encoding.PEM),
                               ca.private_key_pem.bytes())


class BoltCertificates:
    """A fresh loopback-only CA and the server certificate it signs (kept in memory)."""

    def __init__(self) -> None:
        self._ca = _loopback_only(trustme.CA(organization_name="aura_nb simulator"))
        self._leaf = self._ca.issue_cert(*LOOPBACK_NAMES)

    @property
    def ca_pem(self) -> str:
        """The CA certificate (public): what a client adds to its trust to check the server."""
        return self._ca.cert_pem.bytes().decode("ascii")

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context presenting the server certificate (TLS 1.2 at least)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._leaf.configure_cert(context)
        return context
