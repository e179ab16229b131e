import CityChainAPI
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
        let registration = try RegistryAgent.Registration(identity: identity, nodeKey: nodeKey, detail: detail,
                                                          leaseMillis: try options.registryLeaseMillis())
        let client = try WireClient(tls: TLSSetup.client(tls), logger: logger)
        let server = self.server
        return RegistryAgent(registries: registries, client: client, registration: registration, advertise: {
            let bound = try await server.listeningAddress
            return try options.advertiseAddress(boundPort: bound.port ?? 0)
        }, logger: logger)
    }
}
