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

/// `citychain submit`: sign a transaction with an agency key and submit it — through a gateway
/// (`--gateway`: rate limits, cheap checks, failover; the answer is a receipt with its proof, which
/// `--save` keeps for `citychain verify`) or straight to a validator (`--validator`). The operation
/// comes from flags (a record write) or from a JSON file (`--tx-file`, `OperationFile`).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Sign a transaction with an agency key and submit it; prints its id and its receipt (where it committed).")

    @OptionGroup var target: SubmitTarget
    @Option(help: "The agency that signs (its id).") var agency: String
    @Option(help: "The agency's signing key file (citychain keys new --kind signing).") var signingKey: String
    @Option(help: "Key id of the signing key on chain.") var keyID: UInt32 = 1
    @Option(help: "Dataset to write (a record write from flags).") var dataset: String?
    @Option(help: "Subject key of the record.") var subject: String?
    @Option(help: "The record's JSON payload.") var json: String?
    @Option(help: "A file holding the record's JSON payload.") var file: String?
    @Option(help: "A JSON file describing the operation: {\"op\": \"putRecord\"|\"deleteRecord\"|\"eraseRecord\"|\"grantAccess\"|\"revokeAccess\"|\"defineDataset\", …} (docs/OPERATIONS.md, Operations as JSON).")
    var txFile: String?
    @Option(help: "Heights until the transaction expires if not committed.") var expiresIn: UInt64 = 1000
    @Option(help: "Seal the payload (restricted datasets) to these agencies' sealing keys, AGENCY[,AGENCY…] (the signer is added; keys from --genesis).")
    var sealTo: String?

    func run() async throws {
        let (operation, payload) = try makeOperation()
        let keyFile = try KeyFile.load(signingKey, expecting: .signing)
        let signing = try Curve25519.Signing.PrivateKey(rawRepresentation: keyFile.privateKeyBytes)
        let signer = Signer(agency: try AgencyID(agency), keyID: KeyID(keyID))
        let lifetime = min(max(expiresIn, 1), LedgerLimits.maxTransactionLifetimeHeights)
        try await target.submit { chainID, height in
            let body = TransactionBody(chainID: chainID, signer: signer, nonce: UInt64.random(in: 1...UInt64.max),
                                       expiresAtHeight: height + lifetime, operation: operation)
            return try SignedTransaction.sign(body, payload: payload, key: signing)
        }
    }

    /// The operation from `--tx-file`, or a record write from `--dataset/--subject/--json|--file`.
    func makeOperation() throws -> (operation: LedgerOperation, payload: [UInt8]?) {
        if let txFile {
            guard dataset == nil, subject == nil, json == nil, file == nil else {
                throw ValidationError("--tx-file describes the whole operation; leave out --dataset, --subject, --json and --file")
            }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: txFile)) } catch { throw ValidationError("--tx-file: cannot read \(txFile): \(error.localizedDescription)") }
            let signable = try Self.operation(fromJSON: data)
            return (signable.operation, signable.payload)
        }
        guard let dataset, let subject else {
            throw ValidationError("give --dataset and --subject with --json or --file (a record write), or --tx-file FILE")
        }
        let payload: [UInt8] = switch (json, file) {
        case let (j?, nil): Array(j.utf8)
        case let (nil, f?): Array(try Data(contentsOf: URL(fileURLWithPath: f)))
        default: throw ValidationError("give the payload with exactly one of --json or --file")
        }
        let carried = try sealTo.map { try seal(payload, to: $0, dataset: try DatasetID(dataset)) } ?? payload
        return (.putRecord(dataset: try DatasetID(dataset), subject: try SubjectKey(subject), payloadHash: Hash32.sha256(carried)), carried)
    }

    /// `payload` sealed (HPKE, docs/PROTOCOL.md) to the active sealing keys the genesis names for the
    /// agencies of `--seal-to`, the signer and the dataset's owner (when the genesis defines the
    /// dataset; the ledger refuses a restricted record its owner cannot open): only they can open
    /// it; the chain carries ciphertext.
    func seal(_ payload: [UInt8], to list: String, dataset: DatasetID) throws -> [UInt8] {
        guard let genesis = target.trust.genesis else { throw ValidationError("--seal-to needs --genesis FILE: the readers' sealing keys are read from it") }
        let g = try Genesis.load(path: genesis)
        var names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let owner = g.datasets.first(where: { $0.id == dataset })?.owner.value { names.append(owner) }
        return try Self.seal(payload, readers: names, signer: agency, genesis: g, source: genesis)
    }

    /// `payload` sealed to the active sealing keys `genesis` names for `readers` and `signer`
    /// (duplicates once); `source` names the genesis in errors.
    static func seal(_ payload: [UInt8], readers list: [String], signer: String, genesis g: Genesis, source: String) throws -> [UInt8] {
        var names: [String] = []
        for n in list + [signer] where !names.contains(n) { names.append(n) }
        var readers: [(AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)] = []
        for name in names {
            guard let entry = g.agencies.first(where: { "\($0.id)" == name }) else {
                throw ValidationError("--seal-to: agency '\(name)' is not in the genesis \(source); check the id against the agencies in that file")
            }
            let keys = entry.keys.compactMap { k -> (KeyID, SealingPublicKey)? in
                if case .sealing(let s) = k.material { (k.keyID, s) } else { nil }
            }
            guard !keys.isEmpty else { throw ValidationError("--seal-to: agency '\(name)' has no sealing key in the genesis; it cannot receive sealed records") }
            for (id, key) in keys {
                readers.append((entry.id, id, try Curve25519.KeyAgreement.PublicKey(rawRepresentation: key.bytes)))
            }
        }
        return try SealedPayload.seal(payload, to: readers).canonicalBytes
    }

    /// The operation in a `--tx-file` (OperationFile).
    static func operation(fromJSON data: Data) throws -> SignableOperation {
        try OperationFile.operation(fromJSON: data)
    }

    static func render(_ o: GatewayOutcome, verified: String?, json: Bool) -> String {
        let (status, detail): (String, String) = switch o.state {
        case .pending: ("pending", "admitted, not final yet; ask again with the same id (resubmitting is safe)")
        case .committed(let r): ("committed", "height \(r.height), index \(r.index), block \(r.blockHash)")
        case .rejected(let why): ("rejected", "\(why)")
        }
        if json {
            var fields = [#""id": "\#(o.id)""#, #""status": "\#(status)""#, #""detail": \#(JSONString.quote(detail))"#]
            if let verified { fields.append(#""verified": \#(JSONString.quote(verified))"#) }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        var lines = ["transaction \(o.id)", "status      \(status)"]
        if !detail.isEmpty { lines.append("            " + detail) }
        if let verified { lines.append("verified    \(verified)") }
        return lines.joined(separator: "\n")
    }

    static func render(_ r: SubmitResponse, json: Bool) -> String {
        let (status, detail): (String, String) = switch r.status {
        case .unknown: ("unknown", "")
        case .pending: ("pending", "not committed yet; check later with the same id")
        case .committed(let c): ("committed", "height \(c.height), index \(c.index), block \(c.blockHash)")
        case .rejected(let why): ("rejected", "\(why)")
        }
        if json {
            return #"{"id": "\#(r.id)", "status": "\#(status)", "detail": \#(JSONString.quote(detail))}"#
        }
        return "transaction \(r.id)\nstatus      \(status)\(detail.isEmpty ? "" : "\n            " + detail)"
    }

    static func split(_ address: String) -> (String, Int)? {
        HostPort(address).map { ($0.host, $0.port) }
    }
}
