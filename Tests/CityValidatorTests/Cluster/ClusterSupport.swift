import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
@testable import CityValidator

/// Calls on one validator through the wire, as a client would.
extension WireClient {
    func call<T: CanonicalDecodable & Sendable>(_ address: String, _ kind: MessageKind, _ payload: some CanonicalEncodable,
                                     as: T.Type = T.self) async throws -> T {
        let (host, port) = ValidatorEngine.split(address)!
        return try await withConnection(host: host, port: port, expecting: .validator) { c in
            try T(canonicalBytes: try await c.request(kind, payload.canonicalBytes))
        }
    }

    func submit(_ tx: SignedTransaction, to address: String, waitMillis: UInt32 = 0) async throws -> SubmitResponse {
        try await call(address, ValidatorAPI.submit, SubmitRequest(transaction: tx, waitMillis: waitMillis))
    }

    func blocks(_ address: String, from: UInt64 = 1) async throws -> [CertifiedBlock] {
        var all: [CertifiedBlock] = []
        var next = from
        for _ in 0..<1000 {
            let r: BlocksResponse = try await call(address, ValidatorAPI.blocks, BlocksRequest(from: next, maxCount: 256))
            all += r.blocks
            guard let last = r.blocks.last, last.height < r.latestHeight else { break }
            next = last.height + 1
        }
        return all
    }
}

/// An empty payload (for `validator.status`).
struct Empty: CanonicalEncodable {
    func encode(to w: inout CanonicalWriter) {}
}
