import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityWire
import Foundation
import Logging
import ServiceLifecycle
@preconcurrency import Crypto

/// Anchors the audit trail on chain: every `period`, the disclosure records not yet anchored (older
/// than a second, so no insert still in flight is skipped) become one `anchorAuditBatch`
/// transaction of the indexer's agency carrying their Merkle root; once it commits, the records are
/// marked with the batch. Batches anchored but not marked (a crash between the two) are found on
/// chain and marked first.
package struct AuditAnchorer: Service {
    let store: IndexStore
    let proven: ProvenState
    let agency: AgencyID
    let keyID: KeyID
    let key: Curve25519.Signing.PrivateKey
    let validators: [HostPort]
    let client: WireClient
    let period: Duration
    let maxBatch: Int
    let logger: Logger

    package init(store: IndexStore, proven: ProvenState, agency: AgencyID, keyID: KeyID, key: Curve25519.Signing.PrivateKey,
                 validators: [HostPort], client: WireClient, period: Duration, maxBatch: Int = 10_000, logger: Logger) {
        self.store = store
        self.proven = proven
        self.agency = agency
        self.keyID = keyID
        self.key = key
        self.validators = validators
        self.client = client
        self.period = period
        self.maxBatch = maxBatch
        self.logger = logger
    }

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                if Task.isCancelled { return }
                do { try await cycle() } catch is CancellationError { return } catch {
                    logger.warning("audit anchoring failed; retrying next period", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One round: mark what the chain already anchored, then anchor the next batch. Returns the batch anchored, if any.
    @discardableResult
    package func cycle(now: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) async throws -> AuditAnchorEntry? {
        try await reconcile()
        let next = await proven.nextAuditSequence(agency: agency)
        let rows = try await store.unanchored(from: next ?? 0, before: now &- 1000, limit: maxBatch)
        guard let firstRow = rows.first, let lastRow = rows.last else { return nil }
        let first = next ?? firstRow.sequence
        let root = MerkleTree.root(leaves: rows.map(\.canonicalBytes))
        let body = TransactionBody(chainID: await proven.chainID, signer: Signer(agency: agency, keyID: keyID),
                                   nonce: UInt64.random(in: 1...UInt64.max), expiresAtHeight: await proven.height + 200,
                                   operation: .anchorAuditBatch(firstSequence: first, lastSequence: lastRow.sequence,
                                                                recordCount: UInt64(rows.count), merkleRoot: root))
        let tx = try SignedTransaction.sign(body, key: key)
        let status = try await submit(tx)
        guard case .committed(let c) = status else {
            throw IndexerError(.config, "the anchor transaction \(tx.id) did not commit: \(status)")
        }
        // Wait for the proven state to hold it, then mark the records.
        for _ in 0..<200 where await proven.height < c.height { try await Task.sleep(for: .milliseconds(25)) }
        try await store.markAnchored(rows.map(\.sequence), first: first, transaction: tx.id, height: c.height)
        logger.info("audit batch anchored", metadata: ["audit.first": "\(first)", "audit.last": "\(lastRow.sequence)",
                                                       "audit.count": "\(rows.count)", "block.height": "\(c.height)"])
        return await proven.proveAnchor(agency: agency, first: first).0
    }

    /// Marks batches the chain holds whose records are still unmarked.
    private func reconcile() async throws {
        guard let next = await proven.nextAuditSequence(agency: agency) else { return }
        var first = try await store.lastAnchoredSequence() + 1
        while first < next {
            let (entry, _) = await proven.proveAnchor(agency: agency, first: first)
            guard let entry else {
                // The trail's marks and the chain disagree at `first`; look further only from the chain's side.
                let rows = try await store.unanchored(first: first, last: next - 1)
                guard let s = rows.first?.sequence, s > first else { return }
                first = s
                continue
            }
            let rows = try await store.unanchored(first: entry.firstSequence, last: entry.lastSequence)
            guard MerkleTree.root(leaves: rows.map(\.canonicalBytes)) == entry.merkleRoot else {
                logger.critical("anchored audit batch does not match the stored records: the trail was edited",
                                metadata: ["audit.first": "\(entry.firstSequence)", "audit.last": "\(entry.lastSequence)"])
                return
            }
            try await store.markAnchored(rows.map(\.sequence), first: entry.firstSequence, transaction: entry.transactionID, height: entry.height)
            first = entry.lastSequence + 1
        }
    }

    private func submit(_ tx: SignedTransaction) async throws -> TxStatus {
        var lastError: any Error = IndexerError(.config, "no validator configured")
        for v in validators {
            do {
                return try await client.withConnection(host: v.host, port: v.port, expecting: .validator) { conn in
                    let r = try SubmitResponse(canonicalBytes: try await conn.request(ValidatorAPI.submit,
                                                                                    SubmitRequest(transaction: tx, waitMillis: 15_000).canonicalBytes,
                                                                                    timeout: .seconds(25)))
                    return r.status
                }
            } catch { lastError = error }
        }
        throw lastError
    }
}
