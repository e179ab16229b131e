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

    /// Builds it from flags over the config file.
    static func make(options o: ValidatorCommand, file: ValidatorConfig, logger: Logger) throws -> ValidatorRuntime {
        let listen = o.listen ?? file.listen ?? "127.0.0.1:0"
        guard let (host, port) = ValidatorEngine.split(listen) ?? (listen.hasSuffix(":0") ? (String(listen.dropLast(2)), 0) : nil) else {
            throw ConfigError("listen '\(listen)' must be HOST:PORT, e.g. 127.0.0.1:7101")
        }
        let files = TLSIdentityFiles(certificatePath: try o.required(o.cert, file.cert, "the certificate", key: "cert"),
                                     privateKeyPath: try o.required(o.key, file.key, "the private key", key: "key"),
                                     caCertificatePath: try o.required(o.ca, file.ca, "the CA certificate", key: "ca"))
        let genesisPath = try o.required(o.genesis, file.genesis, "the genesis file", key: "genesis")
        let genesis: Genesis
        do { genesis = try Genesis.fromJSON(Data(contentsOf: URL(fileURLWithPath: genesisPath))) } catch {
            throw ConfigError("genesis: cannot use \(genesisPath): \(error)")
        }
        let signer: Ed25519Signer? = try (o.validatorKey ?? file.validatorKey).map { path in
            let k = try KeyFile.load(path, expecting: .signing)
            return Ed25519Signer(try Curve25519.Signing.PrivateKey(rawRepresentation: k.privateKeyBytes))
        }
        var policy = try file.blockPolicy()
        if let ms = o.blockIntervalMs {
            policy = BlockPolicy(maxTransactionsPerBlock: policy.maxTransactionsPerBlock, maxBlockBytes: policy.maxBlockBytes,
                                 blockIntervalMillis: ms, heartbeatIntervalMillis: max(ms, policy.heartbeatIntervalMillis),
                                 maxClockDriftMillis: policy.maxClockDriftMillis)
        }
        let tls = try TLSIdentity(files: files)
        let name = try PeerIdentity(certificate: tls.certificateChain[0]).name
        let advertise = o.advertise ?? file.advertise ?? (port == 0 ? "" : listen)
        var settings = ValidatorSettings(name: name, advertise: advertise, peers: o.peers.isEmpty ? (file.peers ?? []) : o.peers,
                                         policy: policy, mempool: try file.mempoolLimits(),
                                         consensus: try file.consensusConfig(chainID: genesis.chainID))
        settings.maxGossipQueueItems = 16_384
        if let problem = settings.problem() { throw ConfigError(problem) }
        return try assemble(settings: settings, genesis: genesis, dataDirectory: try o.required(o.dataDir, file.dataDir, "the data directory", key: "dataDir"),
                            signer: signer, tls: tls, host: host, port: port, logger: logger)
    }

    /// Wires the parts together (tests call this directly with in-process certificates).
    package static func assemble(settings: ValidatorSettings, genesis: Genesis, dataDirectory: String, signer: (any ConsensusSigner)?,
                                 tls: TLSIdentity, host: String, port: Int, wire: WireConfiguration = WireConfiguration(),
                                 logger: Logger) throws -> ValidatorRuntime {
        let hub = GossipHub(maxQueuedItems: settings.maxGossipQueueItems)
        let (commands, input) = AsyncStream.makeStream(of: EngineCommand.self, bufferingPolicy: .unbounded)
        let validator = try ValidatorNode(settings: settings, genesis: genesis, dataDirectory: dataDirectory, signer: signer,
                                          hub: hub, commands: input, logger: logger)
        let routes = ValidatorRoutes.router(node: validator, hub: hub, commands: input, logger: logger)
        let server = try ServiceNode(role: .validator, host: host, port: port, tls: tls, routes: routes, configuration: wire,
                                     logger: logger)
        let client = try WireClient(tls: TLSSetup.client(tls), logger: logger)
        server.ops.reloads(client)
        server.ops.addCheck("consensus") { await validator.readinessProblem() }
        server.ops.addRefresher { await ValidatorMetrics.refresh(validator) }
        let engine = ValidatorEngine(node: validator, settings: settings, commands: commands, commandInput: input,
                                     client: client, logger: logger)
        return ValidatorRuntime(node: server, engine: engine)
    }
}
