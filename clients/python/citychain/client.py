"""An agency as the SDK's examples use it: its TLS files, its signing key (and sealing key), and
helpers to connect, sign transactions (co-signed for admin operations) and seal payloads.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .ledger import Operation, SignedTransaction, Signer, TransactionBody, TransactionSignature
from .wire import Connection


@dataclass
class Agency:
    """One agency: ``id``, its PEM certificate and key (issued by the city CA, role
    ``agency:<id>``), the CA's certificate, its Ed25519 signing key (``key_id``) and, for
    restricted datasets, its X25519 sealing key (``sealing_key_id``)."""
    id: str
    cert: str
    key: str
    ca: str
    signing_key: Ed25519PrivateKey
    key_id: int = 1
    sealing_key: Optional[X25519PrivateKey] = None
    sealing_key_id: int = 2

    def connect(self, address: str, role: str, timeout: float = 30.0) -> Connection:
        """A mutual-TLS connection to ``HOST:PORT``, whose certificate must be of ``role``."""
        return Connection.to(address, self.cert, self.key, self.ca, expect_role=role, timeout=timeout)

    @property
    def signer(self) -> Signer:
        return Signer(self.id, self.key_id)

    @property
    def sealing_public_key(self) -> bytes:
        if self.sealing_key is None:
            raise ValueError(f"{self.id} has no sealing key here")
        return self.sealing_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def transaction(self, chain_id: str, operation: Operation, expires_at_height: int, payload: Optional[bytes] = None,
                    nonce: Optional[int] = None, cosigners: Sequence["Agency"] = ()) -> SignedTransaction:
        """The operation signed by this agency (first) and, for an admin operation, ``cosigners``."""
        body = TransactionBody(chain_id, self.signer, nonce if nonce is not None else int.from_bytes(os.urandom(8), "big"),
                               expires_at_height, operation)
        message = body.signing_message
        signatures = [TransactionSignature(a.signer, a.signing_key.sign(message)) for a in [self, *cosigners]]
        return SignedTransaction(body, signatures, payload)


def load_agencies(path: str) -> Dict[str, Agency]:
    """Agencies from a JSON file: ``{"ca": PEM path, "agencies": {"<id>": {"cert": …, "key": …,
    "signingKey": hex (32-byte Ed25519 private key), "keyID": 1, "sealingKey": hex (X25519, optional),
    "sealingKeyID": 2}}}``."""
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    out: Dict[str, Agency] = {}
    for agency_id, a in spec["agencies"].items():
        out[agency_id] = Agency(agency_id, a["cert"], a["key"], spec["ca"],
                                Ed25519PrivateKey.from_private_bytes(bytes.fromhex(a["signingKey"])), int(a.get("keyID", 1)),
                                X25519PrivateKey.from_private_bytes(bytes.fromhex(a["sealingKey"])) if a.get("sealingKey") else None,
                                int(a.get("sealingKeyID", 2)))
    return out


def load_devnet(directory: str, genesis_path: Optional[str] = None) -> Dict[str, Agency]:
    """The agencies of a ``deploy/devnet up`` directory (``.devnet``): ``pki/<id>.pem`` and
    ``.key``, ``pki/ca.pem``, ``keys/<id>.json`` (signing) and ``keys/<id>.sealing.json``; their
    key ids from the genesis (``genesis.json`` there unless given), matched by public key."""
    g = genesis(genesis_path or os.path.join(directory, "genesis.json"))
    out: Dict[str, Agency] = {}
    for entry in g["agencies"]:
        agency_id = entry["id"]
        cert, key = os.path.join(directory, "pki", agency_id + ".pem"), os.path.join(directory, "pki", agency_id + ".key")
        signing_file = os.path.join(directory, "keys", agency_id + ".json")
        if not (os.path.exists(cert) and os.path.exists(signing_file)):
            continue
        with open(signing_file, encoding="utf-8") as f:
            signing = json.load(f)
        ids = {k["publicKey"]: int(k["keyID"]) for k in entry.get("keys", [])}
        sealing: Optional[dict] = None
        sealing_file = os.path.join(directory, "keys", agency_id + ".sealing.json")
        if os.path.exists(sealing_file):
            with open(sealing_file, encoding="utf-8") as f:
                sealing = json.load(f)
        out[agency_id] = Agency(agency_id, cert, key, os.path.join(directory, "pki", "ca.pem"),
                                Ed25519PrivateKey.from_private_bytes(bytes.fromhex(signing["privateKey"])), ids.get(signing["publicKey"], 1),
                                X25519PrivateKey.from_private_bytes(bytes.fromhex(sealing["privateKey"])) if sealing else None,
                                ids.get(sealing["publicKey"], 2) if sealing else 2)
    return out


def genesis(path: str) -> dict:
    """A genesis file's JSON."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)
