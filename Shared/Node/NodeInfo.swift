import CityEncoding
import CityWire

/// What `node.info` (kind 0x0001) answers: which service this is, who it is, what it serves.
/// Lets ops and peers check a running service over the real protocol (`citychain ping`).
@MemberwiseInit
package struct NodeInfo: Hashable, Sendable, CanonicalCodable {
    /// The message kind of the request (empty payload) and its answer.
    package static let kind = MessageKind(.node, 0x01)
    /// Longest service, name or version string accepted on decode.
    package static let maxTextBytes = 256
    /// Most message kinds listed on decode.
    package static let maxKinds = 1024

    /// The service kind: validator, indexer, gateway or registry.
    package var service: String
    /// The certificate's common name (e.g. validator-1).
    package var name: String
    /// The software version.
    package var version: String
    /// Milliseconds the process has been serving.
    package var uptimeMillis: UInt64
    /// The message kinds this process serves, ascending.
    package var kinds: [UInt16]

    package func encode(to w: inout CanonicalWriter) {
        w.string(service); w.string(name); w.string(version); w.u64(uptimeMillis)
        w.array(kinds) { w, k in w.u16(k) }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        service = try r.string(max: Self.maxTextBytes, "NodeInfo.service")
        name = try r.string(max: Self.maxTextBytes, "NodeInfo.name")
        version = try r.string(max: Self.maxTextBytes, "NodeInfo.version")
        uptimeMillis = try r.u64("NodeInfo.uptimeMillis")
        kinds = try r.array(max: Self.maxKinds, "NodeInfo.kinds") { (r: inout CanonicalReader) throws(CodecError) in
            try r.u16("NodeInfo.kinds")
        }
        guard zip(kinds, kinds.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw CodecError(.nonCanonical, field: "NodeInfo.kinds", "kinds must be strictly ascending")
        }
    }
}

/// The software version every service reports.
package enum CityChainVersion {
    /// Semantic version of this build.
    package static let current = "0.1.0"
}
