import CityEncoding
import CityWire

/// The properties every canonical decoder must have (docs/protocol/fuzzing.md, "Oracles").
/// A broken property traps with `fatalError`, which libFuzzer reports as a crash and saves the input.
enum Oracle {
    /// Decodes `input` as `T` and checks:
    /// (a) an accepted input re-encodes to exactly the same bytes (one encoding per value);
    /// (c) a refused input is refused with a `CodecError` (never another error type), naming a field;
    /// and, for accepted inputs, that the encoding is self-delimiting: without its last byte it is
    /// refused as `truncated`, and with one more byte as `trailingBytes`.
    /// Returns the decoded value, or nil when the input was (correctly) refused.
    static func canonical<T: CanonicalCodable & Equatable>(_: T.Type, _ name: String, _ input: [UInt8]) -> T? {
        guard let value = decode(T.self, name, input) else { return nil }
        let encoded = value.canonicalBytes
        if encoded != input {
            fail(name, "accepted input re-encodes to different bytes (\(encoded.count) bytes: \(hex(encoded))); "
                 + "two encodings decode to one value", input)
        }
        if let shorter = decodeExpectingFailure(T.self, name, input.dropLast(), code: .truncated) {
            fail(name, "accepted input is still accepted without its last byte, as \(shorter)", input)
        }
        var longer = input
        longer.append(0)
        if let padded = decodeExpectingFailure(T.self, name, longer, code: .trailingBytes) {
            fail(name, "accepted input is still accepted with a trailing byte, as \(padded)", input)
        }
        return value
    }

    /// The decoded value, or nil after checking that the failure is a well-formed `CodecError`.
    private static func decode<T: CanonicalDecodable>(_: T.Type, _ name: String, _ input: some Collection<UInt8>) -> T? {
        // Oracle (c) is enforced by the compiler: this `do` only compiles while every decoder throws
        // `CodecError` and nothing else, so an untyped or foreign error breaks the fuzz build.
        do throws(CodecError) {
            return try T(canonicalBytes: input)
        } catch {
            if error.field.isEmpty || error.detail.isEmpty {
                fail(name, "CodecError without a field or detail: \(error)", Array(input))
            }
            return nil
        }
    }

    /// Decodes `input`, which must be refused with `code`; returns the value if it was accepted.
    private static func decodeExpectingFailure<T: CanonicalDecodable>(
        _: T.Type, _ name: String, _ input: some Collection<UInt8>, code: CodecError.Code
    ) -> T? {
        do throws(CodecError) {
            return try T(canonicalBytes: input)
        } catch {
            if error.code != code {
                fail(name, "refused with \(error.code) (\(error)) where \(code) was expected", Array(input))
            }
            return nil
        }
    }

    /// Traps with a description of the broken property and the input (the selector byte excluded).
    static func fail(_ target: String, _ what: String, _ input: [UInt8]) -> Never {
        fatalError("FrameFuzzer oracle failed [\(target)]: \(what); input (\(input.count) bytes): \(hex(input))")
    }

    /// Lowercase hex, shortened past 4 KiB.
    static func hex(_ bytes: [UInt8]) -> String {
        let shown = Hex.encode(Array(bytes.prefix(4096)))
        return bytes.count > 4096 ? shown + "... (\(bytes.count - 4096) more bytes)" : shown
    }
}
