import CityPKI

/// The server side of one connection as a pure state machine: frames and events in, actions out.
/// It decides routing, role checks, the in-flight bound, draining and which errors close the
/// connection; `ServerConnection` performs the actions. No IO, no clock.
package struct ServerConnectionState: Sendable {
    /// What the IO side must do.
    package enum Action: Sendable {
        /// Write this frame.
        case send(Frame)
        /// Write this frame, then close the connection.
        case sendThenClose(Frame)
        /// Run the route's handler for the request (it is now in flight).
        case run(WireRoute, WireRequest)
        /// Cancel the handler of this in-flight request.
        case cancel(requestID: UInt32)
        /// Close the connection now.
        case close
        /// Nothing to do.
        case none
    }

    /// Who is on the other end.
    package let peer: PeerIdentity
    private let router: WireRouter
    private let maxInFlight: Int
    private var inFlight: Set<UInt32> = []
    private var draining = false

    /// The state of a new connection from `peer`.
    package init(peer: PeerIdentity, router: WireRouter, maxInFlight: Int) {
        precondition(maxInFlight > 0, "maxInFlight must be positive")
        self.peer = peer
        self.router = router
        self.maxInFlight = maxInFlight
    }

    /// Requests currently in flight.
    package var inFlightCount: Int { inFlight.count }

    /// Handles one parsed frame (or rejection) from the peer.
    package mutating func receive(_ inbound: InboundFrame) -> Action {
        switch inbound {
        case .invalid(let error, let requestID, let kind, let fatal):
            let frame = Frame.error(error, kind: kind, requestID: requestID)
            return fatal ? .sendThenClose(frame) : .send(frame)
        case .frame(let frame):
            return receive(frame)
        }
    }

    private mutating func receive(_ frame: Frame) -> Action {
        switch frame.type {
        case .request:
            return request(frame)
        case .cancel:
            return inFlight.contains(frame.requestID) ? .cancel(requestID: frame.requestID) : .none
        case .ping:
            return .send(Frame(.pong, kind: frame.kind, requestID: frame.requestID, payload: frame.payload))
        case .pong:
            return .none
        case .response, .error, .streamItem, .streamEnd:
            let error = WireError(.badFrame, "a client may not send \(frame.type) frames; send request, cancel, ping or pong")
            return .send(.error(error, kind: frame.kind, requestID: frame.requestID))
        }
    }

    private mutating func request(_ frame: Frame) -> Action {
        let id = frame.requestID
        func reject(_ code: WireErrorCode, _ message: String) -> Action {
            .send(.error(WireError(code, message), kind: frame.kind, requestID: id))
        }
        if draining {
            return reject(.unavailable, "the server is shutting down; retry on another node or after it restarts")
        }
        guard id != 0 else {
            return reject(.badFrame, "request id 0 is reserved for the connection itself; number requests from 1")
        }
        guard let route = router.route(for: frame.kind) else {
            return reject(.unknownKind, "message kind \(frame.kind) is not served here; check the kind and which service you called")
        }
        guard route.allows(peer.role) else {
            let permitted = Role.representatives.filter(route.allows).map { if case .agency = $0 { "agency:<id>" } else { "\($0)" } }
            let which = permitted.isEmpty ? "no certificate role" : permitted.joined(separator: " or ")
            return reject(.forbidden, "role \(peer.role) may not call message kind \(frame.kind); it is served to \(which): use a certificate with that role")
        }
        guard !inFlight.contains(id) else {
            return reject(.conflict, "request id \(id) is already in flight; use a new id per request")
        }
        guard inFlight.count < maxInFlight else {
            return reject(.tooManyInFlight, "\(maxInFlight) requests already in flight on this connection; wait for answers before sending more")
        }
        inFlight.insert(id)
        return .run(route, WireRequest(kind: frame.kind, requestID: id, payload: frame.payload, peer: peer))
    }

    /// The handler of `requestID` finished and its answer was written.
    package mutating func finished(_ requestID: UInt32) -> Action {
        let removed = inFlight.remove(requestID)
        precondition(removed != nil, "finished a request that was not in flight")
        return draining && inFlight.isEmpty ? .close : .none
    }

    /// A connection-level failure (decoder error, idle timeout): answer with it, then close.
    package func failed(_ error: WireError) -> Action {
        .sendThenClose(.error(error))
    }

    /// The server is shutting down: refuse new requests, close once none is in flight.
    package mutating func beginDrain() -> Action {
        draining = true
        return inFlight.isEmpty ? .close : .none
    }
}
