import CityEncoding
import Testing
@testable import CityWire

/// Frame and error encodings against the hex vectors of docs/protocol/wire.md, byte for byte.
@Suite struct FrameCodecTests {
    static let forbiddenNo = WireError(.forbidden, "no")

    /// One vector per frame type (the same table as docs/protocol/wire.md, "Test vectors").
    static let vectors: [(Frame, String)] = [
        (Frame(.request, kind: MessageKind(rawValue: 0x0101), requestID: 1, payload: [1, 2, 3]),
         "0000000b 01 01 0101 00000001 010203"),
        (Frame(.response, kind: MessageKind(rawValue: 0x0101), requestID: 1, payload: [0x0a, 0x0b]),
         "0000000a 01 02 0101 00000001 0a0b"),
        (Frame.error(forbiddenNo, kind: MessageKind(rawValue: 0x0101), requestID: 2),
         "00000010 01 03 0101 00000002 0004 00000002 6e6f"),
        (Frame(.streamItem, kind: MessageKind(rawValue: 0x0401), requestID: 3, payload: [0xff]),
         "00000009 01 04 0401 00000003 ff"),
        (Frame(.streamEnd, kind: MessageKind(rawValue: 0x0401), requestID: 3),
         "00000008 01 05 0401 00000003"),
        (Frame(.cancel, kind: MessageKind(rawValue: 0x0401), requestID: 3),
         "00000008 01 06 0401 00000003"),
        (Frame(.ping, kind: .connection, requestID: 7),
         "00000008 01 07 0000 00000007"),
        (Frame(.pong, kind: .connection, requestID: 7),
         "00000008 01 08 0000 00000007"),
    ]

    @Test func vectorsCoverEveryFrameType() {
        #expect(Set(Self.vectors.map(\.0.type)) == Set(FrameType.allCases))
    }

    @Test(arguments: 0..<8) func vectorEncodesAndDecodes(index: Int) throws {
        let (frame, hex) = Self.vectors[index]
        let expected = try #require(Hex.decode(hex))
        #expect(Hex.encode(frame.wireBytes) == Hex.encode(expected))
        #expect(InboundFrame.parse(wireBytes: expected) == .frame(frame))
    }

    @Test func roundTripsLargePayload() {
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = Frame(.streamItem, kind: MessageKind(.registry, 9), requestID: .max, payload: payload)
        #expect(InboundFrame.parse(wireBytes: frame.wireBytes) == .frame(frame))
    }

    @Test func errorPayloadVectors() throws {
        #expect(Hex.encode(Self.forbiddenNo.canonicalBytes) == "0004000000026e6f")
        let limited = WireError(.rateLimited(retryAfterMillis: 1500), "slow")
        #expect(Hex.encode(limited.canonicalBytes) == "0009000005dc00000004736c6f77")
        #expect(try WireError(canonicalBytes: limited.canonicalBytes) == limited)
    }

    @Test func everyErrorCodeRoundTrips() throws {
        let codes: [WireErrorCode] = [.badFrame, .unsupportedVersion, .unknownKind, .forbidden, .tooManyInFlight,
                                      .frameTooLarge, .invalidRequest, .notFound, .rateLimited(retryAfterMillis: 7),
                                      .unavailable, .timeout, .cancelled, .internal, .conflict]
        #expect(Set(codes.map(\.rawValue)).count == codes.count)
        for code in codes {
            let error = WireError(code, "message for \(code)")
            #expect(try WireError(canonicalBytes: error.canonicalBytes) == error)
        }
    }

    @Test func errorDecoderRefusesUnknownCodeTruncationAndTrailingBytes() {
        #expect(throws: CodecError.self) { try WireError(canonicalBytes: Hex.decode("00630000000161")!) }
        #expect(throws: CodecError.self) { try WireError(canonicalBytes: Hex.decode("0004000000026e")!) }
        #expect(throws: CodecError.self) { try WireError(canonicalBytes: Hex.decode("0004000000026e6f00")!) }
    }

    @Test func internalDetailsNeverReachThePeer() {
        struct SecretFailure: Error { let path = "/var/lib/citychain/key.pem" }
        #expect(WireError.forPeer(SecretFailure()) == .internalFailure)
        #expect(WireError.forPeer(WireError(.internal, "SELECT * FROM secrets")) == .internalFailure)
        #expect(WireError.forPeer(CancellationError()).code == .cancelled)
        #expect(WireError.forPeer(CodecError.truncated("X", need: 2, have: 1)).code == .invalidRequest)
        #expect(WireError.forPeer(WireError(.notFound, "no such record")) == WireError(.notFound, "no such record"))
    }

    @Test func malformedFramesAreTyped() throws {
        // Length < 8.
        guard case .invalid(let short, _, _, true) = InboundFrame.parse(wireBytes: Hex.decode("00000007 01 07 0000 000000")!)
        else { Issue.record("short frame accepted"); return }
        #expect(short.code == .badFrame)
        // Truncated: the length says more than follows.
        guard case .invalid(let truncated, _, _, true) = InboundFrame.parse(wireBytes: Hex.decode("0000000b 01 01 0101 00000001 01")!)
        else { Issue.record("truncated frame accepted"); return }
        #expect(truncated.code == .badFrame)
        // Wrong version: fatal.
        guard case .invalid(let version, 0, .connection, true) = InboundFrame.parse(wireBytes: Hex.decode("00000008 02 07 0000 00000007")!)
        else { Issue.record("version 2 accepted"); return }
        #expect(version.code == .unsupportedVersion)
        // Unknown frame type: answered for that id, connection stays up.
        guard case .invalid(let type, 9, let kind, false) = InboundFrame.parse(wireBytes: Hex.decode("00000008 01 09 0101 00000009")!)
        else { Issue.record("frame type 9 accepted"); return }
        #expect(type.code == .badFrame)
        #expect(kind == MessageKind(.validator, 1))
        // Over the maximum.
        guard case .invalid(let large, _, _, true) = InboundFrame.parse(wireBytes: Hex.decode("40000000")!)
        else { Issue.record("1 GiB frame accepted"); return }
        #expect(large.code == .frameTooLarge)
    }

    @Test func messageKindAllocation() {
        #expect(MessageKind(.validator, 0x01).rawValue == 0x0101)
        #expect(MessageKind(.registry, 0xff).rawValue == 0x04ff)
        #expect(MessageKind(rawValue: 0x0203).owner == .indexer)
        #expect(MessageKind(rawValue: 0x0302).owner == .gateway)
        #expect(MessageKind(rawValue: 0x0501).owner == .node)
        #expect(MessageKind(rawValue: 0x0600).owner == nil)
        #expect(MessageKind.connection.owner == .control)
        #expect(MessageKind(rawValue: 0x0101).description == "0x0101")
    }
}
