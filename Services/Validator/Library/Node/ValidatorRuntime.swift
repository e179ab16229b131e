import ArgumentParser
import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
@preconcurrency import Crypto

/// A validator process assembled from its settings: the node (chain, consensus, mempool), the
/// engine (timers, gossip, sync) and the wire server with the validator's routes.
package struct ValidatorRuntime: Sendable {
    /// The wire server and identity.
    package let node: ServiceNode
    /// The engine around the validator node.
    package let engine: ValidatorEngine

    /// Builds it from the command's flags (the config file and environment filled them in).
    static func make(options o: ValidatorCommand, installed: LedgerState? = nil, logger: Logger) throws -> ValidatorRuntime {
        let (host, port) = try o.node.listenAddress()
        let genesis = try Genesis.load(path: o.genesis)
        let signer: Ed25519Signer? = try o.validatorKey.map { path in
            let k = try KeyFile.load(path, expecting: .signing)
            return Ed25519Signer(try Curve25519.Signing.PrivateKey(rawRepresentation: k.privateKeyBytes))
        }
        let tls = try TLSIdentity(files: o.node.identityFiles)
        let name = try PeerIdentity(certificate: tls.certificateChain[0]).name
        let advertise = o.node.advertise ?? (port == 0 ? "" : o.node.listen)
        var settings = ValidatorSettings(name: name, advertise: advertise, peers: o.peers, policy: try o.tuning.blockPolicy(),
                                         mempool: try o.tuning.mempoolLimits(), consensus: try o.tuning.consensusConfig(chainID: genesis.chainID))
        settings.maxGossipQueueItems = 16_384
        settings.signRecordLost = o.signRecordLost
        settings.readyMaxLagBlocks = o.tuning.readyMaxLagBlocks
        settings.snapshotEveryBlocks = o.tuning.snapshotEveryBlocks
        settings.retainBlocks = o.tuning.retainBlocks
        if let problem = settings.problem() { throw ValidationError(problem) }
        return try assemble(settings: settings, genesis: genesis, dataDirectory: o.dataDir, signer: signer, tls: tls, host: host, port: port,
                            wire: try o.node.wireConfiguration(), installed: installed, logger: logger)
    }

    /// Wires the parts together (tests call this directly with in-process certificates).
    package static func assemble(settings: ValidatorSettings, genesis: Genesis, dataDirectory: String, signer: (any ConsensusSigner)?,
                                 tls: TLSIdentity, host: String, port: Int, wire: WireConfiguration = WireConfiguration(),
                                 installed: LedgerState? = nil, logger: Logger) throws -> ValidatorRuntime {
        let hub = GossipHub(maxQueuedItems: settings.maxGossipQueueItems)
        let (commands, input) = AsyncStream.makeStream(of: EngineCommand.self, bufferingPolicy: .unbounded)
        let validator = try ValidatorNode(settings: settings, genesis: genesis, dataDirectory: dataDirectory, signer: signer,
                                          hub: hub, commands: input, logger: logger, installed: installed)
        let routes = ValidatorRoutes.router(node: validator, hub: hub, commands: input, logger: logger)
        let server = try ServiceNode(role: .validator, host: host, port: port, tls: tls, routes: routes, configuration: wire,
                                     revocations: validator.revocations, logger: logger)
        let client = try WireClient(tls: TLSSetup.client(tls), revocations: validator.revocations, logger: logger)
        server.ops.reloads(client)
        server.ops.addCheck("consensus") { await validator.readinessProblem() }
        server.ops.addRefresher { await ValidatorMetrics.refresh(validator) }
        let engine = ValidatorEngine(node: validator, settings: settings, commands: commands, commandInput: input,
                                     client: client, logger: logger)
        return ValidatorRuntime(node: server, engine: engine)
    }
}
