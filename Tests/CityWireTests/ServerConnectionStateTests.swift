import CityPKI
import Testing
@testable import CityWire

/// The server connection state machine with plain event sequences (no IO).
@Suite struct ServerConnectionStateTests {
    static let echo = MessageKind(.validator, 1)
    static let adminOnly = MessageKind(.validator, 2)

    func makeState(maxInFlight: Int = 2) -> ServerConnectionState {
        var router = WireRouter()
        router.unary(Self.echo, allowedRoles: { _ in true }) { $0.payload }
        router.unary(Self.adminOnly, allowedRoles: [.admin]) { _ in [] }
        return ServerConnectionState(peer: PeerIdentity(role: .gateway, name: "gw", fingerprint: "00"),
                                     router: router, maxInFlight: maxInFlight)
    }

    func request(_ kind: MessageKind, _ id: UInt32) -> InboundFrame {
        .frame(Frame(.request, kind: kind, requestID: id, payload: [9]))
    }

    func errorCode(_ action: ServerConnectionState.Action) -> WireErrorCode? {
        guard case .send(let frame) = action, frame.type == .error else { return nil }
        return try? WireError(canonicalBytes: frame.payload).code
    }

    @Test func routesKnownKindsAndRefusesOthers() {
        var state = makeState()
        guard case .run(_, let req) = state.receive(request(Self.echo, 1)) else { Issue.record("not run"); return }
        #expect(req.requestID == 1 && req.peer.role == .gateway && req.payload == [9])
        #expect(errorCode(state.receive(request(MessageKind(.indexer, 7), 2))) == .unknownKind)
        let refusal = state.receive(request(Self.adminOnly, 3))
        #expect(errorCode(refusal) == .forbidden)
        if case .send(let frame) = refusal, let e = try? WireError(canonicalBytes: frame.payload) {
            #expect(e.message.contains("role gateway may not call") && e.message.contains("it is served to admin"),
                    "the refusal names the roles that may call the kind: \(e.message)")
        }
        #expect(state.inFlightCount == 1)
    }

    /// Request id 0 names the connection itself (docs/protocol/wire.md): a request with it is
    /// refused with `badFrame` on id 0, never run, and the connection stays up. The checks run in
    /// the documented order: draining, id 0, kind, role, id in flight, in-flight bound.
    @Test func requestIDZeroIsRefusedAndChecksRunInOrder() {
        var state = makeState(maxInFlight: 1)
        let zero = state.receive(request(Self.echo, 0))
        #expect(errorCode(zero) == .badFrame)
        if case .send(let frame) = zero { #expect(frame.requestID == 0) }
        #expect(state.inFlightCount == 0)
        // id 0 is checked before the kind and the role.
        #expect(errorCode(state.receive(request(MessageKind(.indexer, 7), 0))) == .badFrame)
        #expect(errorCode(state.receive(request(Self.adminOnly, 0))) == .badFrame)
        // The kind before the role, the role before the in-flight bound.
        guard case .run = state.receive(request(Self.echo, 1)) else { Issue.record("not run"); return }
        #expect(errorCode(state.receive(request(MessageKind(.indexer, 7), 2))) == .unknownKind)
        #expect(errorCode(state.receive(request(Self.adminOnly, 2))) == .forbidden)
        #expect(errorCode(state.receive(request(Self.echo, 1))) == .conflict)
        #expect(errorCode(state.receive(request(Self.echo, 2))) == .tooManyInFlight)
        // Draining comes first of all.
        _ = state.beginDrain()
        #expect(errorCode(state.receive(request(Self.echo, 0))) == .unavailable)
    }

    @Test func boundsRequestsInFlightAndKeepsTheConnection() {
        var state = makeState(maxInFlight: 2)
        guard case .run = state.receive(request(Self.echo, 1)), case .run = state.receive(request(Self.echo, 2)) else {
            Issue.record("first two not run"); return
        }
        #expect(errorCode(state.receive(request(Self.echo, 3))) == .tooManyInFlight)
        #expect(errorCode(state.receive(request(Self.echo, 1))) == .conflict)
        guard case .none = state.finished(1), case .run = state.receive(request(Self.echo, 3)) else {
            Issue.record("slot not freed"); return
        }
    }

    @Test func cancelPingAndUnexpectedFrames() {
        var state = makeState()
        _ = state.receive(request(Self.echo, 4))
        guard case .cancel(requestID: 4) = state.receive(.frame(Frame(.cancel, kind: Self.echo, requestID: 4))) else {
            Issue.record("cancel not forwarded"); return
        }
        guard case .none = state.receive(.frame(Frame(.cancel, kind: Self.echo, requestID: 99))) else {
            Issue.record("cancel of unknown id acted on"); return
        }
        guard case .send(let pong) = state.receive(.frame(Frame(.ping, kind: .connection, requestID: 8, payload: [1]))) else {
            Issue.record("no pong"); return
        }
        #expect(pong == Frame(.pong, kind: .connection, requestID: 8, payload: [1]))
        #expect(errorCode(state.receive(.frame(Frame(.response, kind: Self.echo, requestID: 5)))) == .badFrame)
    }

    @Test func fatalRejectionsCloseNonFatalOnesDoNot() {
        var state = makeState()
        let fatal = InboundFrame.invalid(.unsupportedVersion(2), requestID: 0, kind: .connection, fatal: true)
        guard case .sendThenClose(let frame) = state.receive(fatal), frame.type == .error else {
            Issue.record("version error does not close"); return
        }
        let soft = InboundFrame.invalid(WireError(.badFrame, "type 9"), requestID: 3, kind: Self.echo, fatal: false)
        guard case .send(let reply) = state.receive(soft) else { Issue.record("bad type closes"); return }
        #expect(reply.requestID == 3)
    }

    @Test func drainRefusesNewWorkAndClosesWhenIdle() {
        var state = makeState()
        _ = state.receive(request(Self.echo, 1))
        guard case .none = state.beginDrain() else { Issue.record("closed with work in flight"); return }
        #expect(errorCode(state.receive(request(Self.echo, 2))) == .unavailable)
        guard case .close = state.finished(1) else { Issue.record("not closed when idle"); return }
        var idle = makeState()
        guard case .close = idle.beginDrain() else { Issue.record("idle connection not closed"); return }
    }
}
