import CityEncoding
import CityLedger

/// Rebuilds the ledger state at start (docs/STORAGE.md, "State at start"). Today by replay
/// from genesis: `LedgerState` has no snapshot API yet (it is coming on branch `ledger2`);
/// snapshots will shorten the replay to the blocks after the newest snapshot.
package enum ChainRecovery {
    /// Applies every block of `log` to the genesis state, in order, checking for each block its
    /// transactions root, its validator-set hash, (if `verifyCertificates`) its commit certificate
    /// against the set that signs its height, and that the resulting state root equals the
    /// header's. Throws `.invalidBlock` or `.stateRootMismatch` naming the height otherwise.
    package static func rebuild(genesis: Genesis, log: BlockLog,
                                verifyCertificates: Bool = true) throws(BlockStoreError) -> (state: LedgerState, lastHeight: UInt64) {
        var state: LedgerState
        do { state = try LedgerState(genesis: genesis) } catch {
            throw BlockStoreError(.invalidBlock, height: 0, "the genesis is invalid (\(error)); start with the chain's genesis file")
        }
        guard log.chainID == state.chainID, log.genesisHash == state.genesisHash else {
            throw BlockStoreError(.invalidBlock, path: log.path, height: 0,
                                  "the log is for chain \"\(log.chainID)\" genesis \(log.genesisHash) but the genesis given is \"\(state.chainID)\" \(state.genesisHash); start with the chain's own genesis file")
        }
        var height: UInt64 = 1
        while height <= log.lastHeight {   // bounded by the log's height
            try replay(try log.record(at: height), onto: &state, path: log.path, verifyCertificates: verifyCertificates)
            height += 1
        }
        return (state, log.lastHeight)
    }

    /// Checks and applies one stored block to `state`.
    static func replay(_ record: BlockRecord, onto state: inout LedgerState, path: String,
                       verifyCertificates: Bool) throws(BlockStoreError) {
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
        _ = state.applyBlock(record.block)   // transactions and evidence
        guard state.stateRoot == header.stateRoot else {
            throw BlockStoreError(.stateRootMismatch, path: path, height: h,
                                  "replaying block \(h) gives state root \(state.stateRoot) but its header says \(header.stateRoot); this build's state machine differs from the one that made the chain, or the genesis is not this chain's: run the matching build with the chain's genesis")
        }
    }
}
