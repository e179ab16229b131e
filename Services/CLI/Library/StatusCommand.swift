import ArgumentParser
import CityChainAPI
import CityEncoding
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain status`: each validator's height, round, role and peers, side by side.
/// (The registry's whole-deployment view comes with it: issue 5.)
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show validators' heights, consensus position, voting role, mempool and peers.")

    @Option(name: .customLong("validator"), help: "HOST:PORT of a validator; repeat for each.") var validators: [String]
    @Option(help: "Your PEM certificate.") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String

    func run() async throws {
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.status"))
        print("validator            address                height  round  step       role      mempool  peers")
        for address in validators {
            guard let (host, port) = SubmitCommand.split(address) else { throw ValidationError("'\(address)' must be HOST:PORT") }
            do {
                let s = try await client.withConnection(host: host, port: port, expecting: .validator) { conn in
                    try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(5)))
                }
                let step = ["propose", "prevote", "precommit"][Int(s.step)]
                print(String(format: "%-20@ %-22@ %6llu  %5u  %-9@  %-8@  %7u  %5u", s.name as NSString, address as NSString, s.height,
                             s.round, step as NSString, (s.voting ? "voting" : "observer") as NSString, s.mempoolCount, s.peers))
            } catch {
                print(String(format: "%-20@ %-22@ down: %@", "?" as NSString, address as NSString, "\(error)" as NSString))
            }
        }
    }
}
