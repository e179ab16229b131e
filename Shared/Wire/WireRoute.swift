import CityPKI

/// One registered message kind: who may call it and what runs.
package struct WireRoute: Sendable {
    /// A handler answering with one payload.
    package typealias Unary = @Sendable (WireRequest) async throws -> [UInt8]
    /// A handler pushing any number of items, then returning.
    package typealias Stream = @Sendable (WireRequest, StreamWriter) async throws -> Void

    /// The two shapes of handler.
    package enum Handler: Sendable {
        /// One request, one response.
        case unary(Unary)
        /// One request, a stream of items, then a stream end.
        case stream(Stream)
    }

    /// The kind served.
    package let kind: MessageKind
    /// Whether a peer with this certificate role may call the kind.
    package let allows: @Sendable (Role) -> Bool
    /// What runs.
    package let handler: Handler
}
