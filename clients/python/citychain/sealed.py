"""Sealed payloads of restricted datasets (docs/PROTOCOL.md, "SealedPayload"): a random content key
encrypts the plaintext once (ChaCha20-Poly1305), and is sealed to each reader with HPKE
(RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, info
``citychain/seal/v1``, the reader's canonical Signer as AAD. Written with `cryptography`'s
primitives, step by step as the document gives them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

from .encoding import Canonical, CodecError, Reader, Writer, decode_whole
from .ledger import SealedRecipient, Signer

INFO = b"citychain/seal/v1"
KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0003
_KEM_SUITE = b"KEM" + struct.pack(">H", KEM_ID)
_HPKE_SUITE = b"HPKE" + struct.pack(">HHH", KEM_ID, KDF_ID, AEAD_ID)


class SealError(Exception):
    """Sealing or opening failed: what went wrong and what to do."""


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or b"\x00" * 32, ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite + label + info, length)


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _shared_secret(dh: bytes, enc: bytes, pk_r: bytes) -> bytes:
    prk = _labeled_extract(_KEM_SUITE, b"", b"eae_prk", dh)
    return _labeled_expand(_KEM_SUITE, prk, b"shared_secret", enc + pk_r, 32)


def _key_schedule(shared_secret: bytes) -> Tuple[bytes, bytes]:
    psk_id_hash = _labeled_extract(_HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(_HPKE_SUITE, b"", b"info_hash", INFO)
    context = b"\x00" + psk_id_hash + info_hash          # mode base
    secret = _labeled_extract(_HPKE_SUITE, shared_secret, b"secret", b"")
    return (_labeled_expand(_HPKE_SUITE, secret, b"key", context, 32),
            _labeled_expand(_HPKE_SUITE, secret, b"base_nonce", context, 12))


def _aad(agency: str, key_id: int) -> bytes:
    w = Writer()
    Signer(agency, key_id).encode(w)
    return w.bytes


def hpke_seal(pk_r: bytes, aad: bytes, pt: bytes) -> Tuple[bytes, bytes]:
    """RFC 9180 single-shot Seal(pkR, info, aad, pt) of this suite: (enc, ciphertext)."""
    sk_e = X25519PrivateKey.generate()
    enc = _raw(sk_e.public_key())
    dh = sk_e.exchange(X25519PublicKey.from_public_bytes(pk_r))
    key, nonce = _key_schedule(_shared_secret(dh, enc, pk_r))
    return enc, ChaCha20Poly1305(key).encrypt(nonce, pt, aad)


def hpke_open(enc: bytes, sk_r: X25519PrivateKey, aad: bytes, ct: bytes) -> bytes:
    """RFC 9180 single-shot Open(enc, skR, info, aad, ct) of this suite."""
    dh = sk_r.exchange(X25519PublicKey.from_public_bytes(enc))
    key, nonce = _key_schedule(_shared_secret(dh, enc, _raw(sk_r.public_key())))
    return ChaCha20Poly1305(key).decrypt(nonce, ct, aad)


@dataclass(frozen=True)
class SealedPayload(Canonical):
    recipients: List[SealedRecipient]
    ciphertext: bytes          # 12-byte nonce ‖ ciphertext ‖ 16-byte tag

    def encode(self, w: Writer) -> None:
        w.array(self.recipients, lambda w, r: r.encode(w))
        w.bytes_(self.ciphertext)

    @staticmethod
    def decode(r: Reader) -> "SealedPayload":
        recipients = r.array(64, "SealedPayload.recipients", SealedRecipient.decode)
        if not recipients:
            raise CodecError("invalidValue", "SealedPayload.recipients", "at least one recipient")
        order = [(x.agency.encode(), x.key_id) for x in recipients]
        if any(not a < b for a, b in zip(order, order[1:])):
            raise CodecError("nonCanonical", "SealedPayload.recipients", "recipients must be sorted by (agency, keyID), each once")
        ciphertext = r.bytes_(49152, "SealedPayload.ciphertext")
        if len(ciphertext) < 28:
            raise CodecError("invalidValue", "SealedPayload.ciphertext", "at least 28 bytes (nonce and tag)")
        return SealedPayload(recipients, ciphertext)

    @staticmethod
    def from_bytes(data: bytes) -> "SealedPayload":
        return decode_whole(data, SealedPayload.decode, "SealedPayload")

    @staticmethod
    def seal(plaintext: bytes, readers: Sequence[Tuple[str, int, bytes]]) -> "SealedPayload":
        """Encrypts once and seals the content key to each (agency, keyID, X25519 public key)."""
        if not 1 <= len(readers) <= 64:
            raise SealError(f"{len(readers)} readers; seal to 1 to 64 keys")
        content_key = os.urandom(32)
        nonce = os.urandom(12)
        box = nonce + ChaCha20Poly1305(content_key).encrypt(nonce, plaintext, b"")
        recipients = []
        for agency, key_id, public_key in readers:
            enc, wrapped = hpke_seal(public_key, _aad(agency, key_id), content_key)
            recipients.append(SealedRecipient(agency, key_id, enc, wrapped))
        recipients.sort(key=lambda x: (x.agency.encode(), x.key_id))
        return SealedPayload(recipients, box)

    def open(self, agency: str, key_id: int, private_key: X25519PrivateKey) -> bytes:
        """The plaintext, as reader ``agency``#``key_id``; raises SealError when not a recipient or the key does not match."""
        entry = next((x for x in self.recipients if x.agency == agency and x.key_id == key_id), None)
        if entry is None:
            raise SealError(f"not sealed to {agency}#{key_id}; ask the dataset's owner to share the record's key")
        try:
            content_key = hpke_open(entry.encapsulated_key, private_key, _aad(agency, key_id), entry.wrapped_key)
            return ChaCha20Poly1305(content_key).decrypt(self.ciphertext[:12], self.ciphertext[12:], b"")
        except Exception as e:
            raise SealError(f"the sealed payload does not open with this key ({type(e).__name__}); use {agency}'s sealing key #{key_id}") from None

    def _content_key(self, entry: SealedRecipient, private_key: X25519PrivateKey) -> bytes:
        try:
            return hpke_open(entry.encapsulated_key, private_key, _aad(entry.agency, entry.key_id), entry.wrapped_key)
        except Exception as e:
            raise SealError(f"cannot open as {entry.agency}#{entry.key_id}: wrong private key or tampered entry ({type(e).__name__})") from None

    def open_share(self, share: SealedRecipient, private_key: X25519PrivateKey) -> bytes:
        """The plaintext, with a record key shared later (``shareRecordKeys``) to the reader; a key
        for another version fails the payload's ChaCha20-Poly1305 tag (SealError)."""
        content_key = self._content_key(share, private_key)
        try:
            return ChaCha20Poly1305(content_key).decrypt(self.ciphertext[:12], self.ciphertext[12:], b"")
        except Exception:
            raise SealError(f"the key shared with {share.agency}#{share.key_id} does not open this payload (another version's key?)") from None

    def rewrap(self, agency: str, key_id: int, private_key: X25519PrivateKey, reader: Tuple[str, int, bytes]) -> SealedRecipient:
        """The content key, unwrapped as ``agency``#``key_id`` and sealed again to ``reader``
        (agency, keyID, X25519 public key): what a dataset's owner puts in a ``shareRecordKeys``."""
        entry = next((x for x in self.recipients if x.agency == agency and x.key_id == key_id), None)
        if entry is None:
            raise SealError(f"{agency}#{key_id} is not a recipient of this payload; only a recipient can share its key")
        content_key = self._content_key(entry, private_key)
        enc, wrapped = hpke_seal(reader[2], _aad(reader[0], reader[1]), content_key)
        return SealedRecipient(reader[0], reader[1], enc, wrapped)

