import CityChainAPI
import CityEncoding
import CityPKI
import CityWire
import Logging

extension ServiceNode {
    /// The agent that registers this node with the registries of `--registry` (nil when the option
    /// is omitted). It advertises `--advertise`, or the listen address with the bound port.
    package func registryAgent(options: NodeOptions, tls: TLSIdentity, nodeKey: [UInt8] = [],
                               detail: String = "citychain \(CityChainVersion.current)", logger: Logger) throws -> RegistryAgent? {
        let registries = try options.registryAddresses()
        guard !registries.isEmpty else { return nil }
        return try registryAgent(registries: registries, leaseMillis: try options.registryLeaseMillis(), tls: tls, nodeKey: nodeKey,
                                 detail: detail, logger: logger) { boundPort in try options.advertiseAddress(boundPort: boundPort) }
    }

    /// The agent that registers this node with `registries`, advertising what `address` makes of
    /// the port the server bound (for services with their own flags, e.g. the validator).
    package func registryAgent(registries: [HostPort], leaseMillis: UInt64, tls: TLSIdentity, nodeKey: [UInt8] = [],
                               detail: String = "citychain \(CityChainVersion.current)", logger: Logger,
                               address: @escaping @Sendable (_ boundPort: Int) throws -> HostPort) throws -> RegistryAgent {
        let registration = try RegistryAgent.Registration(identity: identity, nodeKey: nodeKey, detail: detail, leaseMillis: leaseMillis)
        let client = try WireClient(tls: TLSSetup.client(tls), logger: logger)
        let server = self.server
        let agent = RegistryAgent(registries: registries, client: client, registration: registration, advertise: {
            let bound = try await server.listeningAddress
            return try address(bound.port ?? 0)
        }, logger: logger)
        // After a SIGHUP reload the agent's new connections present the new certificate, and its
        // entry gets the new fingerprint (no restart needed).
        ops.reloads(client)
        ops.onReload { [agent] tls in
            if let leaf = tls.certificateChain.first, let id = try? PeerIdentity(certificate: leaf), let fp = Hash32(hex: id.fingerprint) {
                agent.certificateChanged(fingerprint: fp)
            }
        }
        return agent
    }
}
