/// Why a canonical decoder refused its input. Every decoder in CityChain throws this, so a
/// peer gets one typed answer for any malformed payload, whatever the message.
package struct CodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of malformation was found.
    package enum Code: Hashable, Sendable {
        /// The input ended before the value did.
        case truncated
        /// Bytes remained after the value ended.
        case trailingBytes
        /// An enum tag (or a version) the decoder does not know.
        case unknownTag
        /// A count or length above the limit the decoder allows.
        case overLimit
        /// A value that is well formed but not in its one canonical form (bool 2, bad UTF-8, unsorted set, ...).
        case nonCanonical
        /// A value outside its allowed range.
        case invalidValue
    }

    /// The kind of failure.
    package var code: Code
    /// The field or type being decoded when it failed (e.g. `Transaction.operation`).
    package var field: String
    /// What was wrong, in words a client developer can act on.
    package var detail: String

    /// Makes an error for `field`.
    package init(_ code: Code, field: String, _ detail: String) {
        self.code = code
        self.field = field
        self.detail = detail
    }

    package var description: String { "malformed \(field): \(detail)" }

    /// The input ended early.
    package static func truncated(_ field: String, need: Int, have: Int) -> CodecError {
        CodecError(.truncated, field: field, "needs \(need) more bytes but only \(have) remain; the value was cut short")
    }

    /// An unknown enum tag.
    package static func unknownTag(_ field: String, _ tag: some BinaryInteger) -> CodecError {
        CodecError(.unknownTag, field: field, "unknown tag \(tag); this peer may speak a newer protocol version")
    }

    /// A count or length above its limit.
    package static func overLimit(_ field: String, _ value: Int, max: Int) -> CodecError {
        CodecError(.overLimit, field: field, "\(value) is over the limit of \(max)")
    }
}
