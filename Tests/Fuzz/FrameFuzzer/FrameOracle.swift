import CityEncoding
import CityWire

/// Oracles for `InboundFrame.parse(wireBytes:maxFrameBytes:)` (docs/protocol/wire.md, "Frame format").
enum FrameOracle {
    /// What the parser must answer, computed independently of it.
    enum Verdict: Equatable, CustomStringConvertible {
        case frame(Frame)
        case invalid(WireErrorCode, requestID: UInt32, kind: MessageKind, fatal: Bool)

        var description: String {
            switch self {
            case .frame(let f): "frame(\(f))"
            case let .invalid(code, id, kind, fatal): "invalid(\(code), id=\(id), kind=\(kind), fatal=\(fatal))"
            }
        }
    }

    /// Input = u16 cap offset, then wire bytes; the parser's cap is 8 + that offset (8...65 543).
    static func checkWithCap(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let cap = Frame.headerBytes + (Int(input[0]) << 8 | Int(input[1]))
        check(Array(input.dropFirst(2)), maxFrameBytes: cap)
    }

    /// Checks one parse of `input` (length field included) against the model:
    /// - the verdict (frame, or the rejection's code, request id, kind and fatality) equals `reference`;
    /// - a parsed frame re-serialised with `Frame.wireBytes` is exactly the input it consumed;
    /// - a length field over the cap is refused as `frameTooLarge` from the 4 length bytes alone, so the
    ///   body is never needed (nor buffered); `FrameLengthGuard.check`, which the stream decoder runs on
    ///   the length field before the body arrives, gives the same answer;
    /// - every rejection can be sent back as an error frame that parses and decodes to the same error;
    /// - an error frame's payload obeys the canonical oracles of `WireError`.
    static func check(_ input: [UInt8], maxFrameBytes: Int) {
        let parsed = InboundFrame.parse(wireBytes: input, maxFrameBytes: maxFrameBytes)
        let actual: Verdict
        switch parsed {
        case .frame(let f): actual = .frame(f)
        case let .invalid(error, id, kind, fatal): actual = .invalid(error.code, requestID: id, kind: kind, fatal: fatal)
        }
        let expected = reference(input, maxFrameBytes: maxFrameBytes)
        if actual != expected {
            Oracle.fail("frame", "parser says \(actual) but the frame format says \(expected) (cap \(maxFrameBytes))", input)
        }

        switch parsed {
        case .frame(let frame):
            let out = frame.wireBytes
            if out != input {
                Oracle.fail("frame", "parsed frame re-serialises to \(Oracle.hex(out))", input)
            }
            if frame.type == .error {
                _ = Oracle.canonical(WireError.self, "WireError in error frame", frame.payload)
            }
        case let .invalid(error, id, kind, _):
            if error.message.isEmpty { Oracle.fail("frame", "rejection \(error.code) has no message", input) }
            if case .frameTooLarge = error.code {
                let lengthOnly = InboundFrame.parse(wireBytes: Array(input.prefix(Frame.lengthFieldBytes)),
                                                    maxFrameBytes: maxFrameBytes)
                if lengthOnly != parsed {
                    Oracle.fail("frame", "over-limit verdict depends on the body: \(lengthOnly) from the length field alone", input)
                }
                let length = input.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                if FrameLengthGuard.check(length: length, maxFrameBytes: maxFrameBytes)?.code != .frameTooLarge {
                    Oracle.fail("frame", "FrameLengthGuard.check accepts length \(length) over cap \(maxFrameBytes)", input)
                }
            }
            let reply = Frame.error(error, kind: kind, requestID: id)
            let replyBytes = reply.wireBytes
            guard case .frame(let echoed) = InboundFrame.parse(wireBytes: replyBytes), echoed == reply,
                  (try? WireError(canonicalBytes: echoed.payload)) == error else {
                Oracle.fail("frame", "the error frame for rejection \(error) does not round-trip: \(Oracle.hex(replyBytes))", input)
            }
        }
    }

    /// The verdict the frame format prescribes, in the parser's order of checks: length field
    /// present, length ≤ cap, length ≥ header, exactly `length` bytes follow, version 1, known type.
    static func reference(_ b: [UInt8], maxFrameBytes: Int) -> Verdict {
        func u32(_ at: Int) -> UInt32 { b[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        let fatal = Verdict.invalid(.badFrame, requestID: 0, kind: .connection, fatal: true)
        guard b.count >= 4 else { return fatal }
        let length = Int(u32(0))
        if length > maxFrameBytes { return .invalid(.frameTooLarge, requestID: 0, kind: .connection, fatal: true) }
        if length < 8 { return fatal }
        if b.count - 4 != length { return fatal }
        if b[4] != 1 { return .invalid(.unsupportedVersion, requestID: 0, kind: .connection, fatal: true) }
        let kind = MessageKind(rawValue: UInt16(b[6]) << 8 | UInt16(b[7]))
        let requestID = u32(8)
        guard (1...8).contains(b[5]), let type = FrameType(rawValue: b[5]) else {
            return .invalid(.badFrame, requestID: requestID, kind: kind, fatal: false)
        }
        return .frame(Frame(type, kind: kind, requestID: requestID, payload: Array(b[12...])))
    }
}
