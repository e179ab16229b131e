import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain block`: one certified block as a validator stores it, with its commit certificate
/// (who signed, with what power), so an operator can see a promotion or removal take effect.
struct BlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block", abstract: "Show a block's header and its commit certificate: which validators signed, their power.")

    @Option(name: .customLong("validator"), help: "HOST:PORT of a validator.") var validator: String
    @Option(help: "The block's height (default: the validator's last).") var height: UInt64?
    @Option(help: "Your PEM certificate (admin, or any role a validator serves blocks to).") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "table, or json.") var output: String = "table"

    func run() async throws {
        guard ["table", "json"].contains(output) else { throw ValidationError("--output must be table or json") }
        guard let address = HostPort(validator) else { throw ValidationError("--validator '\(validator)' must be HOST:PORT") }
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.block"))
        let (status, block) = try await client.withConnection(host: address.host, port: address.port, expecting: .validator) { conn in
            let status = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(5)))
            let h = height ?? status.height
            guard h >= 1, h <= status.height else {
                throw ValidationError("height \(h) is not on this validator: it holds blocks 1...\(status.height)")
            }
            let answer = try BlocksResponse(canonicalBytes: try await conn.request(ValidatorAPI.blocks, BlocksRequest(from: h, maxCount: 1).canonicalBytes,
                                                                                 timeout: .seconds(10)))
            guard let block = answer.blocks.first, block.height == h else { throw ValidationError("the validator sent no block \(h)") }
            return (status, block)
        }
        let report = BlockReport(block, currentSet: status.validators)
        print(output == "json" ? report.json : report.table)
    }
}

/// A certified block described for people: the signers named from the validator set in force now
/// when the block was signed by it (a block signed by an earlier set lists its signers' keys).
struct BlockReport {
    struct Signer { var publicKey: String; var name: String?; var power: UInt64? }
    var height: UInt64
    var hash: String
    var round: UInt32
    var proposer: String
    var transactions: Int
    var timeMillis: UInt64
    var validatorSetHash: String
    var signedByCurrentSet: Bool
    var signers: [Signer]
    var totalPower: UInt64?

    init(_ cb: CertifiedBlock, currentSet: [Validator]) {
        let header = cb.block.header
        let set = try? ValidatorSet(currentSet)
        let current = set?.hash == header.validatorSetHash
        signedByCurrentSet = current
        let members = set?.validators ?? []
        // Names come from the set in force now (a key keeps its name); power only when the block
        // was certified by that set (an earlier set may have given the key another power).
        func named(_ key: PublicKey) -> Validator? { members.first { $0.publicKey == key } }
        height = header.height
        hash = header.hash.hex
        round = cb.certificate.round
        proposer = named(header.proposer)?.name ?? header.proposer.hex
        transactions = cb.block.transactions.count
        timeMillis = header.timeMillis
        validatorSetHash = header.validatorSetHash.hex
        signers = cb.certificate.signatures.map { s in Signer(publicKey: s.validator.hex, name: named(s.validator)?.name, power: current ? named(s.validator)?.power : nil) }
        totalPower = signedByCurrentSet ? set?.totalPower : nil
    }

    var signedPower: UInt64? { signedByCurrentSet ? signers.reduce(0) { $0 + ($1.power ?? 0) } : nil }

    var table: String {
        var lines = ["block \(height)  hash \(hash)", "round \(round)  proposer \(proposer)  transactions \(transactions)  time \(timeMillis) ms",
                     "signed by validator set \(validatorSetHash)" + (signedByCurrentSet ? " (the set in force now)" : " (an earlier set: names from the current set, power unknown)")]
        lines.append("signer                power  public key")
        for s in signers {
            lines.append(StatusCommand.pad(s.name ?? "?", 20) + "  " + StatusCommand.pad(s.power.map(String.init) ?? "?", 5, right: true) + "  " + s.publicKey)
        }
        if let signed = signedPower, let total = totalPower {
            lines.append("signed power \(signed) of \(total): " + (signed * 3 > total * 2 ? "a quorum (more than two thirds)" : "NOT a quorum"))
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        var object: [String: Any] = ["height": height, "hash": hash, "round": round, "proposer": proposer, "transactions": transactions,
                                     "timeMillis": timeMillis, "validatorSetHash": validatorSetHash, "signedByCurrentSet": signedByCurrentSet,
                                     "signers": signers.map { s -> [String: Any] in
                                         var o: [String: Any] = ["publicKey": s.publicKey]
                                         if let n = s.name { o["name"] = n }
                                         if let p = s.power { o["power"] = p }
                                         return o
                                     }]
        if let signed = signedPower, let total = totalPower { object["signedPower"] = signed; object["totalPower"] = total }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
