import CoreMetrics
import Logging
import NIOCore
import Synchronization

/// The IO side of one server connection: reads frames, feeds `ServerConnectionState`, performs its
/// actions, and runs each request's handler as a child task that a cancel frame can stop.
final class ServerSession: Sendable {
    private let state: Mutex<ServerConnectionState>
    private let cancels = Mutex<[UInt32: OneShot<Void>]>([:])
    private let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<Frame>
    private let configuration: WireConfiguration
    private let logger: Logger

    init(state: ServerConnectionState, channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<Frame>,
         configuration: WireConfiguration, logger: Logger) {
        self.state = Mutex(state)
        self.channel = channel
        self.outbound = outbound
        self.configuration = configuration
        self.logger = logger
    }

    /// Reads until the peer leaves, a fatal error is answered, or the state machine closes.
    func readLoop(_ inbound: NIOAsyncChannelInboundStream<InboundFrame>, group: inout DiscardingTaskGroup) async {
        do {
            for try await item in inbound {
                let action = state.withLock { $0.receive(item) }
                guard await perform(action, group: &group) else { return }
            }
        } catch {
            guard let wire = Self.connectionError(error) else {
                logger.debug("connection failed", metadata: ["wire.error": "\(error)"])
                return
            }
            logger.debug("closing connection after error", metadata: ["wire.error": "\(wire)"])
            _ = await perform(state.withLock { $0.failed(wire) }, group: &group)
        }
    }

    /// Starts draining for a graceful shutdown; the connection closes when idle or after the grace period.
    func drain() {
        guard case .none = state.withLock({ $0.beginDrain() }) else {
            channel.close(promise: nil)
            return
        }
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: TimeAmount(configuration.shutdownGracePeriod)) {
            channel.close(promise: nil)
        }
    }

    /// Performs one action; false means stop reading and close.
    private func perform(_ action: ServerConnectionState.Action, group: inout DiscardingTaskGroup) async -> Bool {
        switch action {
        case .none:
            return true
        case .send(let frame):
            do { try await outbound.write(frame) } catch { return false }
            return true
        case .sendThenClose(let frame):
            try? await outbound.write(frame)
            return false
        case .close:
            return false
        case .cancel(let requestID):
            cancels.withLock { $0[requestID] }?.complete(.success(()))
            return true
        case .run(let route, let request):
            let signal = OneShot<Void>()
            cancels.withLock { $0[request.requestID] = signal }
            group.addTask { await self.handle(route, request, cancelSignal: signal) }
            return true
        }
    }

    /// Runs one handler and writes its answer; never throws.
    private func handle(_ route: WireRoute, _ request: WireRequest, cancelSignal: OneShot<Void>) async {
        let id = request.requestID
        Counter(label: "citychain_wire_requests_total", dimensions: [("kind", "\(request.kind)")]).increment()
        let frame: Frame
        do {
            frame = try await Self.untilCancelled(cancelSignal) { [outbound, configuration] in
                switch route.handler {
                case .unary(let handler):
                    let payload = try await handler(request)
                    guard payload.count <= configuration.maxPayloadBytes else {
                        throw WireError(.internal, "response of \(payload.count) bytes exceeds the frame limit")
                    }
                    return Frame(.response, kind: request.kind, requestID: id, payload: payload)
                case .stream(let handler):
                    let writer = StreamWriter(requestID: id, kind: request.kind, outbound: outbound,
                                              maxPayloadBytes: configuration.maxPayloadBytes)
                    try await handler(request, writer)
                    return Frame(.streamEnd, kind: request.kind, requestID: id)
                }
            }
        } catch {
            let visible = WireError.forPeer(error)
            if visible.code == .internal {
                logger.error("handler failed", metadata: ["wire.kind": "\(request.kind)", "wire.error": "\(error)"])
            }
            frame = .error(visible, kind: request.kind, requestID: id)
        }
        try? await outbound.write(frame)
        cancels.withLock { _ = $0.removeValue(forKey: id) }
        if case .close = state.withLock({ $0.finished(id) }) { channel.close(promise: nil) }
    }

    /// Runs `body` until it returns or `signal` fires (then throws `CancellationError`).
    private static func untilCancelled<T: Sendable>(_ signal: OneShot<Void>,
                                                    _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await signal.value()
                throw CancellationError()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The typed error to answer a connection-level failure with, or nil to just close (IO, TLS).
    private static func connectionError(_ error: any Error) -> WireError? {
        switch error {
        case let wire as WireError: wire
        case is ByteToMessageDecoderError.PayloadTooLargeError:
            WireError(.frameTooLarge, "more bytes buffered than a frame may hold; closing the connection")
        default: nil
        }
    }
}
