import CityEncoding
import NIOCore
import NIOEmbedded
import Testing
@testable import CityWire

/// The framing pipeline (length guard over NIOExtras, then the parser) on an `EmbeddedChannel`.
@Suite struct FrameDecoderTests {
    /// Counts how many frame bodies and body bytes reached the parser.
    final class BodyCounter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        var bodies = 0
        var bytes = 0
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bodies += 1
            bytes += unwrapInboundIn(data).readableBytes
            context.fireChannelRead(data)
        }
    }

    func makeChannel(maxFrameBytes: Int = 64) throws -> (EmbeddedChannel, BodyCounter) {
        let counter = BodyCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(FrameLengthGuard(maxFrameBytes: maxFrameBytes), maximumBufferSize: maxFrameBytes + 4))
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(FrameParser())
        return (channel, counter)
    }

    @Test func framesSplitAcrossReadsAndPackedTogether() throws {
        let (channel, _) = try makeChannel()
        let a = Frame(.request, kind: MessageKind(.gateway, 1), requestID: 1, payload: [1, 2, 3])
        let b = Frame(.ping, kind: .connection, requestID: 2)
        let bytes = a.wireBytes + b.wireBytes
        // Byte by byte.
        for byte in bytes { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(try channel.readInbound(as: InboundFrame.self) == .frame(a))
        #expect(try channel.readInbound(as: InboundFrame.self) == .frame(b))
        // All at once.
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        #expect(try channel.readInbound(as: InboundFrame.self) == .frame(a))
        #expect(try channel.readInbound(as: InboundFrame.self) == .frame(b))
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
        _ = try channel.finish()
    }

    @Test func oversizedLengthFailsOnTheLengthFieldAlone() throws {
        let (channel, counter) = try makeChannel(maxFrameBytes: 4 * 1024 * 1024)
        // Only the 4-byte length field, claiming 1 GiB: refused at once, before any body arrives.
        #expect {
            try channel.writeInbound(ByteBuffer(bytes: [0x40, 0x00, 0x00, 0x00]))
        } throws: { ($0 as? WireError)?.code == .frameTooLarge }
        // Whatever follows is dropped, never buffered as a body and never parsed.
        _ = try? channel.writeInbound(ByteBuffer(repeating: 0xab, count: 64 * 1024))
        #expect(counter.bodies == 0)
        #expect(counter.bytes == 0)
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
        _ = try? channel.finish()
    }

    @Test func lengthShorterThanHeaderIsMalformed() throws {
        let (channel, counter) = try makeChannel()
        #expect {
            try channel.writeInbound(ByteBuffer(bytes: Hex.decode("00000007 01070000 000000")!))
        } throws: { ($0 as? WireError)?.code == .badFrame }
        #expect(counter.bodies == 0)
        _ = try? channel.finish()
    }

    @Test func truncatedFrameAtEndOfStreamIsAnError() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: Hex.decode("0000000b 01 01 0101 00000001 01")!))
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
        #expect { try channel.finish() } throws: { ($0 as? WireError)?.code == .badFrame }
    }

    @Test func wrongVersionAndUnknownTypeReachTheStateMachineAsRejections() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: Hex.decode("00000008 01 63 0101 00000005")!))
        guard case .invalid(let error, 5, _, false)? = try channel.readInbound(as: InboundFrame.self) else {
            Issue.record("unknown frame type not rejected"); return
        }
        #expect(error.code == .badFrame)
        try channel.writeInbound(ByteBuffer(bytes: Hex.decode("00000008 02 07 0000 00000007")!))
        guard case .invalid(let version, _, _, true)? = try channel.readInbound(as: InboundFrame.self) else {
            Issue.record("version 2 not rejected"); return
        }
        #expect(version.code == .unsupportedVersion)
        _ = try channel.finish()
    }

    @Test func encoderWritesTheWireBytes() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder()))
        let frame = FrameCodecTests.vectors[2].0
        try channel.writeOutbound(frame)
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(out.readableBytesView) == frame.wireBytes)
        _ = try channel.finish()
    }
}
