/// A value with one canonical binary encoding (docs/PROTOCOL.md).
package protocol CanonicalEncodable {
    /// Appends the value's canonical encoding.
    func encode(to writer: inout CanonicalWriter)
}

/// A value that can be read back from its canonical encoding, refusing any other form.
package protocol CanonicalDecodable {
    /// Reads one value; throws `CodecError` for anything that is not its canonical encoding.
    init(from reader: inout CanonicalReader) throws(CodecError)
}

/// Both directions.
package typealias CanonicalCodable = CanonicalEncodable & CanonicalDecodable

extension CanonicalEncodable {
    /// The value's canonical bytes.
    package var canonicalBytes: [UInt8] {
        var w = CanonicalWriter()
        encode(to: &w)
        return w.bytes
    }
}

extension CanonicalDecodable {
    /// Decodes exactly one value from `bytes`; trailing bytes are refused.
    package init(canonicalBytes bytes: some Collection<UInt8>) throws(CodecError) {
        var r = CanonicalReader(bytes)
        self = try Self(from: &r)
        // The type's name only when it is needed: `String(describing:)` reflects on the type, and
        // built on every decode it was a tenth of a validator's CPU (issue 13's profile).
        guard r.remaining == 0 else { try r.finish(String(describing: Self.self)); return }
    }
}
