import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
@preconcurrency import Crypto

/// The console's side of the wire: every question goes to the gateway over mutual TLS 1.3 with
/// the agency's certificate, and every answer that carries proofs is checked against the validator
/// sets followed from the genesis (`TrustOptions`), its verdict kept beside it for the page.
package struct ConsoleBackend: Sendable {
    let gateway: HostPort
    let client: WireClient
    let agency: AgencyID
    let trust: TrustOptions
    let genesis: Genesis
    let genesisPath: String
    /// The agency's signing key and its key id on chain (nil: the console only reads).
    let signer: (key: Curve25519.Signing.PrivateKey, keyID: KeyID)?
    /// Opens payloads sealed to the agency (nil: sealed payloads are shown as sealed).
    let opener: SealedOpener?

    /// An answer's proof check, shown on every page that shows an answer.
    package enum Proof: Sendable, Equatable {
        case verified(String)
        case failed(String)
    }

    /// Sends one query of `kind` with `query` through the gateway and checks its proofs.
    func ask(_ kind: MessageKind, _ query: [UInt8]) async throws -> (answer: [UInt8], proof: Proof) {
        try await client.withConnection(host: gateway.host, port: gateway.port, expecting: .gateway) { conn in
            let answer = try await conn.request(kind, query)
            let saved = SavedAnswer(kind: kind, query: query, answer: answer)
            do {
                let summary = try await trust.verify(fetch: TrustOptions.fetch(on: conn)) { sets in try saved.verify(validatorSet: sets) }
                return (answer, summary.map(Proof.verified) ?? .failed("no trust anchor"))
            } catch {
                return (answer, .failed("\(error)"))
            }
        }
    }

    /// The gateway's view of the chain (head, upstreams' health) and the indexer's position.
    func overview() async throws -> (gateway: GatewayStatus, indexer: IndexerStatus?) {
        try await client.withConnection(host: gateway.host, port: gateway.port, expecting: .gateway) { conn in
            let g = try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, []))
            let i = try? IndexerStatus(canonicalBytes: try await conn.request(IndexerAPI.status, []))
            return (g, i)
        }
    }

    func access() async throws -> (AccessAnswer, Proof) {
        let (bytes, proof) = try await ask(IndexerAPI.access, [])
        return (try AccessAnswer(canonicalBytes: bytes), proof)
    }

    func record(_ q: RecordQuery) async throws -> (RecordAnswer, Proof) {
        let (bytes, proof) = try await ask(IndexerAPI.record, q.canonicalBytes)
        return (try RecordAnswer(canonicalBytes: bytes), proof)
    }

    func history(_ q: HistoryQuery) async throws -> (ChangesAnswer, Proof) {
        let (bytes, proof) = try await ask(IndexerAPI.history, q.canonicalBytes)
        return (try ChangesAnswer(canonicalBytes: bytes), proof)
    }

    func changes(_ q: DatasetQuery) async throws -> (ChangesAnswer, Proof) {
        let (bytes, proof) = try await ask(IndexerAPI.dataset, q.canonicalBytes)
        return (try ChangesAnswer(canonicalBytes: bytes), proof)
    }

    func audit(_ q: AuditQuery) async throws -> (AuditAnswer, Proof) {
        let (bytes, proof) = try await ask(IndexerAPI.audit, q.canonicalBytes)
        return (try AuditAnswer(canonicalBytes: bytes), proof)
    }

    /// Signs a putRecord of `payload` (sealed to the signer and the dataset's owner when the dataset
    /// is restricted), submits it through the gateway, waits for the commit and checks the receipt.
    func write(dataset: DatasetEntry, subject: SubjectKey, payload: [UInt8]) async throws -> (GatewayOutcome, Proof?) {
        guard let signer else {
            throw ConsoleError(status: 400, "this console was started without --signing-key: it can read, not write; restart it with the agency's signing key file")
        }
        let carried = dataset.sensitivity == .restricted
            ? try SubmitCommand.seal(payload, readers: [dataset.owner.value], signer: agency.value, genesis: genesis, source: genesisPath)
            : payload
        let wait: UInt32 = 15_000
        let outcome = try await client.withConnection(host: gateway.host, port: gateway.port, expecting: .gateway) { conn in
            let status = try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, []))
            let body = TransactionBody(chainID: status.chainID, signer: Signer(agency: agency, keyID: signer.keyID), nonce: UInt64.random(in: 1...UInt64.max),
                                       expiresAtHeight: status.headHeight + 1000,
                                       operation: .putRecord(dataset: dataset.id, subject: subject, payloadHash: Hash32.sha256(carried)))
            let tx = try SignedTransaction.sign(body, payload: carried, key: signer.key)
            return try GatewayOutcome(canonicalBytes: try await conn.request(GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: wait).canonicalBytes,
                                                                           timeout: .milliseconds(Int64(wait) + 15_000)))
        }
        guard case .committed(let receipt) = outcome.state else { return (outcome, nil) }
        let saved = SavedAnswer(kind: GatewayAPI.submit, query: TxStatusRequest(id: outcome.id).canonicalBytes, answer: receipt.canonicalBytes)
        let proof: Proof
        do {
            proof = try await client.withConnection(host: gateway.host, port: gateway.port, expecting: .gateway) { conn in
                try await trust.verify(fetch: TrustOptions.fetch(on: conn)) { sets in try saved.verify(validatorSet: sets) }
            }.map(Proof.verified) ?? .failed("no trust anchor")
        } catch {
            proof = .failed("\(error)")
        }
        return (outcome, proof)
    }

    /// A payload as text for a page: opened when sealed to this agency and the console holds its key.
    func show(_ payload: [UInt8]?, subject: SubjectKey?) -> String {
        QueryCommand.describe(payload, subject: subject, opener: opener)
    }
}

/// A request the console refuses, with the HTTP status and what to do.
package struct ConsoleError: Error, CustomStringConvertible {
    package let status: Int
    package let description: String
    package init(status: Int, _ description: String) {
        self.status = status
        self.description = description
    }
}
