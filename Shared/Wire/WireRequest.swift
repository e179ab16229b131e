import CityEncoding
import CityPKI

/// One request as a handler sees it: what was called, by whom, with which bytes.
@MemberwiseInit
package struct WireRequest: Sendable {
    /// The message kind called.
    package let kind: MessageKind
    /// The caller's request id (unique among its requests in flight).
    package let requestID: UInt32
    /// The canonical payload bytes.
    package let payload: [UInt8]
    /// Who is calling, read from the TLS client certificate when the connection opened.
    package let peer: PeerIdentity

    /// Decodes the payload as exactly one `T`; a `CodecError` becomes `invalidRequest` for the peer.
    package func decode<T: CanonicalDecodable>(_: T.Type = T.self) throws(CodecError) -> T {
        try T(canonicalBytes: payload)
    }
}
