"""The canonical encoding (docs/protocol/encoding.md): one encoding per value.

Big-endian fixed-width integers; ``bytes``/``string`` are a u32 length then the content; arrays a
u32 count then the elements; ``optional`` a 00/01 marker; ``bool`` only 00 or 01. A decoder refuses
truncated input, trailing bytes, unknown tags, lengths over the field's limit (checked before
reading) and non-canonical forms, with a ``CodecError`` naming the field.
"""

from __future__ import annotations

import builtins
import struct
from typing import Callable, List, Optional, TypeVar

T = TypeVar("T")


class CodecError(Exception):
    """Why bytes do not decode: ``code`` is one of the protocol's codec error codes."""

    CODES = ("truncated", "trailingBytes", "unknownTag", "overLimit", "nonCanonical", "invalidValue")

    def __init__(self, code: str, field: str, detail: str) -> None:
        assert code in self.CODES, code
        super().__init__(f"{code} {field}: {detail}")
        self.code = code
        self.field = field
        self.detail = detail


class Writer:
    """Appends canonical encodings to a byte buffer."""

    def __init__(self) -> None:
        self._out = bytearray()

    @property
    def bytes(self) -> bytes:
        return bytes(self._out)

    def u8(self, v: int) -> None:
        self._out += struct.pack(">B", v)

    def u16(self, v: int) -> None:
        self._out += struct.pack(">H", v)

    def u32(self, v: int) -> None:
        self._out += struct.pack(">I", v)

    def u64(self, v: int) -> None:
        self._out += struct.pack(">Q", v)

    def i64(self, v: int) -> None:
        self._out += struct.pack(">q", v)

    def bool(self, v: bool) -> None:
        self.u8(1 if v else 0)

    def fixed(self, b: "builtins.bytes") -> None:
        self._out += b

    def bytes_(self, b: "builtins.bytes") -> None:
        self.u32(len(b))
        self._out += b

    def string(self, s: str) -> None:
        self.bytes_(s.encode("utf-8"))

    def array(self, items: List[T], encode: Callable[["Writer", T], None]) -> None:
        self.u32(len(items))
        for item in items:
            encode(self, item)

    def optional(self, value: Optional[T], encode: Callable[["Writer", T], None]) -> None:
        if value is None:
            self.u8(0)
        else:
            self.u8(1)
            encode(self, value)


class Reader:
    """Reads canonical encodings; every read names its field for errors."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self.offset = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self.offset

    def _take(self, n: int, field: str) -> bytes:
        if n > self.remaining:
            raise CodecError("truncated", field, f"needs {n} more bytes but only {self.remaining} remain")
        b = self._data[self.offset:self.offset + n]
        self.offset += n
        return b

    def bytes_read_since(self, start: int) -> bytes:
        return self._data[start:self.offset]

    def u8(self, field: str) -> int:
        return self._take(1, field)[0]

    def u16(self, field: str) -> int:
        return struct.unpack(">H", self._take(2, field))[0]

    def u32(self, field: str) -> int:
        return struct.unpack(">I", self._take(4, field))[0]

    def u64(self, field: str) -> int:
        return struct.unpack(">Q", self._take(8, field))[0]

    def i64(self, field: str) -> int:
        return struct.unpack(">q", self._take(8, field))[0]

    def bool(self, field: str) -> bool:
        v = self.u8(field)
        if v > 1:
            raise CodecError("nonCanonical", field, f"bool {v}; only 0 and 1")
        return v == 1

    def fixed(self, n: int, field: str) -> bytes:
        return self._take(n, field)

    def bytes_(self, limit: int, field: str) -> bytes:
        n = self.u32(field)
        if n > limit:
            raise CodecError("overLimit", field, f"{n} is over the limit of {limit}")
        return self._take(n, field)

    def string(self, limit: int, field: str) -> str:
        raw = self.bytes_(limit, field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CodecError("nonCanonical", field, f"not UTF-8 ({e})") from None

    def array(self, limit: int, field: str, decode: Callable[["Reader"], T]) -> List[T]:
        n = self.u32(field)
        if n > limit:
            raise CodecError("overLimit", field, f"{n} is over the limit of {limit}")
        if n > self.remaining:
            raise CodecError("truncated", field, f"{n} elements cannot fit in {self.remaining} bytes")
        return [decode(self) for _ in range(n)]

    def optional(self, field: str, decode: Callable[["Reader"], T]) -> Optional[T]:
        marker = self.u8(field)
        if marker == 0:
            return None
        if marker != 1:
            raise CodecError("nonCanonical", field, f"optional marker {marker}; only 0 and 1")
        return decode(self)

    def finish(self, field: str) -> None:
        if self.remaining:
            raise CodecError("trailingBytes", field, f"{self.remaining} unexpected bytes after the value")


class Canonical:
    """A value with ``encode(w)``: ``to_bytes()`` is its canonical encoding."""

    def encode(self, w: "Writer") -> None:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        w = Writer()
        self.encode(w)
        return w.bytes


def decode_whole(data: bytes, decode: Callable[[Reader], T], field: str) -> T:
    """Decodes one value that must consume all of ``data``."""
    r = Reader(data)
    value = decode(r)
    r.finish(field)
    return value
