import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
@preconcurrency import Crypto

/// `citychain submit`: sign a put-record with an agency key and submit it to a validator, waiting
/// for it to be final. (Through the gateway once it lands: the same flags with `--gateway`.)
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Sign a record write with an agency key and submit it; prints its id and where it committed.")

    @Option(help: "HOST:PORT of a validator.") var validator: String
    @Option(help: "Your PEM certificate (an agency's, or admin).") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "The agency that signs (its id).") var agency: String
    @Option(help: "The agency's signing key file (citychain keys new --kind signing).") var signingKey: String
    @Option(help: "Key id of the signing key on chain.") var keyID: UInt32 = 1
    @Option(help: "Dataset to write.") var dataset: String
    @Option(help: "Subject key of the record.") var subject: String
    @Option(help: "The record's JSON payload.") var json: String?
    @Option(help: "A file holding the record's JSON payload.") var file: String?
    @Option(help: "Heights until the transaction expires if not committed.") var expiresIn: UInt64 = 1000
    @Option(help: "Milliseconds to wait for the commit (0: return on admission).") var wait: UInt32 = 15_000
    @Option(help: "Output: table or json.") var output: String = "table"

    func run() async throws {
        let payload = try payloadBytes()
        let keyFile = try KeyFile.load(signingKey, expecting: .signing)
        let signing = try Curve25519.Signing.PrivateKey(rawRepresentation: keyFile.privateKeyBytes)
        guard let (host, port) = Self.split(validator) else { throw ValidationError("--validator '\(validator)' must be HOST:PORT") }
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.submit"))
        let response = try await client.withConnection(host: host, port: port, expecting: .validator) { conn in
            let status = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, []))
            let body = TransactionBody(
                chainID: status.chainID, signer: Signer(agency: try AgencyID(agency), keyID: KeyID(keyID)), nonce: UInt64.random(in: 1...UInt64.max),
                expiresAtHeight: status.height + min(max(expiresIn, 1), LedgerLimits.maxTransactionLifetimeHeights),
                operation: .putRecord(dataset: try DatasetID(dataset), subject: try SubjectKey(subject), payload: payload,
                                      payloadHash: Hash32.sha256(payload)))
            let tx = try SignedTransaction.sign(body, key: signing)
            let request = SubmitRequest(transaction: tx, waitMillis: min(wait, ValidatorAPI.maxSubmitWaitMillis))
            return try SubmitResponse(canonicalBytes: try await conn.request(ValidatorAPI.submit, request.canonicalBytes,
                                                                           timeout: .milliseconds(Int64(wait) + 10_000)))
        }
        print(Self.render(response, json: output == "json"))
        if case .rejected = response.status { throw ExitCode(2) }
    }

    private func payloadBytes() throws -> [UInt8] {
        switch (json, file) {
        case let (j?, nil): return Array(j.utf8)
        case let (nil, f?): return Array(try Data(contentsOf: URL(fileURLWithPath: f)))
        default: throw ValidationError("give the payload with exactly one of --json or --file")
        }
    }

    static func render(_ r: SubmitResponse, json: Bool) -> String {
        let (status, detail): (String, String) = switch r.status {
        case .unknown: ("unknown", "")
        case .pending: ("pending", "not committed yet; check later with the same id")
        case .committed(let c): ("committed", "height \(c.height), index \(c.index), block \(c.blockHash)")
        case .rejected(let why): ("rejected", "\(why)")
        }
        if json {
            let escaped = detail.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return #"{"id": "\#(r.id)", "status": "\#(status)", "detail": "\#(escaped)"}"#
        }
        return "transaction \(r.id)\nstatus      \(status)\(detail.isEmpty ? "" : "\n            " + detail)"
    }

    static func split(_ address: String) -> (String, Int)? {
        HostPort(address).map { ($0.host, $0.port) }
    }
}
