import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging

/// A gateway or one validator to talk to, and as whom (mutual TLS).
struct ChainEndpoint: ParsableArguments {
    @Option(help: "HOST:PORT of a gateway (answers with a receipt).") var gateway: String?
    @Option(help: "HOST:PORT of a validator (instead of a gateway).") var validator: String?
    @Option(help: "Your PEM certificate (an agency's, or admin).") var cert: String?
    @Option(help: "Your PEM private key.") var key: String?
    @Option(help: "The city CA certificate.") var ca: String?

    enum Address { case gateway(HostPort), validator(HostPort) }

    func address() throws -> Address {
        switch (gateway, validator) {
        case let (g?, nil):
            guard let a = HostPort(g) else { throw ValidationError("--gateway '\(g)' must be HOST:PORT") }
            return .gateway(a)
        case let (nil, v?):
            guard let a = HostPort(v) else { throw ValidationError("--validator '\(v)' must be HOST:PORT") }
            return .validator(a)
        default:
            throw ValidationError("name exactly one of --gateway HOST:PORT or --validator HOST:PORT")
        }
    }

    func client(_ label: String) throws -> WireClient {
        guard let cert, let key, let ca else {
            throw ValidationError("give --cert, --key and --ca (your certificate, its key and the city CA) to reach the \(gateway == nil ? "validator" : "gateway")")
        }
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        return try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: label))
    }

    /// The chain id and the head height, read from the gateway's or the validator's status.
    func tip() async throws -> (chainID: String, height: UInt64) {
        let client = try client("citychain")
        switch try address() {
        case .gateway(let a):
            return try await client.withConnection(host: a.host, port: a.port, expecting: .gateway) { conn in
                let s = try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, []))
                return (s.chainID, s.headHeight)
            }
        case .validator(let a):
            return try await client.withConnection(host: a.host, port: a.port, expecting: .validator) { conn in
                let s = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, []))
                return (s.chainID, s.height)
            }
        }
    }
}

/// Where `citychain submit` and `citychain admin submit` send a transaction: a gateway (a receipt
/// with its proof, rate limits, failover) or one validator.
struct SubmitTarget: ParsableArguments {
    @OptionGroup var endpoint: ChainEndpoint
    @Option(help: "Milliseconds to wait for the commit (0: return on admission).") var wait: UInt32 = 15_000
    @Option(help: "With --gateway: write the receipt to FILE for 'citychain verify FILE --genesis …'.") var save: String?
    @OptionGroup var trust: TrustOptions
    @Option(help: "Output: table or json.") var output: String = "table"

    /// Reads the chain id and head height, asks `make` for the signed transaction, submits it and
    /// prints the outcome (exit 2 if it was rejected).
    func submit(_ make: @escaping @Sendable (_ chainID: String, _ height: UInt64) throws -> SignedTransaction) async throws {
        let waitMillis = min(wait, ValidatorAPI.maxSubmitWaitMillis)
        let client = try endpoint.client("citychain.submit")
        switch try endpoint.address() {
        case .gateway(let address):
            let outcome = try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
                let status = try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, []))
                let submit = GatewaySubmit(transaction: try make(status.chainID, status.headHeight), waitMillis: waitMillis)
                return try GatewayOutcome(canonicalBytes: try await conn.request(GatewayAPI.submit, submit.canonicalBytes,
                                                                               timeout: .milliseconds(Int64(waitMillis) + 15_000)))
            }
            var verified: String?
            var unverified: String?
            if case .committed(let receipt) = outcome.state {
                let saved = SavedAnswer(kind: GatewayAPI.submit, query: TxStatusRequest(id: outcome.id).canonicalBytes, answer: receipt.canonicalBytes)
                if let save { try Data(saved.canonicalBytes).write(to: URL(fileURLWithPath: save)) }
                // The transaction committed whatever the proof check says: report it as committed,
                // and the check's failure beside it (exit 3), never as a failed submit.
                do {
                    verified = try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
                        try await trust.verify(fetch: TrustOptions.fetch(on: conn)) { sets in try saved.verify(validatorSet: sets) }
                    }
                } catch {
                    unverified = "NOT VERIFIED: \(error)\(save == nil ? "" : "; check again later with citychain verify \(save!)")"
                }
            }
            print(SubmitCommand.render(outcome, verified: verified ?? unverified, json: output == "json"))
            if case .rejected = outcome.state { throw ExitCode(2) }
            if unverified != nil { throw ExitCode(3) }
        case .validator(let address):
            let response = try await client.withConnection(host: address.host, port: address.port, expecting: .validator) { conn in
                let status = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, []))
                let request = SubmitRequest(transaction: try make(status.chainID, status.height), waitMillis: waitMillis)
                return try SubmitResponse(canonicalBytes: try await conn.request(ValidatorAPI.submit, request.canonicalBytes,
                                                                               timeout: .milliseconds(Int64(waitMillis) + 10_000)))
            }
            print(SubmitCommand.render(response, json: output == "json"))
            if case .rejected = response.status { throw ExitCode(2) }
        }
    }
}
