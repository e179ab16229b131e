import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging
import ServiceLifecycle

/// The published part of the bench chain: the blocks a validator has committed so far. `publish`
/// wakes every commit stream waiting for a new block at once (no polling: the lag figures measure
/// the indexer, not this feed).
actor IndexBenchBlocks {
    private let chain: IndexBenchChain
    private(set) var height: UInt64
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ chain: IndexBenchChain, published: UInt64) {
        self.chain = chain
        height = published
    }

    /// Publishes the next prebuilt block; returns its height.
    func publishNext() -> UInt64 {
        precondition(Int(height) < chain.blocks.count, "no prebuilt block left to publish")
        height += 1
        for w in waiters { w.resume() }
        waiters.removeAll()
        return height
    }

    /// Encoded blocks `from…` (at most `max`), published ones only.
    func encoded(from: UInt64, max: Int) -> [(UInt64, [UInt8])] {
        guard from >= 1, from <= height else { return [] }
        let end = min(Int(height), Int(from - 1) + max)
        return (Int(from - 1)..<end).map { (UInt64($0 + 1), chain.encoded[$0]) }
    }

    /// The last published header (nil at genesis).
    var last: BlockHeader? { height == 0 ? nil : chain.blocks[Int(height - 1)].block.header }

    /// Returns once a block above `h` is published, or when the task is cancelled.
    func waitAbove(_ h: UInt64) async {
        while height <= h, !Task.isCancelled {
            await withTaskCancellationHandler {
                await withCheckedContinuation { c in if Task.isCancelled { c.resume() } else { waiters.append(c) } }
            } onCancel: {
                Task { await self.wakeAll() }
            }
        }
    }

    private func wakeAll() {
        for w in waiters { w.resume() }
        waiters.removeAll()
    }
}

/// A validator as far as an indexer can tell, over real mutual TLS: `validator.status` and the
/// commit stream (`validator.commits`, from a height, then live), serving `IndexBenchBlocks`.
/// Like the indexer tests' ChainServer.
final class IndexBenchFeed: Sendable {
    let blocks: IndexBenchBlocks
    let server: WireServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    init(blocks: IndexBenchBlocks, genesis: Genesis, ca: CertificateAuthority, logger: Logger) async throws {
        self.blocks = blocks
        let name = "validator-bench"
        let chainID = genesis.chainID
        let genesisHash = genesis.hash
        var r = WireRouter()
        r.unary(ValidatorAPI.status, allowedRoles: { _ in true }) { _ in
            let h = await blocks.height
            let last = await blocks.last
            return ValidatorStatus(name: name, chainID: chainID, height: h, lastBlockHash: last?.hash ?? genesisHash,
                                   lastBlockTimeMillis: last?.timeMillis ?? 0, consensusHeight: h + 1, round: 0, step: 0,
                                   voting: true, validatorSetHash: .zero, mempoolCount: 0, mempoolBytes: 0, peers: 3,
                                   evidenceSeen: 0).canonicalBytes
        }
        r.stream(ValidatorAPI.commits, allowedRoles: { _ in true }) { req, writer in
            var next = max(1, try req.decode(CommitsRequest.self).from)
            while !Task.isCancelled {
                let batch = await blocks.encoded(from: next, max: 64)
                if batch.isEmpty {
                    await blocks.waitAbove(next - 1)
                    continue
                }
                for (h, bytes) in batch {
                    try await writer.send(bytes)
                    next = h + 1
                }
            }
        }
        var configuration = WireConfiguration()
        configuration.shutdownGracePeriod = .milliseconds(500)
        let tls = try TLSIdentity(issued: ca.issue(role: .validator, name: name))
        server = WireServer(host: "127.0.0.1", port: 0, tls: TLSSetup.server(tls), router: r, configuration: configuration, logger: logger)
        group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logger)
        let g = group
        task = Task { try await g.run() }
        port = try await server.listeningAddress.port!
    }

    var address: HostPort { HostPort(host: "127.0.0.1", port: port) }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
