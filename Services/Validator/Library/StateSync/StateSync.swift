import CityChainAPI
import CityEncoding
import CityLedger
import CityWire
import Foundation
import Logging

/// Starts a validator's (or observer's) data directory from a peer's snapshot (`StateSyncClient`
/// fetches and checks it): the snapshot is written as the node's own and a block log started
/// after its block (`BlockLogBase`). Block sync then takes the node to the head.
package struct StateSync: Sendable {
    package var client: StateSyncClient

    package init(client: WireClient, peers: [HostPort], genesis: Genesis, trust: StateSyncTrust, logger: Logger) {
        self.client = StateSyncClient(client: client, peers: peers, genesis: genesis, trust: trust, logger: logger)
    }

    /// Whether `dataDirectory` has no block log yet (state sync only ever fills an empty one).
    package static func isEmpty(dataDirectory: String) -> Bool {
        !FileManager.default.fileExists(atPath: dataDirectory + "/blocks.log")
    }

    /// Fills `dataDirectory` (which has no block log) and returns the state it installed (checked
    /// against the certified block at its height), which the node may start from as is.
    package func run(into dataDirectory: String) async throws -> LedgerState {
        let synced = try await client.fetch()
        let height = synced.block.height
        // The snapshot first, then the log: a crash in between leaves no log, so the next start
        // state-syncs again (the snapshot is rewritten).
        let snapshots = dataDirectory + "/snapshots"
        try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: true)
        try AtomicFile.write(synced.file, to: snapshots + "/" + SnapshotStore.fileName(forHeight: height))
        let log = try BlockLog.open(path: dataDirectory + "/blocks.log", chainID: client.genesis.chainID, genesisHash: client.genesis.hash,
                                    base: BlockLogBase(header: synced.block.block.header, certificate: synced.block.certificate),
                                    logger: client.logger)
        log.close()
        client.logger.notice("state sync: started from a snapshot; block sync takes it from here", metadata: ["chain.height": "\(height)"])
        return synced.state
    }
}
