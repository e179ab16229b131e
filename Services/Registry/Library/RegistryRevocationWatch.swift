import CityChainAPI
import CityLedger
import CityPKI
import CityWire
import Logging
import ServiceLifecycle
import Synchronization

/// The registry's view of the certificates revoked on chain (issue 17 item 3): the registry does
/// not follow the chain itself, so it asks an indexer of its own directory for its proven starting
/// state (`indexer.startingState`) every `interval`, checks it against the genesis (the
/// validator-set changes since it, then the answer's certified header and the state proof of the
/// revoked list) and hands the list to the wire server's `CertificateRevocations`: a revoked
/// certificate is refused at the handshake and its open connections (watches) end. Nothing an
/// indexer says is taken unchecked; an answer that does not verify is logged and the next indexer
/// asked. The registry so learns a revocation within `interval` of its indexers indexing it.
package struct RegistryRevocationWatch: Service {
    /// How far the watch has checked the chain's list.
    package final class Progress: Sendable {
        private let state = Mutex<(height: UInt64, revoked: Int)>((0, 0))
        /// The height of the last verified answer, and how many certificates it revoked.
        package var current: (height: UInt64, revoked: Int) { state.withLock { $0 } }
        func record(height: UInt64, revoked: Int) { state.withLock { $0 = (max($0.height, height), revoked) } }
    }

    let genesis: Genesis
    let client: WireClient
    let revocations: CertificateRevocations
    /// The indexers to ask, in the order to try them (the registry's own live entries).
    let indexers: @Sendable () async -> [HostPort]
    let interval: Duration
    let logger: Logger
    package let progress = Progress()

    package init(genesis: Genesis, client: WireClient, revocations: CertificateRevocations, indexers: @escaping @Sendable () async -> [HostPort],
                 interval: Duration = .seconds(1), logger: Logger) {
        self.genesis = genesis
        self.client = client
        self.revocations = revocations
        self.indexers = indexers
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        let genesisSets = try TrustedValidatorSets(genesis: genesis)
        try? await cancelWhenGracefulShutdown {
            var sets = genesisSets
            var turn = 0
            var reported = false
            while !Task.isCancelled {
                let candidates = await indexers()
                if !candidates.isEmpty {
                    let address = candidates[turn % candidates.count]
                    turn += 1
                    do {
                        try await client.withConnection(host: address.host, port: address.port, expecting: .indexer) { conn in
                            while !Task.isCancelled {
                                try await sets.refresh { q in
                                    try ValidatorChangesAnswer(canonicalBytes: try await conn.request(IndexerAPI.validatorChanges, q.canonicalBytes, timeout: .seconds(10)))
                                }
                                let answer = try StartingStateAnswer(canonicalBytes: try await conn.request(IndexerAPI.startingState, [], timeout: .seconds(10)))
                                try answer.verify(validatorSet: sets)
                                revocations.revoke(answer.revoked)
                                progress.record(height: answer.at.height, revoked: answer.revoked.entries.count)
                                if reported {
                                    logger.info("revoked certificates followed again", metadata: ["indexer": "\(address)", "height": "\(answer.at.height)"])
                                    reported = false
                                }
                                try await Task.sleep(for: interval)   // the poll's period
                            }
                        }
                    } catch {
                        if !reported && !Task.isCancelled {
                            logger.warning("cannot learn the certificates revoked on chain from this indexer; trying the next one",
                                           metadata: ["indexer": "\(address)", "error": "\(error)"])
                            reported = true
                        }
                    }
                }
                guard (try? await Task.sleep(for: interval)) != nil else { return }   // no indexer registered, or it failed: wait a period
            }
        }
    }
}
