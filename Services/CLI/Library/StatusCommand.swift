import ArgumentParser
import CityChainAPI
import CityEncoding
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain status`: each validator's height, round, role and peers, side by side; with
/// `--registry`, the whole deployment: every registered service, whether it answers, and the
/// validators' heights and indexers' lag.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show validators' heights, consensus position, voting role, mempool and peers.")

    @Option(name: .customLong("validator"), help: "HOST:PORT of a validator; repeat for each.") var validators: [String] = []
    @Option(help: "HOST:PORT[,HOST:PORT...] of registries: show every registered service and its health.") var registry: String?
    @Option(help: "With --registry: seconds to wait for each service's handshake and each answer (0.1-60).") var probeTimeoutSeconds: Double = 2
    @Option(help: "Your PEM certificate.") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "table, or json: with --validator only, one object per validator (with the last block's hash and the validator-set hash); with --registry, one object: services (each probed), registered, down, revision, and validators when --validator is given too.")
    var output: String = "table"

    func run() async throws {
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        guard registry != nil || !validators.isEmpty else {
            throw ValidationError("name --registry HOST:PORT (the whole deployment) or --validator HOST:PORT (repeat for each)")
        }
        guard ["table", "json"].contains(output) else { throw ValidationError("--output must be table or json") }
        var deployment: [String: Any]?
        if let registry {
            guard (0.1...60).contains(probeTimeoutSeconds) else { throw ValidationError("--probe-timeout-seconds must be 0.1 to 60") }
            let timeout = Duration.milliseconds(Int64(probeTimeoutSeconds * 1000))
            var configuration = RegistryRead.quick
            configuration.handshakeTimeout = max(configuration.handshakeTimeout, timeout)
            let client = try WireClient(tls: TLSSetup.client(identity), configuration: configuration, logger: Logger(label: "citychain.status"))
            let answer = try await RegistryRead.fetch(registries: try RegistryRead.addresses(registry), client: client, kind: nil, all: false)
            let probes = await DeploymentStatus.probeAll(answer, client: client, timeout: timeout)
            if output == "json" {
                deployment = DeploymentStatus.json(probes, revision: answer.revision)
                if validators.isEmpty { return Self.printJSON(deployment ?? [:]) }
            } else {
                print(DeploymentStatus.table(probes, revision: answer.revision))
                if validators.isEmpty { return }
                print("")
            }
        }
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.status"))
        var rows: [[String: Any]] = []
        if output == "table" { print("validator            address                height  round  step       role      power    mempool  peers  last block        validator set") }
        for address in validators {
            guard let (host, port) = SubmitCommand.split(address) else { throw ValidationError("'\(address)' must be HOST:PORT") }
            do {
                let s = try await client.withConnection(host: host, port: port, expecting: .validator) { conn in
                    try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(5)))
                }
                let step = ["propose", "prevote", "precommit"][Int(min(s.step, 2))]
                rows.append(["address": address, "name": s.name, "chainID": s.chainID, "height": s.height, "lastBlockHash": s.lastBlockHash.hex,
                             "round": s.round, "step": step, "voting": s.voting, "validatorSetHash": s.validatorSetHash.hex,
                             "mempool": s.mempoolCount, "peers": s.peers, "power": s.power, "totalPower": s.totalPower])
                guard output == "table" else { continue }
                print(Self.pad(s.name, 20) + " " + Self.pad(address, 22) + " " + Self.pad("\(s.height)", 6, right: true) + "  "
                      + Self.pad("\(s.round)", 5, right: true) + "  " + Self.pad(step, 9) + "  " + Self.pad(s.voting ? "voting" : "observer", 8) + "  " + Self.pad("\(s.power)/\(s.totalPower)", 7)
                      + "  " + Self.pad("\(s.mempoolCount)", 7, right: true) + "  " + Self.pad("\(s.peers)", 5, right: true)
                      + "  " + String(s.lastBlockHash.hex.prefix(16)) + "  " + String(s.validatorSetHash.hex.prefix(16)))
            } catch {
                rows.append(["address": address, "error": "\(error)"])
                if output == "table" { print(Self.pad("?", 20) + " " + Self.pad(address, 22) + " down: \(error)") }
            }
        }
        if output == "json" {
            if var deployment {
                deployment["validators"] = rows
                Self.printJSON(deployment)
            } else {
                Self.printJSON(rows)
            }
        } else {
            print("(hashes shortened; --output json prints them whole: the last block's hash is what --trust-hash takes with --trust-height HEIGHT)")
        }
    }

    static func printJSON(_ value: Any) {
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .prettyPrinted]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}
