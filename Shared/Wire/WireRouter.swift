import CityPKI

/// The table of message kinds a `WireServer` serves, each with its role policy. Services build one
/// at startup; it is immutable once the server runs.
package struct WireRouter: Sendable {
    private var routes: [MessageKind: WireRoute] = [:]

    /// An empty router.
    package init() {}

    /// The kinds registered, in order.
    package var kinds: [MessageKind] { routes.keys.sorted() }

    /// The route for `kind`, if registered.
    package func route(for kind: MessageKind) -> WireRoute? { routes[kind] }

    /// Serves `kind` with a unary handler, for peers whose role passes `allowedRoles`.
    package mutating func unary(_ kind: MessageKind, allowedRoles: @escaping @Sendable (Role) -> Bool,
                                handler: @escaping WireRoute.Unary) {
        add(WireRoute(kind: kind, allows: allowedRoles, handler: .unary(handler)))
    }

    /// Serves `kind` with a unary handler, for peers whose role is in `allowedRoles`.
    package mutating func unary(_ kind: MessageKind, allowedRoles: Set<Role>, handler: @escaping WireRoute.Unary) {
        unary(kind, allowedRoles: { allowedRoles.contains($0) }, handler: handler)
    }

    /// Serves `kind` with a stream handler, for peers whose role passes `allowedRoles`.
    package mutating func stream(_ kind: MessageKind, allowedRoles: @escaping @Sendable (Role) -> Bool,
                                 handler: @escaping WireRoute.Stream) {
        add(WireRoute(kind: kind, allows: allowedRoles, handler: .stream(handler)))
    }

    /// Serves `kind` with a stream handler, for peers whose role is in `allowedRoles`.
    package mutating func stream(_ kind: MessageKind, allowedRoles: Set<Role>, handler: @escaping WireRoute.Stream) {
        stream(kind, allowedRoles: { allowedRoles.contains($0) }, handler: handler)
    }

    private mutating func add(_ route: WireRoute) {
        precondition(route.kind.owner != .control, "kinds 0x00xx are reserved for the wire module")
        precondition(routes[route.kind] == nil, "message kind \(route.kind) registered twice")
        routes[route.kind] = route
    }
}
