import ArgumentParser
import CityNode
import CityPKI
import CityWire
import Logging
@preconcurrency import Crypto

extension ValidatorCommand {
    /// The agent registering this validator (`--registry`), with its consensus public key as the
    /// node key when it votes; it advertises `advertise` (flag or config), else the listen address
    /// with the bound port. Nil without `--registry`.
    func registryAgent(_ node: ServiceNode, file: ValidatorConfig, logger: Logger) throws -> RegistryAgent? {
        guard let registry else { return nil }
        let registries = try NodeOptions.registryAddresses(registry)
        guard (1...300).contains(registryLeaseSeconds) else { throw ValidationError("--registry-lease-seconds must be 1 to 300") }
        let tls = try TLSIdentity(files: TLSIdentityFiles(certificatePath: try required(cert, file.cert, "the certificate", key: "cert"),
                                                          privateKeyPath: try required(key, file.key, "the private key", key: "key"),
                                                          caCertificatePath: try required(ca, file.ca, "the CA certificate", key: "ca")))
        var nodeKey: [UInt8] = []
        if let path = validatorKey ?? file.validatorKey {
            let k = try KeyFile.load(path, expecting: .signing)
            nodeKey = Array(try Curve25519.Signing.PrivateKey(rawRepresentation: k.privateKeyBytes).publicKey.rawRepresentation)
        }
        let advertised = advertise ?? file.advertise
        let listen = self.listen ?? file.listen ?? "127.0.0.1:0"
        return try node.registryAgent(registries: registries, leaseMillis: UInt64(registryLeaseSeconds * 1000), tls: tls, nodeKey: nodeKey,
                                      logger: logger) { boundPort in
            if let advertised, !advertised.isEmpty {
                guard let hp = HostPort(advertised) else { throw ValidationError("advertise '\(advertised)' must be HOST:PORT") }
                return hp
            }
            guard let hp = HostPort(listen, allowZero: true) else { throw ValidationError("listen '\(listen)' must be HOST:PORT") }
            return HostPort(host: hp.host, port: hp.port == 0 ? boundPort : hp.port)
        }
    }
}
