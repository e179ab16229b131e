import CoreMetrics
import Logging
import NIOCore
import Synchronization

/// The IO side of one server connection: reads frames, feeds `ServerConnectionState`, performs its
/// actions, and runs each request's handler as one child task that a cancel frame can stop.
final class ServerSession: Sendable {
    private let state: Mutex<ServerConnectionState>
    private let running = Mutex<[UInt32: RunningHandler]>([:])
    private let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<Frame>
    private let configuration: WireConfiguration
    private let logger: Logger
    /// The peer's certificate (role and name), for refusal logs.
    private let peer: String

    init(state: ServerConnectionState, channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<Frame>,
         configuration: WireConfiguration, logger: Logger) {
        self.peer = "\(state.peer)"
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
            if let refusal = error as? UnfinishedFrameRefusal {
                WireRefusals.record(refusal.reason, peer: peer, detail: wire.message, logger: logger)
            }
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
            noteRefusal(frame)
            do { try await outbound.write(frame) } catch { return false }
            return true
        case .sendThenClose(let frame):
            noteRefusal(frame)
            try? await outbound.write(frame)
            return false
        case .close:
            return false
        case .cancel(let requestID):
            running.withLock { handlers in
                guard var handler = handlers[requestID] else { return }
                if let task = handler.task { task.cancel() } else { handler.cancelled = true }
                handlers[requestID] = handler
            }
            return true
        case .run(let route, let request):
            running.withLock { $0[request.requestID] = RunningHandler() }
            group.addTask { await self.handle(route, request) }
            return true
        }
    }

    /// Runs one handler in the calling task and writes its answer; never throws. A cancel frame
    /// cancels this task (through `running`), so a handler that checks cancellation stops, and the
    /// answer is then `cancelled` whatever the handler returned.
    private func handle(_ route: WireRoute, _ request: WireRequest) async {
        let id = request.requestID
        Self.requestCounter(request.kind).increment()
        let frame: Frame
        do {
            register(id)
            let answer: Frame
            switch route.handler {
            case .unary(let handler):
                let payload = try await handler(request)
                guard payload.count <= configuration.maxPayloadBytes else {
                    throw WireError(.internal, "response of \(payload.count) bytes exceeds the frame limit")
                }
                answer = Frame(.response, kind: request.kind, requestID: id, payload: payload)
            case .stream(let handler):
                let writer = StreamWriter(requestID: id, kind: request.kind, outbound: outbound,
                                          maxPayloadBytes: configuration.maxPayloadBytes)
                try await handler(request, writer)
                answer = Frame(.streamEnd, kind: request.kind, requestID: id)
            }
            try Task.checkCancellation()
            frame = answer
        } catch {
            let visible = WireError.forPeer(Task.isCancelled ? CancellationError() : error)
            if visible.code == .internal {
                logger.error("handler failed", metadata: ["wire.kind": "\(request.kind)", "wire.error": "\(error)"])
            }
            frame = .error(visible, kind: request.kind, requestID: id)
            if let reason = WireRefusals.reason(of: visible.code) {
                WireRefusals.record(reason, peer: "\(request.peer)", detail: "\(request.kind): \(visible.message)", logger: logger)
            }
        }
        // Unregistered before the answer: from here no cancel frame may reach this task.
        running.withLock { _ = $0.removeValue(forKey: id) }
        try? await outbound.write(frame)
        if case .close = state.withLock({ $0.finished(id) }) { channel.close(promise: nil) }
    }

    /// Counts and logs an error answer of the connection's own checks (role, kind, in-flight bound,
    /// malformed frames) as a refusal.
    private func noteRefusal(_ frame: Frame) {
        guard frame.type == .error, let error = try? WireError(canonicalBytes: frame.payload),
              let reason = WireRefusals.reason(of: error.code) else { return }
        WireRefusals.record(reason, peer: peer, detail: "\(frame.kind): \(error.message)", logger: logger)
    }

    /// Records the current task as request `id`'s handler so a cancel frame can cancel it; a cancel
    /// that arrived before the task started cancels it now.
    private func register(_ id: UInt32) {
        withUnsafeCurrentTask { task in
            guard let task else { return }
            running.withLock { handlers in
                guard var handler = handlers[id] else { return }
                if handler.cancelled { task.cancel() }
                handler.task = HandlerTask(task)
                handlers[id] = handler
            }
        }
    }

    /// One counter per message kind, looked up once (a metrics factory lookup per request costs a lock
    /// and a dictionary probe in the factory).
    private static let counters = Mutex<[MessageKind: Counter]>([:])
    private static func requestCounter(_ kind: MessageKind) -> Counter {
        counters.withLock { counters in
            if let counter = counters[kind] { return counter }
            let counter = Counter(label: "citychain_wire_requests_total", dimensions: [("kind", "\(kind)")])
            counters[kind] = counter
            return counter
        }
    }

    /// The typed error to answer a connection-level failure with, or nil to just close (IO, TLS).
    private static func connectionError(_ error: any Error) -> WireError? {
        switch error {
        case let wire as WireError: wire
        case let refusal as UnfinishedFrameRefusal: refusal.wire
        case is ByteToMessageDecoderError.PayloadTooLargeError:
            WireError(.frameTooLarge, "more bytes buffered than a frame may hold; closing the connection")
        default: nil
        }
    }
}

/// A request whose handler runs: its task once started, or a cancel that came first.
private struct RunningHandler: Sendable {
    var task: HandlerTask?
    var cancelled = false
}

/// A running handler's task. Holding an `UnsafeCurrentTask` beyond its scope is sound here only
/// because the handler removes its entry from `ServerSession.running` (under the lock every cancel
/// takes) before its task ends, so no cancel can reach a finished task.
private struct HandlerTask: @unchecked Sendable {
    private let task: UnsafeCurrentTask
    init(_ task: UnsafeCurrentTask) { self.task = task }
    func cancel() { task.cancel() }
}
