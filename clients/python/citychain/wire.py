"""The wire protocol (docs/PROTOCOL.md, part 2): mutual TLS 1.3, then length-prefixed frames
``u32 L | u8 version (1) | u8 type | u16 kind | u32 request id | payload`` carrying canonical
payloads; failures are typed ``WireError`` frames.
"""

from __future__ import annotations

import collections
import itertools
import socket
import ssl
import struct
from dataclasses import dataclass
from typing import Deque, Dict, Iterator, Optional

from .errors import WireError  # re-exported: citychain.wire.WireError

VERSION = 1
MAX_FRAME_BYTES = 4 * 1024 * 1024

REQUEST, RESPONSE, ERROR, STREAM_ITEM, STREAM_END, CANCEL, PING, PONG = range(1, 9)

@dataclass(frozen=True)
class Frame:
    type: int
    kind: int
    request_id: int
    payload: bytes = b""

    def to_bytes(self) -> bytes:
        return struct.pack(">IBBHI", 8 + len(self.payload), VERSION, self.type, self.kind, self.request_id) + self.payload

    @staticmethod
    def from_bytes(data: bytes) -> "Frame":
        """One whole frame (length field included); raises WireError as a receiver answers malformed input."""
        if len(data) < 4:
            raise WireError(1, "the frame is cut short")
        (length,) = struct.unpack(">I", data[:4])
        if length > MAX_FRAME_BYTES:
            raise WireError(6, f"frame of {length} bytes is over maxFrameBytes {MAX_FRAME_BYTES}")
        if length < 8:
            raise WireError(1, f"frame length {length} is below 8")
        if len(data) != 4 + length:
            raise WireError(1, f"the frame holds {len(data) - 4} bytes after its length field, not {length}")
        version, ftype, kind, rid = struct.unpack(">BBHI", data[4:12])
        if version != VERSION:
            raise WireError(2, f"version {version}; speak version 1")
        if not 1 <= ftype <= 8:
            raise WireError(1, f"unknown frame type {ftype}")
        return Frame(ftype, kind, rid, data[12:])


class Connection:
    """One mutual-TLS 1.3 connection to a CityChain service, for unary requests (synchronous).

    ``cert``/``key`` are the agency's (or service's) PEM files issued by the city CA; ``ca`` the
    CA's certificate. Host names are not checked (the protocol identifies peers by the role in
    their certificate): ``expect_role`` ('validator', 'indexer', 'gateway', …) is checked against
    the server certificate's ``citychain:role:`` URI."""

    def __init__(self, host: str, port: int, cert: str, key: str, ca: str, expect_role: Optional[str] = None,
                 timeout: float = 30.0) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.check_hostname = False
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(ca)
        context.load_cert_chain(cert, key)
        raw = socket.create_connection((host, port), timeout=timeout)
        self._sock = context.wrap_socket(raw)
        der = self._sock.getpeercert(binary_form=True)
        self.server_role = self._role(der) if der else None
        if expect_role is not None and self.server_role != expect_role:
            self.close()
            raise WireError(4, f"the server at {host}:{port} is a {self.server_role}, not a {expect_role}")
        self._ids = itertools.count(1)
        self._queued: Dict[int, Deque[Frame]] = {}

    @staticmethod
    def _role(der: bytes) -> Optional[str]:
        from cryptography import x509
        cert = x509.load_der_x509_certificate(der)
        try:
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return None
        for uri in sans.get_values_for_type(x509.UniformResourceIdentifier):
            if uri.startswith("citychain:role:"):
                return uri[len("citychain:role:"):]
        return None

    def _read_exact(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk = self._sock.recv(n - len(out))
            if not chunk:
                raise WireError(1, "the server closed the connection inside a frame")
            out += chunk
        return bytes(out)

    def _read_frame(self) -> Frame:
        head = self._read_exact(4)
        (length,) = struct.unpack(">I", head)
        if length > MAX_FRAME_BYTES or length < 8:
            raise WireError(1, f"the server sent a frame of length {length}")
        return Frame.from_bytes(head + self._read_exact(length))

    def _next(self, rid: int) -> Frame:
        """The next frame for request ``rid`` (pings answered; frames of this connection's other
        open streams kept for them, so a unary request can be made while a stream is open)."""
        queued = self._queued.get(rid)
        if queued:
            return queued.popleft()
        while True:
            frame = self._read_frame()
            if frame.type == PING:
                self._sock.sendall(Frame(PONG, 0, frame.request_id, frame.payload).to_bytes())
                continue
            if frame.request_id == rid or (frame.type == ERROR and frame.request_id == 0):
                return frame
            if frame.request_id in self._queued:
                self._queued[frame.request_id].append(frame)

    def request(self, kind: int, payload: bytes = b"") -> bytes:
        """Sends a request and returns the response payload; a WireError frame raises it."""
        rid = next(self._ids)
        self._sock.sendall(Frame(REQUEST, kind, rid, payload).to_bytes())
        frame = self._next(rid)
        if frame.type == ERROR:
            raise WireError.from_bytes(frame.payload)
        if frame.type == RESPONSE:
            return frame.payload
        raise WireError(1, f"unexpected frame type {frame.type} for a unary request")

    def stream(self, kind: int, payload: bytes = b"") -> Iterator[bytes]:
        """Opens a stream (part 2, "Streams"): yields each stream item's payload until the stream
        end; an error frame raises its ``WireError``. Closing the generator early sends a cancel.
        Unary requests may be made on the same connection between items."""
        rid = next(self._ids)
        self._queued[rid] = collections.deque()
        self._sock.sendall(Frame(REQUEST, kind, rid, payload).to_bytes())
        finished = False
        try:
            while True:
                frame = self._next(rid)
                if frame.type == STREAM_ITEM:
                    yield frame.payload
                    continue
                finished = True
                if frame.type == ERROR:
                    raise WireError.from_bytes(frame.payload)
                if frame.type == STREAM_END:
                    return
                raise WireError(1, f"unexpected frame type {frame.type} in a stream")
        finally:
            self._queued.pop(rid, None)
            if not finished:
                try:
                    self._sock.sendall(Frame(CANCEL, kind, rid).to_bytes())
                except OSError:
                    pass

    @staticmethod
    def to(address: str, cert: str, key: str, ca: str, expect_role: Optional[str] = None, timeout: float = 30.0) -> "Connection":
        """A connection to ``HOST:PORT``."""
        host, port = address.rsplit(":", 1)
        return Connection(host, int(port), cert, key, ca, expect_role, timeout)

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
