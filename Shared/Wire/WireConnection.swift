import CityEncoding
import CityPKI
import Logging
import NIOCore
import Synchronization

/// One client connection to a wire server, multiplexing any number of concurrent requests and
/// streams by request id. Obtained from `WireClient.withConnection`, valid inside its closure.
package final class WireConnection: Sendable {
    /// The server's identity, read from its certificate and checked against the expected role.
    package let server: PeerIdentity
    private let channel: any Channel
    private let configuration: WireConfiguration
    private let logger: Logger
    private let pending: Mutex<PendingRequests>

    init(server: PeerIdentity, channel: any Channel, configuration: WireConfiguration, logger: Logger) {
        self.server = server
        self.channel = channel
        self.configuration = configuration
        self.logger = logger
        pending = Mutex(PendingRequests(maxWaiting: configuration.maxInFlightPerConnection))
    }

    /// Calls `kind` with `payload` and returns the response payload; throws the server's
    /// `WireError`, or `WireError(.timeout)` after `timeout` (the request is then cancelled).
    package func request(_ kind: MessageKind, _ payload: [UInt8], timeout: Duration = .seconds(30)) async throws -> [UInt8] {
        try await roundTrip(.request, kind: kind, payload: payload, timeout: timeout)
    }

    /// Runs `callback` once when the connection closes (at once if it already has), from whichever
    /// side: lets a holder of a long-lived connection notice a peer going away between requests.
    package func whenClosed(_ callback: @escaping @Sendable () -> Void) {
        channel.closeFuture.whenComplete { _ in callback() }
    }

    /// Sends a ping and waits for the pong.
    package func ping(timeout: Duration = .seconds(10)) async throws {
        _ = try await roundTrip(.ping, kind: .connection, payload: [], timeout: timeout)
    }

    /// Opens a stream on `kind`: items until the server ends it, or its `WireError`. Ending the
    /// iteration early or cancelling the consuming task sends a cancel frame.
    package func stream(_ kind: MessageKind, _ payload: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: [UInt8].self, throwing: (any Error).self,
            bufferingPolicy: .bufferingOldest(configuration.maxBufferedStreamItems))
        let id: UInt32
        do {
            id = try pending.withLock { p throws(WireError) in try p.register(.stream(continuation)) }
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination, self.forget(id) { self.sendCancel(id, kind: kind) }
        }
        // On a failed write the read loop ends the stream with the connection's close reason.
        channel.writeAndFlush(Frame(.request, kind: kind, requestID: id, payload: payload)).whenFailure { [channel] _ in
            channel.close(promise: nil)
        }
        return stream
    }

    private func roundTrip(_ type: FrameType, kind: MessageKind, payload: [UInt8], timeout: Duration) async throws -> [UInt8] {
        guard payload.count <= configuration.maxPayloadBytes else {
            throw WireError(.invalidRequest, "payload of \(payload.count) bytes is over the frame limit of \(configuration.maxPayloadBytes)")
        }
        let box = OneShot<[UInt8]>()
        let id = try pending.withLock { p throws(WireError) in try p.register(.unary(box)) }
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            guard self.forget(id) else { return }
            box.complete(.failure(WireError(.timeout, "no answer to \(type) \(kind) within \(timeout); it was cancelled; retry or raise the timeout")))
            if type == .request { self.sendCancel(id, kind: kind) }
        }
        defer { timer.cancel() }
        do {
            try await channel.writeAndFlush(Frame(type, kind: kind, requestID: id, payload: payload))
        } catch {
            // A failed write means the connection is going down; the read loop then fails every
            // waiter with the reason (e.g. the TLS alert), which says more than the write error.
            channel.close(promise: nil)
        }
        do {
            return try await box.value()
        } catch {
            if forget(id), type == .request { sendCancel(id, kind: kind) }
            throw error
        }
    }

    /// Removes `id` from the pending table; true if it was still waiting.
    private func forget(_ id: UInt32) -> Bool {
        pending.withLock { $0.remove(id) } != nil
    }

    private func sendCancel(_ id: UInt32, kind: MessageKind) {
        channel.writeAndFlush(Frame(.cancel, kind: kind, requestID: id), promise: nil)
    }

    /// Reads frames and hands each answer to its waiter until the connection ends; then fails
    /// everyone still waiting.
    func readLoop(_ inbound: NIOAsyncChannelInboundStream<InboundFrame>) async {
        var reason = WireError(.unavailable, "the connection to \(server) closed; reconnect and retry")
        do {
            for try await item in inbound {
                switch item {
                case .frame(let frame):
                    if let fatal = dispatch(frame) { reason = fatal }
                case .invalid(let error, _, _, let fatal):
                    logger.warning("invalid frame from server", metadata: ["wire.error": "\(error)"])
                    if fatal { reason = error; channel.close(promise: nil) }
                }
            }
        } catch let error as WireError {
            reason = error
        } catch let refusal as UnfinishedFrameRefusal {
            reason = refusal.wire
        } catch {
            reason = WireError(.unavailable, "the connection to \(server) failed (\(error)); reconnect and retry")
        }
        for waiter in pending.withLock({ $0.close(reason) }) { Self.fail(waiter, reason) }
    }

    /// Delivers one frame; returns a connection-level error if the server sent one.
    private func dispatch(_ frame: Frame) -> WireError? {
        let id = frame.requestID
        switch frame.type {
        case .response, .pong:
            if case .unary(let box)? = pending.withLock({ $0.remove(id) }) { box.complete(.success(frame.payload)) }
        case .streamItem:
            guard case .stream(let continuation)? = pending.withLock({ $0.waiter(id) }) else { return nil }
            if case .dropped = continuation.yield(frame.payload), forget(id) {
                continuation.finish(throwing: WireError(.unavailable, "more than \(configuration.maxBufferedStreamItems) stream items buffered; consume the stream faster"))
                sendCancel(id, kind: frame.kind)
            }
        case .streamEnd:
            if case .stream(let continuation)? = pending.withLock({ $0.remove(id) }) { continuation.finish() }
        case .error:
            let error = (try? WireError(canonicalBytes: frame.payload))
                ?? WireError(.badFrame, "the server sent an error frame that does not decode")
            if id == 0 { return error }
            if let waiter = pending.withLock({ $0.remove(id) }) { Self.fail(waiter, error) }
        case .ping:
            channel.writeAndFlush(Frame(.pong, kind: frame.kind, requestID: id, payload: frame.payload), promise: nil)
        case .request, .cancel:
            logger.warning("server sent a \(frame.type) frame; ignored")
        }
        return nil
    }

    private static func fail(_ waiter: PendingRequests.Waiter, _ error: WireError) {
        switch waiter {
        case .unary(let box): box.complete(.failure(error))
        case .stream(let continuation): continuation.finish(throwing: error)
        }
    }
}
