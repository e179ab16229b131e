import ArgumentParser
import CityChainAPI
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain-bench catchup`: the block sync rate of a validator that restarts behind its peers.
/// Start it together with the lagging validator's process: it polls the validator's status until
/// it answers (startup and replay of its own log), takes the reference's height as the target,
/// then polls until the lagging validator reaches it. The rate counts only what was synced after
/// the first answer, over the time from that answer.
struct CatchUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catchup", abstract: "Time a restarted validator's block sync to a peer's height; print synced tx/s.",
        discussion: "Output: a 'bench-catchup: key=value ...' line, then a sentence. Keep the reference idle while it runs.")

    @Option(help: "The lagging (just restarted) validator, HOST:PORT.") var validator: ValidatorAddress
    @Option(help: "A validator at the chain's height, HOST:PORT.") var reference: ValidatorAddress
    @Option(help: "Your PEM certificate (admin, gateway or validator role: block reads).") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "Most seconds to wait, for the first answer and then for the sync.") var timeout = 300.0
    @Option(help: "Milliseconds between status polls.") var pollMillis = 10

    func run() async throws {
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.bench.catchup"))
        let launched = LoadClock.now()
        let limit = launched + UInt64(timeout * 1e9)
        let first = try await firstAnswer(client: client, until: limit)
        let answeredAt = LoadClock.now()
        let target = try await reference.status(client: client).height
        guard target > first.height else {
            print("bench-catchup: from=\(first.height) to=\(target) blocks=0 txs=0 seconds=0 tx_per_s=0 blocks_per_s=0 startup_s=\(f(Double(answeredAt - launched) / 1e9))")
            print("nothing to sync: \(validator) answered at height \(first.height), the reference is at \(target)")
            return
        }
        let reachedAt = try await waitForHeight(target, client: client, until: limit)
        let txs = try await transactions(from: first.height + 1, through: target, client: client)
        let secs = Double(reachedAt - answeredAt) / 1e9
        let blocks = target - first.height
        print("bench-catchup: from=\(first.height) to=\(target) blocks=\(blocks) txs=\(txs) seconds=\(String(format: "%.3f", secs)) "
              + "tx_per_s=\(f(Double(txs) / secs)) blocks_per_s=\(f(Double(blocks) / secs)) startup_s=\(f(Double(answeredAt - launched) / 1e9))")
        print("\(validator) synced \(blocks) blocks (\(txs) transactions) from height \(first.height) to \(target) in \(String(format: "%.2f", secs)) s: "
              + "\(f(Double(txs) / secs)) tx/s; its first answer came \(f(Double(answeredAt - launched) / 1e9)) s after this tool started")
    }

    private func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// The lagging validator's first status answer (it is starting: refused connections are retried).
    private func firstAnswer(client: WireClient, until limit: UInt64) async throws -> ValidatorStatus {
        var lastError: (any Error)?
        while LoadClock.now() < limit {   // bounded by the timeout
            do { return try await validator.status(client: client) } catch { lastError = error }
            try await Task.sleep(for: .milliseconds(pollMillis))
        }
        throw ValidationError("\(validator) did not answer within \(timeout) s: \(lastError.map { "\($0)" } ?? "no attempt"); check its log")
    }

    /// Polls over one connection until the validator's height is at least `target`; returns when.
    private func waitForHeight(_ target: UInt64, client: WireClient, until limit: UInt64) async throws -> UInt64 {
        try await client.withConnection(host: validator.host, port: validator.port, expecting: .validator) { conn in
            var height: UInt64 = 0
            while LoadClock.now() < limit {   // bounded by the timeout
                height = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(30))).height
                if height >= target { return LoadClock.now() }
                try await Task.sleep(for: .milliseconds(pollMillis))
            }
            throw ValidationError("\(validator) reached only height \(height) of \(target) within \(timeout) s; check its log for block sync errors")
        }
    }

    /// Transactions in blocks `from...through`, read from the reference (validator.blocks).
    private func transactions(from: UInt64, through: UInt64, client: WireClient) async throws -> Int {
        try await client.withConnection(host: reference.host, port: reference.port, expecting: .validator) { conn in
            var txs = 0
            var next = from
            while next <= through {   // each round advances by at least one block or throws
                let request = BlocksRequest(from: next, maxCount: ValidatorAPI.maxBlocksPerRequest)
                let response = try BlocksResponse(canonicalBytes: try await conn.request(ValidatorAPI.blocks, request.canonicalBytes))
                guard let last = response.blocks.last else {
                    throw ValidationError("\(reference) sent no block at height \(next) (its height: \(response.latestHeight))")
                }
                txs += response.blocks.filter { $0.height <= through }.reduce(0) { $0 + $1.block.transactions.count }
                next = last.height + 1
            }
            return txs
        }
    }
}
