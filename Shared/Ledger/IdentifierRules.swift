import CityEncoding

/// Shared validation of the ledger's textual identifiers.
enum IdentifierRules {
    /// Bytes allowed in agency and chain ids: `[a-z0-9-]`.
    static func isAgencyByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b == 0x2d
    }

    /// Bytes allowed in dataset ids: `[a-z0-9-._]`.
    static func isDatasetByte(_ b: UInt8) -> Bool {
        isAgencyByte(b) || b == 0x2e || b == 0x5f
    }

    /// Throws `.invalidValue` unless `value` is 1...`maxBytes` bytes, each allowed.
    static func check(_ value: String, field: String, maxBytes: Int, allowed: (UInt8) -> Bool,
                      alphabet: String) throws(CodecError) {
        let count = value.utf8.count
        guard count >= 1, count <= maxBytes else {
            throw CodecError(.invalidValue, field: field, "length \(count) bytes; use 1 to \(maxBytes) bytes")
        }
        guard value.utf8.allSatisfy(allowed) else {
            throw CodecError(.invalidValue, field: field, "\"\(value)\" has characters outside \(alphabet); use only \(alphabet)")
        }
    }

    /// Byte-wise order of two strings (the order of their canonical encodings' contents).
    static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

extension IdentifierRules {
    /// Throws `.invalidValue` unless `chainID` is 1–64 bytes of `[a-z0-9-]`.
    static func checkChainID(_ chainID: String, field: String) throws(CodecError) {
        try check(chainID, field: field, maxBytes: LedgerLimits.maxChainIDBytes, allowed: isAgencyByte, alphabet: "[a-z0-9-]")
    }

    /// Reads and validates a chain id.
    static func readChainID(_ r: inout CanonicalReader, field: String) throws(CodecError) -> String {
        let s = try r.string(max: LedgerLimits.maxChainIDBytes, field)
        try checkChainID(s, field: field)
        return s
    }
}
