import CityEncoding
import CityLedger
import CityWire

/// A query relayed by a gateway: the agency the gateway authenticated (its mutual-TLS client
/// certificate), the query's kind and its canonical payload. The indexer applies its access rules,
/// purposes and disclosure records to `agency`, exactly as if the agency had connected itself;
/// only gateway certificates may send it.
///
/// Encoding: AgencyID agency, u16 kind, bytes payload (≤ 1 MiB).
@MemberwiseInit
package struct ForwardedQuery: Hashable, Sendable, CanonicalCodable {
    /// Largest relayed query payload.
    package static let maxPayloadBytes = 1 << 20

    /// Who is reading.
    package var agency: AgencyID
    /// The query kind (0x0201-0x0206, 0x020B).
    package var kind: MessageKind
    /// The query's canonical bytes.
    package var payload: [UInt8]

    package func encode(to w: inout CanonicalWriter) {
        w.encode(agency); w.u16(kind.rawValue); w.bytes(payload)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        agency = try r.decode()
        kind = MessageKind(rawValue: try r.u16("ForwardedQuery.kind"))
        payload = try r.bytes(max: Self.maxPayloadBytes, "ForwardedQuery.payload")
    }
}
