import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain-bench chain-dump`: every certified block a validator holds, as text lines for
/// `deploy/chaos`'s checker (which compares validators with each other, with the load's record
/// and with the index):
///
///     B <height> <block hash> <time ms> <proposer key> <transactions>
///     T <height> <index> <transaction id> <payload hash, or - when the operation has none>
struct ChainDumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain-dump", abstract: "Print every block and transaction a validator holds, one line each (deploy/chaos's checker).")

    @Option(name: .customLong("validator"), help: "HOST:PORT of the validator.") var validator: String
    @Option(help: "Your PEM certificate (admin, or another role the validator serves blocks to).") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "Last height to print (default: the validator's committed height when asked).") var to: UInt64?

    func run() async throws {
        guard let address = HostPort(validator) else { throw ValidationError("--validator '\(validator)' must be HOST:PORT") }
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.chain-dump"))
        try await client.withConnection(host: address.host, port: address.port, expecting: .validator) { conn in
            let status = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(10)))
            let last = min(to ?? status.height, status.height)
            var next: UInt64 = 1
            var out = ""
            while next <= last {
                let answer = try BlocksResponse(canonicalBytes: try await conn.request(
                    ValidatorAPI.blocks, BlocksRequest(from: next, maxCount: UInt32(min(last - next + 1, 200))).canonicalBytes, timeout: .seconds(30)))
                guard !answer.blocks.isEmpty else { throw ValidationError("the validator sent no block \(next) (it reports height \(answer.latestHeight))") }
                for cb in answer.blocks {
                    guard cb.height == next else { throw ValidationError("asked for block \(next), the validator sent \(cb.height)") }
                    let h = cb.block.header
                    out += "B \(h.height) \(h.hash.hex) \(h.timeMillis) \(h.proposer.hex) \(cb.block.transactions.count)\n"
                    for (i, tx) in cb.block.transactions.enumerated() {
                        var payload = "-"
                        if case .putRecord(_, _, let hash) = tx.body.operation { payload = hash.hex }
                        out += "T \(h.height) \(i) \(tx.id.hash.hex) \(payload)\n"
                    }
                    next += 1
                }
                FileHandle.standardOutput.write(Data(out.utf8))
                out = ""
            }
        }
    }
}
