import ArgumentParser
import CityChainAPI
import CityEncoding
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain registry list`: the services a registry knows, as a table or JSON.
struct RegistryCLICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "Read the service registry.", subcommands: [RegistryListCommand.self])
}

struct RegistryListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List registered services (live, and with --all expired ones not yet purged).")

    @Option(help: "HOST:PORT of a registry (comma-separated: the first that answers).") var registry: String
    @Option(help: "Only this kind: validator, indexer, gateway, registry.") var kind: String?
    @Flag(help: "Include entries whose lease ran out but are not purged yet.") var all = false
    @Option(help: "Output: table or json.") var output: String = "table"
    @Option(help: "Your PEM certificate.") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String

    func run() async throws {
        let k = try kind.map { name in
            guard let k = ServiceKind(name: name) else { throw ValidationError("--kind '\(name)' must be validator, indexer, gateway or registry") }
            return k
        }
        guard ["table", "json"].contains(output) else { throw ValidationError("--output '\(output)' must be table or json") }
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), configuration: RegistryRead.quick, logger: Logger(label: "citychain.registry"))
        var answer = try await RegistryRead.fetch(registries: try RegistryRead.addresses(registry), client: client, kind: k, all: all)
        if all, let k { answer.entries = answer.entries.filter { $0.kind == k } }
        print(output == "json" ? RegistryRead.json(answer) : RegistryRead.table(answer))
    }
}

/// Reading the registry from the CLI: shared by `registry list` and `status --registry`.
enum RegistryRead {
    /// Short timeouts: a status view should not hang on a dead host.
    static var quick: WireConfiguration {
        var c = WireConfiguration()
        c.handshakeTimeout = .seconds(3)
        return c
    }

    /// `HOST:PORT[,HOST:PORT…]`.
    static func addresses(_ text: String) throws -> [HostPort] {
        let list = try text.split(separator: ",").map { part in
            guard let hp = HostPort(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--registry '\(part)' must be HOST:PORT (comma-separated for several)")
            }
            return hp
        }
        guard !list.isEmpty, list.count <= 16 else { throw ValidationError("--registry must name 1 to 16 registries") }
        return list
    }

    /// A lookup (or listAll) from the first registry that answers.
    static func fetch(registries: [HostPort], client: WireClient, kind: ServiceKind?, all: Bool) async throws -> LookupAnswer {
        var failures: [String] = []
        for r in registries {
            do {
                return try await client.withConnection(host: r.host, port: r.port, expecting: .registry) { conn in
                    let bytes = all ? try await conn.request(RegistryAPI.listAll, [], timeout: .seconds(5))
                        : try await conn.request(RegistryAPI.lookup, LookupRequest(kind: kind).canonicalBytes, timeout: .seconds(5))
                    return try LookupAnswer(canonicalBytes: bytes)
                }
            } catch {
                failures.append("\(r): \(error)")
            }
        }
        throw ValidationError("no registry answered: " + failures.joined(separator: "; "))
    }

    static func table(_ a: LookupAnswer) -> String {
        var lines = ["kind       id                        address                lease  expires in  fingerprint       detail"]
        for e in a.entries {
            let left = (Int64(e.expiresAtMillis) - Int64(a.registryTimeMillis))
            let expires = left > 0 ? String(format: "%.1f s", Double(left) / 1000) : "expired"
            lines.append(StatusCommand.pad(e.kind.description, 10) + " " + StatusCommand.pad(e.id, 25) + " " + StatusCommand.pad(e.address, 22)
                         + " " + StatusCommand.pad("\(e.leaseMillis / 1000) s", 6, right: true) + "  " + StatusCommand.pad(expires, 10, right: true)
                         + "  " + String(e.certificateFingerprint.hex.prefix(16)) + "  " + e.detail)
        }
        lines.append("\(a.entries.count) service(s), registry revision \(a.revision)")
        return lines.joined(separator: "\n")
    }

    static func json(_ a: LookupAnswer) -> String {
        let items: [[String: Any]] = a.entries.map { e in
            ["kind": e.kind.description, "id": e.id, "address": e.address, "certificateFingerprint": e.certificateFingerprint.hex,
             "nodeKey": Hex.encode(e.nodeKey), "leaseMillis": e.leaseMillis, "registeredAtMillis": e.registeredAtMillis,
             "expiresAtMillis": e.expiresAtMillis, "live": e.expiresAtMillis > a.registryTimeMillis, "detail": e.detail]
        }
        let object: [String: Any] = ["registryTimeMillis": a.registryTimeMillis, "revision": a.revision, "services": items]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
