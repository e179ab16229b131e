import ArgumentParser
import CityEncoding
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain ping`: connect to a running service over mutual TLS, check its role, and print its `node.info`.
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping", abstract: "Check a running service: TLS handshake, its role, node.info and round-trip time.")

    @Argument(help: "HOST:PORT of the service.") var address: String
    @Option(help: "Expected role of the service (validator, indexer, gateway, registry); any if omitted.") var expect: String?
    @Option(help: "Your PEM certificate.") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String

    func run() async throws {
        let info = try await Self.ping(address: address, expect: expect.map { try Role(parsing: $0) },
                                       identity: TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca)))
        print("\(info.info.service) '\(info.info.name)' version \(info.info.version), up \(info.info.uptimeMillis / 1000) s, round trip \(info.roundTripMicros) µs")
        print("serves kinds: " + info.info.kinds.map { MessageKind(rawValue: $0).description }.joined(separator: " "))
    }

    /// Connects, pings and fetches node.info; returns it with the ping round trip in microseconds.
    static func ping(address: String, expect: Role?, identity: TLSIdentity) async throws -> (info: NodeInfo, roundTripMicros: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ValidationError("'\(address)' must be HOST:PORT")
        }
        let host = String(address[..<colon])
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.ping"))
        return try await client.withConnection(host: host, port: port, expecting: { expect == nil || $0 == expect }) { conn in
            let start = ContinuousClock.now
            try await conn.ping(timeout: .seconds(5))
            let rtt = ContinuousClock.now - start
            let bytes = try await conn.request(NodeInfo.kind, [], timeout: .seconds(5))
            let micros = Int(rtt.components.seconds) * 1_000_000 + Int(rtt.components.attoseconds / 1_000_000_000_000)
            return (try NodeInfo(canonicalBytes: bytes), micros)
        }
    }
}
