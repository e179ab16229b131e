import CityEncoding

/// A typed failure that crosses the wire as the payload of an error frame, and the error the
/// client throws when it receives one.
///
/// Payload encoding (canonical): `u16 code`, then for `rateLimited` a `u32 retryAfterMillis`,
/// then `string message` (at most `maxMessageBytes`). Unknown codes are refused.
package typealias WireError = CodedError<WireErrorCode>

extension CodedError: CanonicalCodable where Code == WireErrorCode {
    /// Longest message accepted on decode, in UTF-8 bytes.
    package static var maxMessageBytes: Int { 4096 }

    package func encode(to writer: inout CanonicalWriter) {
        writer.u16(code.rawValue)
        if case .rateLimited(let ms) = code { writer.u32(ms) }
        // Encoders keep to the decoder's limit so every error we send can be read back.
        var text = message
        while text.utf8.count > Self.maxMessageBytes { text.removeLast() }
        writer.string(text)
    }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.u16("WireError.code")
        let code: WireErrorCode
        switch raw {
        case 1: code = .badFrame
        case 2: code = .unsupportedVersion
        case 3: code = .unknownKind
        case 4: code = .forbidden
        case 5: code = .tooManyInFlight
        case 6: code = .frameTooLarge
        case 7: code = .invalidRequest
        case 8: code = .notFound
        case 9: code = .rateLimited(retryAfterMillis: try reader.u32("WireError.retryAfterMillis"))
        case 10: code = .unavailable
        case 11: code = .timeout
        case 12: code = .cancelled
        case 13: code = .internal
        case 14: code = .conflict
        default: throw .unknownTag("WireError.code", raw)
        }
        self.init(code, try reader.string(max: Self.maxMessageBytes, "WireError.message"))
    }
}
