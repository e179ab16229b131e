import CityEncoding

/// A transaction's id: SHA-256 of the id domain and its canonical body, signatures excluded.
package struct TransactionID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// The digest.
    package let hash: Hash32

    /// Wraps a digest.
    package init(_ hash: Hash32) { self.hash = hash }

    /// Parses 64 hex digits.
    package init?(hex: String) {
        guard let h = Hash32(hex: hex) else { return nil }
        hash = h
    }

    package var description: String { hash.hex }

    package static func < (a: TransactionID, b: TransactionID) -> Bool { a.hash < b.hash }

    package func encode(to writer: inout CanonicalWriter) { hash.encode(to: &writer) }

    package init(from reader: inout CanonicalReader) throws(CodecError) { hash = try Hash32(from: &reader) }
}
