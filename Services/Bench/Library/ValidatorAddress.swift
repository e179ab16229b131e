import ArgumentParser
import CityChainAPI
import CityWire

/// A validator's wire address, HOST:PORT (IPv6 hosts in brackets).
struct ValidatorAddress: Sendable, CustomStringConvertible, ExpressibleByArgument {
    let host: String
    let port: Int

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(argument[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `validator.status` of this validator over a new connection.
    func status(client: WireClient) async throws -> ValidatorStatus {
        try await client.withConnection(host: host, port: port, expecting: .validator) { conn in
            try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(10)))
        }
    }
}
