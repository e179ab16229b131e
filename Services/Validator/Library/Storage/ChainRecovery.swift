import CityEncoding
import CityLedger
import Logging

/// Rebuilds the ledger state at start (docs/STORAGE.md, "State at start"): from the newest
/// snapshot whose state root is the one the log's certified block at its height commits to,
/// else from genesis, then by replaying the log's blocks after it.
///
/// Transaction signatures of replayed blocks are not re-verified unless asked
/// (`verifyTransactionSignatures`). Every block in the log had its commit certificate verified
/// before it was appended, and replay verifies it again; the certificate signs the header, the
/// header commits to the transactions root, and replay checks the stored transactions against
/// that root. Validators precommit a block only after applying every one of its transactions
/// with its signatures checked (a proposal holding a refused transaction is not valid), so with
/// less than a third of the power faulty, an honest validator checked each signature before the
/// block could be certified. Ed25519 verification is most of the replay's cost, and it buys no
/// safety over the certificate. Without certificate verification nothing vouches for the
/// transactions, so their signatures are then always checked.
package enum ChainRecovery {
    /// What `rebuild` produced.
    package struct Outcome: Sendable {
        /// The state after the log's last block.
        package var state: LedgerState
        /// The log's last height, which `state` is at.
        package var lastHeight: UInt64
        /// The height of the snapshot the replay started from; nil when it started from genesis.
        package var snapshotHeight: UInt64?
    }

    /// Replays every block of `log` onto the genesis state (no snapshots): see the other
    /// `rebuild`. Kept for callers that hold no snapshot store.
    package static func rebuild(genesis: Genesis, log: BlockLog, verifyCertificates: Bool = true,
                                verifyTransactionSignatures: Bool = false) throws(BlockStoreError) -> (state: LedgerState, lastHeight: UInt64) {
        let outcome = try rebuild(genesis: genesis, log: log, snapshots: nil, verifyCertificates: verifyCertificates,
                                  verifyTransactionSignatures: verifyTransactionSignatures)
        return (outcome.state, outcome.lastHeight)
    }

    /// Starts from the newest snapshot in `snapshots` at or below the log's height that is whole,
    /// undamaged, on the certified chain (its root is the log's header's at that height, its entries
    /// hash to it, and, if `verifyCertificates`, that block's certificate verifies against the
    /// snapshot's validator set), else from `genesis`; snapshots that fail are skipped with a
    /// warning. Then applies the log's later blocks in order, checking for each its transactions
    /// root, its validator-set hash, (if `verifyCertificates`) its commit certificate against the
    /// set that signs its height, and that the resulting state root equals the header's. Throws
    /// `.invalidBlock` or `.stateRootMismatch` naming the height otherwise.
    /// `installed` is a state this process has just checked against the log's certified block
    /// at its height (state sync: `StateSyncCheck`); when it is still that block's, it is used as
    /// is instead of loading and checking the same snapshot file a second time.
    package static func rebuild(genesis: Genesis, log: BlockLog, snapshots: SnapshotStore?,
                                verifyCertificates: Bool = true, verifyTransactionSignatures: Bool = false,
                                installed: LedgerState? = nil,
                                logger: Logger = Logger(label: "citychain.recovery")) throws(BlockStoreError) -> Outcome {
        var state: LedgerState
        do { state = try LedgerState(genesis: genesis) } catch {
            throw BlockStoreError(.invalidBlock, height: 0, "the genesis is invalid (\(error)); start with the chain's genesis file")
        }
        guard log.chainID == state.chainID, log.genesisHash == state.genesisHash else {
            throw BlockStoreError(.invalidBlock, path: log.path, height: 0,
                                  "the log is for chain \"\(log.chainID)\" genesis \(log.genesisHash) but the genesis given is \"\(state.chainID)\" \(state.genesisHash); start with the chain's own genesis file")
        }
        var snapshotHeight: UInt64?
        if let installed, installed.chainID == state.chainID, installed.genesisHash == state.genesisHash,
           installed.height >= log.baseHeight, installed.height <= log.lastHeight,
           let certified = try? log.certifiedHeader(at: installed.height), certified.header.stateRoot == installed.stateRoot,
           installed.validatorSet(forHeight: installed.height)?.hash == certified.header.validatorSetHash {
            state = installed
            snapshotHeight = installed.height
        } else if let snapshots, let loaded = newestTrustedSnapshot(snapshots, log: log, verifyCertificates: verifyCertificates, logger: logger) {
            state = loaded
            snapshotHeight = loaded.height
        }
        if log.baseHeight > 0 && (snapshotHeight ?? 0) < log.baseHeight {
            throw BlockStoreError(.badSnapshot, path: log.path, height: log.baseHeight,
                                  "the log starts after block \(log.baseHeight) (state sync or pruning) but no usable snapshot at or above that height is in \(snapshots?.directory ?? "the data directory"): the state before it cannot be rebuilt here; move the data directory aside and start with --state-sync, or restore it from a backup")
        }
        let skipSignatures = verifyCertificates && !verifyTransactionSignatures
        var height = state.height + 1
        while height <= log.lastHeight {   // bounded by the log's height
            try replay(try log.record(at: height), onto: &state, path: log.path, verifyCertificates: verifyCertificates,
                       skipTransactionSignatures: skipSignatures)
            height += 1
        }
        logger.info("ledger state rebuilt", metadata: [
            "chain.height": "\(log.lastHeight)", "storage.snapshotHeight": "\(snapshotHeight.map(String.init) ?? "none")",
            "storage.replayedBlocks": "\(log.lastHeight - (snapshotHeight ?? 0))",
        ])
        return Outcome(state: state, lastHeight: log.lastHeight, snapshotHeight: snapshotHeight)
    }

    /// The state of the newest snapshot that passes `trustedState`, trying older ones after a failure.
    static func newestTrustedSnapshot(_ store: SnapshotStore, log: BlockLog, verifyCertificates: Bool,
                                      logger: Logger) -> LedgerState? {
        var below = log.lastHeight
        // Each pass tries a snapshot below the last one tried, so there are at most as many passes as files.
        for _ in store.heights.indices {
            guard let snapshot = store.newest(atOrBelow: below, refusal: { certifiedRefusal($0, log: log) }) else { return nil }
            precondition(snapshot.height <= below, "SnapshotStore.newest returned height \(snapshot.height) above \(below)")
            do { return try trustedState(snapshot, log: log, verifyCertificates: verifyCertificates) } catch {
                logger.warning("snapshot not used, trying an older one or genesis", metadata: [
                    "storage.path": "\(store.path(forHeight: snapshot.height))", "chain.height": "\(snapshot.height)",
                    "storage.reason": "\(error.detail)",
                ])
            }
            guard snapshot.height > 1 else { return nil }
            below = snapshot.height - 1
        }
        return nil
    }

    /// Why the snapshot with `header` is not on the chain `log` holds, or nil when its root is
    /// the one the log's block at its height commits to. Read before the snapshot's body.
    static func certifiedRefusal(_ header: SnapshotHeader, log: BlockLog) -> String? {
        let block: BlockHeader
        do { block = try log.certifiedHeader(at: header.height).header } catch {
            return "the log's block at height \(header.height) cannot be read (\(error.detail))"
        }
        guard block.stateRoot == header.stateRoot else {
            return "its state root \(header.stateRoot) is not \(block.stateRoot), the root the log's certified block \(header.height) commits to: it is from another chain or another build"
        }
        return nil
    }

    /// The state `snapshot` holds, once its entries are checked to hash to the root of the log's
    /// block at its height and that block's validator set (and certificate) is the snapshot's.
    static func trustedState(_ snapshot: LedgerSnapshot, log: BlockLog, verifyCertificates: Bool) throws(BlockStoreError) -> LedgerState {
        let h = snapshot.height
        func refused(_ why: String) -> BlockStoreError {
            BlockStoreError(.badSnapshot, height: h, "\(why); the snapshot is not used")
        }
        let (header, certificate) = try log.certifiedHeader(at: h)
        let state: LedgerState
        do { state = try LedgerState(snapshot: snapshot) } catch { throw refused("\(error)") }
        guard state.chainID == log.chainID, state.genesisHash == log.genesisHash, state.height == h,
              state.stateRoot == header.stateRoot else {
            throw refused("the snapshot's state (chain \"\(state.chainID)\", height \(state.height), root \(state.stateRoot)) is not the log's block \(h)")
        }
        // The state after block h holds the set that signed block h (changes due at h are promoted before its transactions).
        guard let set = state.validatorSet(forHeight: h), set.hash == header.validatorSetHash else {
            throw refused("the snapshot's validator set is not the one block \(h)'s header names, \(header.validatorSetHash)")
        }
        if verifyCertificates {
            do { try certificate.verify(header: header, validatorSet: set) } catch {
                throw refused("block \(h)'s commit certificate does not verify against the snapshot's validator set: \(error)")
            }
        }
        return state
    }

    /// Checks and applies one stored block to `state`; with `skipTransactionSignatures` (only
    /// when its certificate was verified) the Ed25519 checks of its transactions are skipped.
    static func replay(_ record: BlockRecord, onto state: inout LedgerState, path: String,
                       verifyCertificates: Bool, skipTransactionSignatures: Bool = false) throws(BlockStoreError) {
        let header = record.block.header
        let h = header.height
        func invalid(_ why: String) -> BlockStoreError {
            BlockStoreError(.invalidBlock, path: path, height: h,
                            "\(why); the stored block is not the chain this genesis leads to: restore the data directory from a backup or resync from peers")
        }
        do { try record.block.checkTransactionsRoot() } catch { throw invalid("\(error)") }
        guard let set = state.validatorSet(forHeight: h) else { throw invalid("no validator set is known for height \(h)") }
        guard set.hash == header.validatorSetHash else {
            throw invalid("header names validator set \(header.validatorSetHash) but the state says \(set.hash)")
        }
        if verifyCertificates {
            do { try record.certificate.verify(header: header, validatorSet: set) } catch { throw invalid("commit certificate: \(error)") }
        }
        // Transactions and evidence; certified blocks need no second Ed25519 pass (see rebuild).
        _ = state.applyBlock(record.block, signaturesVerified: { _ in skipTransactionSignatures }, committed: true)
        guard state.stateRoot == header.stateRoot else {
            throw BlockStoreError(.stateRootMismatch, path: path, height: h,
                                  "replaying block \(h) gives state root \(state.stateRoot) but its header says \(header.stateRoot); this build's state machine differs from the one that made the chain, or the genesis is not this chain's: run the matching build with the chain's genesis")
        }
    }
}
