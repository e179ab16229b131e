import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
import ServiceLifecycle

/// Holds a test chain and serves it the way a validator does, over real mutual TLS: `validator.status`,
/// the commit stream (`validator.commits`, from a height, then live), block sync (`validator.blocks`) and `validator.submit` (each
/// submitted transaction becomes the next certified block at once). `tamper` rewrites outgoing
/// blocks, to play a validator that sends forged ones.
actor ChainHolder {
    var chain: IndexerChain { didSet { heights.announce(chain.height) } }
    /// Wakes the commit streams when a block is added.
    nonisolated let heights = HeightWatchers()
    init(_ chain: IndexerChain) { self.chain = chain }

    var height: UInt64 { chain.height }
    func blocks(from: UInt64, max: Int) -> [CertifiedBlock] {
        guard from >= 1, from <= chain.height else { return [] }
        return Array(chain.blocks[Int(from - 1)..<min(chain.blocks.count, Int(from - 1) + max)])
    }
    func edit(_ body: (inout IndexerChain) -> Void) { body(&chain) }
    /// Each commit stream asked for: by which role, from which height.
    private(set) var commitStreams: [(role: Role, from: UInt64)] = []
    func noteCommitStream(role: Role, from: UInt64) { commitStreams.append((role, from)) }
    func submit(_ tx: SignedTransaction) -> TxStatus {
        if let i = chain.blocks.firstIndex(where: { $0.block.transactions.contains { $0.id == tx.id } }) {
            return .committed(TxCommit(height: UInt64(i + 1), index: 0, blockHash: chain.blocks[i].block.header.hash))
        }
        var probe = chain.state
        if case .failure(let r) = probe.applyBlock([tx], height: chain.height + 1)[0].result { return .rejected(r) }
        let cb = chain.block([tx])
        return .committed(TxCommit(height: cb.height, index: 0, blockHash: cb.block.header.hash))
    }
}

final class ChainServer: Sendable {
    let holder: ChainHolder
    let server: WireServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    init(holder: ChainHolder, ca: CertificateAuthority, name: String = "validator-test",
         tamper: (@Sendable (CertifiedBlock) -> CertifiedBlock)? = nil, logger: Logger) async throws {
        self.holder = holder
        var r = WireRouter()
        r.unary(ValidatorAPI.status, allowedRoles: { _ in true }) { _ in
            let h = await holder.height
            let last = await holder.blocks(from: h, max: 1).first
            return ValidatorStatus(name: name, chainID: F.chainID, height: h, lastBlockHash: last?.block.header.hash ?? F.genesis.hash,
                                   lastBlockTimeMillis: last?.block.header.timeMillis ?? 0, consensusHeight: h + 1, round: 0, step: 0,
                                   voting: true, validatorSetHash: .zero, mempoolCount: 0, mempoolBytes: 0, peers: 3,
                                   evidenceSeen: 0).canonicalBytes
        }
        r.unary(ValidatorAPI.submit, allowedRoles: { _ in true }) { req in
            let q = try req.decode(SubmitRequest.self)
            return SubmitResponse(id: q.transaction.id, status: await holder.submit(q.transaction)).canonicalBytes
        }
        r.unary(ValidatorAPI.blocks, allowedRoles: { _ in true }) { req in
            let q = try req.decode(BlocksRequest.self)
            return BlocksResponse(latestHeight: await holder.height, blocks: await holder.blocks(from: q.from, max: Int(q.maxCount))).canonicalBytes
        }
        r.stream(ValidatorAPI.commits, allowedRoles: { _ in true }) { req, writer in
            var next = try req.decode(CommitsRequest.self).from
            await holder.noteCommitStream(role: req.peer.role, from: next)
            let (watcher, added) = holder.heights.watch()
            defer { holder.heights.unwatch(watcher) }
            var wake = added.makeAsyncIterator()
            while !Task.isCancelled {
                let batch = await holder.blocks(from: next, max: 64)
                if batch.isEmpty { if await wake.next() == nil { return }; continue }
                for cb in batch {
                    try await writer.send((tamper?(cb) ?? cb).canonicalBytes)
                    next = cb.height + 1
                }
            }
        }
        let tls = try TLSIdentity(issued: ca.issue(role: .validator, name: name))
        server = WireServer(host: "127.0.0.1", port: 0, tls: TLSSetup.server(tls), router: r, logger: logger)
        group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logger)
        let g = group
        task = Task { try await g.run() }
        port = try await server.listeningAddress.port!
    }

    var address: HostPort { HostPort(host: "127.0.0.1", port: port) }

    /// `chain` served as a validator serves it, under a fresh city CA: where most indexer tests start.
    static func serve(_ chain: IndexerChain) async throws -> (ChainHolder, CertificateAuthority, ChainServer) {
        let holder = ChainHolder(chain)
        let ca = try CertificateAuthority.create()
        return (holder, ca, try await ChainServer(holder: holder, ca: ca, logger: testLogger))
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
