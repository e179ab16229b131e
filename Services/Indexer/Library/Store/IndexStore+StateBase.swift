import CityChainAPI
import CityEncoding
import CityLedger
import CityPostgres
import Logging
import PostgresNIO

/// An index started from a validator's snapshot (`citychain-indexer --state-sync`, issue 18 item
/// 1): the head starts at the snapshot's block, the small tables are filled from its state, and
/// the snapshot file and its certified block are kept (`citychain.state_base`) so the proven state
/// is rebuilt from them at every start, not from genesis. Transactions before that block are not
/// in this index: a record written before it is proven from the state, its transaction fetched
/// from a validator that keeps the block (`Prehistory`).
extension IndexStore {
    /// Bytes of one stored part of the snapshot file.
    static let stateBasePartBytes = 8 << 20

    /// Whether nothing is indexed yet (no head row): the only time state sync may seed the index.
    package func isFresh() async throws -> Bool {
        let rows = try await client.query("SELECT count(*) FROM citychain.index_head", logger: logger)
        for try await n in rows.decode(Int64.self) { return n == 0 }
        return true
    }

    /// Seeds a fresh index with `synced`: the head at its block, the agencies, datasets and grants
    /// of its state, and the snapshot kept. In one transaction under the head's lock; a database
    /// that gained a head meanwhile (another indexer) is left as it is (false).
    @discardableResult
    package func seed(from synced: SyncedState, genesis: Genesis) async throws -> Bool {
        let state = synced.state, header = synced.block.block.header
        let tracker = ChainTracker(chainID: genesis.chainID, height: header.height, lastHash: header.hash,
                                   validatorSet: state.currentValidatorSet, pending: state.pendingValidatorChanges)
        let found = state.discoverEntries()
        // The small tables as the chain's own changes would fill them.
        let changes: [IndexPlan.Change] = found.agencies.map { a in
            .agency(id: a.id, name: a.name, isAdmin: a.isAdmin, height: a.keys.map(\.addedAtHeight).min() ?? 0)
        } + found.datasets.map { d in
            .dataset(id: d.id, owner: d.owner, sensitivity: d.sensitivity, schema: d.schema, writers: d.writers, height: d.createdAtHeight)
        } + found.grants.map { d, grantee, g in
            .grant(dataset: d, grantee: grantee, expiresAtHeight: g.expiresAtHeight, expiresAtMillis: g.expiresAtMillis, purpose: g.purpose,
                   height: g.grantedAtHeight)
        }
        let file = synced.file
        let seeded = try await client.guardedTransaction("seeding the index from a snapshot", logger: logger) { [logger] c -> Bool in
            try await c.query("SELECT pg_advisory_xact_lock(7243002)", logger: logger)
            let rows = try await c.query("SELECT count(*) FROM citychain.index_head", logger: logger)
            for try await n in rows.decode(Int64.self) where n > 0 { return false }
            try await c.query("""
                INSERT INTO citychain.index_head (id, chain_id, genesis_hash, height, block_hash, tracker)
                VALUES (1, \(genesis.chainID), \(Self.buffer(genesis.hash.bytes)), \(Int64(header.height)), \(Self.buffer(header.hash.bytes)),
                        \(Self.buffer(tracker.canonicalBytes)))
                """, logger: logger)
            for change in changes { try await Self.apply(change, on: c, logger: logger) }
            try await c.query("INSERT INTO citychain.state_base (part, bytes) VALUES (-1, \(Self.buffer(synced.block.canonicalBytes)))", logger: logger)
            var part = 0, at = 0
            while at < file.count {   // ⌈file ÷ 8 MiB⌉ rows
                let end = min(file.count, at + Self.stateBasePartBytes)
                try await c.query("INSERT INTO citychain.state_base (part, bytes) VALUES (\(Int32(part)), \(Self.buffer(Array(file[at..<end]))))",
                                  logger: logger)
                part += 1
                at = end
            }
            return true
        }
        guard seeded else { return false }
        logger.notice("index seeded from a snapshot: transactions before it are not in this index", metadata: [
            "chain.height": "\(header.height)", "index.agencies": "\(found.agencies.count)", "index.datasets": "\(found.datasets.count)",
            "index.grants": "\(found.grants.count)", "storage.snapshotBytes": "\(file.count)",
        ])
        return true
    }

    /// The state and certified block the index started from, when it was seeded from a snapshot.
    package func stateBase() async throws -> (state: LedgerState, block: CertifiedBlock)? {
        var block: CertifiedBlock?
        var file: [UInt8] = []
        let rows = try await client.query("SELECT part, bytes FROM citychain.state_base ORDER BY part", logger: logger)
        for try await (part, bytes) in rows.decode((Int32, ByteBuffer).self) {
            if part < 0 { block = try Self.decode(bytes, "state base block") } else { file += Array(buffer: bytes) }
        }
        guard let block else { return nil }
        let state: LedgerState
        do { state = try LedgerState(snapshot: try SnapshotFile.decode(file, path: "citychain.state_base")) } catch {
            throw IndexerError(.database, "the snapshot this index started from does not load (\(error)); reindex into a fresh database")
        }
        guard state.height == block.height, state.stateRoot == block.block.header.stateRoot else {
            throw IndexerError(.database, "the snapshot this index started from is not the state of its block \(block.height); reindex into a fresh database")
        }
        return (state, block)
    }
}
