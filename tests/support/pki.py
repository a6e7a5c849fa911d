"""Certificates made at test time: a throwaway CA, a server certificate it signs for 127.0.0.1
and localhost, one it signs for another name, and a second CA nobody trusts."""
from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _write_key(key, path):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def _certificate(subject, issuer, key, issuer_key, *, ca, names=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Pki:
    def __init__(self, directory):
        self.dir = directory
        ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = self._save("ca.pem", _certificate("test CA", "test CA", ca_key, ca_key, ca=True))
        other_key = ec.generate_private_key(ec.SECP256R1())
        self.other_ca = self._save("other-ca.pem",
                                   _certificate("other CA", "other CA", other_key, other_key, ca=True))
        self.server = self._leaf("server", ca_key, [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")])
        self.wrong_name = self._leaf("wrong-name", ca_key, [x509.DNSName("db.example.com")])

    def _save(self, filename, cert):
        path = self.dir / filename
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return str(path)

    def _leaf(self, stem, ca_key, names):
        key = ec.generate_private_key(ec.SECP256R1())
        _write_key(key, self.dir / f"{stem}.key")
        cert = self._save(f"{stem}.pem", _certificate(stem, "test CA", key, ca_key, ca=False, names=names))
        return cert, str(self.dir / f"{stem}.key")
