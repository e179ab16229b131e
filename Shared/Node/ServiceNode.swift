import CityOps
import CityPKI
import CityWire
import Foundation
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// A service process: its TLS identity (whose role must match the service), a wire server with
/// the service's routes plus `node.info`, run in a ServiceGroup that shuts down gracefully on
/// SIGTERM or SIGINT.
package struct ServiceNode: Sendable {
    /// The role this service's certificate must carry.
    package let role: Role
    /// The service's certificate identity (role and name).
    package let identity: PeerIdentity
    /// The wire server.
    package let server: WireServer
    /// The ops endpoints, readiness checks and certificate reload (docs/METRICS.md).
    package let ops = NodeOps()
    private let logger: Logger

    /// Loads the identity, checks its role, and builds the server with `routes` plus `node.info`.
    package init(role: Role, host: String, port: Int, identityFiles: TLSIdentityFiles, routes: WireRouter = WireRouter(),
                 configuration: WireConfiguration = WireConfiguration(), logger: Logger) throws {
        let tls = try TLSIdentity(files: identityFiles)
        try self.init(role: role, host: host, port: port, tls: tls, routes: routes, configuration: configuration, logger: logger)
    }

    /// Builds the node from an identity already loaded.
    package init(role: Role, host: String, port: Int, tls: TLSIdentity, routes: WireRouter = WireRouter(),
                 configuration: WireConfiguration = WireConfiguration(), revocations: CertificateRevocations = CertificateRevocations(),
                 logger: Logger) throws {
        let identity = try PeerIdentity(certificate: tls.certificateChain[0])
        guard identity.role == role else {
            throw PKIError(.invalidRole, "the certificate is for \(identity.role) '\(identity.name)' but this is the \(role) service; issue one with 'citychain pki issue --role \(role) --name NAME'")
        }
        var router = routes
        let started = ContinuousClock.now
        let service = "\(role)"
        let name = identity.name
        let kinds = ([NodeInfo.kind] + routes.kinds).map(\.rawValue).sorted()
        router.unary(NodeInfo.kind, allowedRoles: { _ in true }) { _ in
            let uptime = ContinuousClock.now - started
            let millis = UInt64(uptime.components.seconds) * 1000 + UInt64(uptime.components.attoseconds / 1_000_000_000_000_000)
            return NodeInfo(service: service, name: name, version: CityChainVersion.current, uptimeMillis: millis,
                            kinds: kinds).canonicalBytes
        }
        self.role = role
        self.identity = identity
        self.logger = logger
        server = WireServer(host: host, port: port, tls: TLSSetup.server(tls), router: router,
                            configuration: configuration, revocations: revocations, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then drains in-flight requests and stops. `services` run
    /// in the same group (started after the server, stopped before it); if one fails, the group
    /// stops and the error is thrown. With `ops` configured, the ops server starts first and stops
    /// last, /readyz answers 503 from the moment shutdown begins, and SIGHUP reloads the certificate.
    package func run(alongside services: [any Service] = []) async throws {
        var first: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let listen = ops.listen {
            let server = self.server
            let registry = OpsBootstrap.registry ?? PrometheusCollectorRegistry()
            first.append(.init(service: OpsServer(host: listen.host, port: listen.port, registry: registry, state: ops.state,
                                                  healthy: { server.servingProblem }, logger: logger)))
        }
        if let files = ops.identityFiles {
            let ops = self.ops
            first.append(.init(service: CertificateReloader(files: files, role: role, name: identity.name, server: server,
                                                            clients: { ops.clients },
                                                            reloaded: { tls in for h in ops.reloadHandlers { h(tls) } }, logger: logger),
                               successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let all: [ServiceGroupConfiguration.ServiceConfiguration] = first + [.init(service: server)]
            + services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                                   failureTerminationBehavior: .gracefullyShutdownGroup) }
            + [.init(service: DrainMarker(state: ops.state), successTerminationBehavior: .gracefullyShutdownGroup)]
        let group = ServiceGroup(configuration: .init(services: all, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Runs a service executable: parses nothing itself, builds the node from `options` and serves.
    package static func main(role: Role, options: NodeOptions, routes: WireRouter = WireRouter()) async throws {
        try options.bootstrapOps(role: role)
        var logger = Logger(label: "citychain.\(role)")
        logger.logLevel = try options.level()
        let (host, port) = try options.listenAddress()
        let tls = try TLSIdentity(files: options.identityFiles)
        let node = try ServiceNode(role: role, host: host, port: port, tls: tls, routes: routes,
                                   configuration: try options.wireConfiguration(), logger: logger)
        logger[metadataKey: "node.name"] = "\(node.identity.name)"
        try node.configureOps(options: options)
        let agent = try node.registryAgent(options: options, tls: tls, logger: logger)
        try await node.run(alongside: agent.map { [$0] } ?? [])
    }
}

extension ServiceNode {
    /// Applies `--ops-listen` and the identity files (for SIGHUP) of `options`.
    package func configureOps(options: NodeOptions) throws {
        ops.configure(listen: try options.opsAddress(), identityFiles: options.identityFiles)
    }
}

extension NodeOptions {
    /// The process-wide logging and metrics backends for `--log-format` (once per process; call
    /// it first in a service's main path, before any Logger exists).
    package func bootstrapOps(role: Role) throws {
        OpsBootstrap.bootstrap(logFormat: try format(), service: "\(role)", version: CityChainVersion.current)
    }
}

/// What every service's `run` starts from (`NodeOptions.start(role:)`): the process's logger at
/// the configured level, its listen address and its TLS identity.
package struct ServiceStart {
    package var logger: Logger
    package let host: String
    package let port: Int
    package let tls: TLSIdentity
    /// The wire server's limits (`--frame-read-timeout-seconds`, `--max-connections…`).
    package let wire: WireConfiguration
}

extension NodeOptions {
    /// Bootstraps logging and metrics for `role` (first, before any Logger exists), then reads the
    /// log level, the listen address and the TLS identity, each with an error that names its option.
    package func start(role: Role) throws -> ServiceStart {
        try bootstrapOps(role: role)
        var logger = Logger(label: "citychain.\(role)")
        logger.logLevel = try level()
        let (host, port) = try listenAddress()
        return ServiceStart(logger: logger, host: host, port: port, tls: try TLSIdentity(files: identityFiles),
                            wire: try wireConfiguration())
    }
}
