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
/// comes from flags (a record write) or from a JSON file (`--tx-file`, docs/GATEWAY.md).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Sign a transaction with an agency key and submit it; prints its id and its receipt (where it committed).")

    @Option(help: "HOST:PORT of a gateway (answers with a receipt).") var gateway: String?
    @Option(help: "HOST:PORT of a validator (instead of a gateway).") var validator: String?
    @Option(help: "Your PEM certificate (an agency's, or admin).") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "The agency that signs (its id).") var agency: String
    @Option(help: "The agency's signing key file (citychain keys new --kind signing).") var signingKey: String
    @Option(help: "Key id of the signing key on chain.") var keyID: UInt32 = 1
    @Option(help: "Dataset to write (a record write from flags).") var dataset: String?
    @Option(help: "Subject key of the record.") var subject: String?
    @Option(help: "The record's JSON payload.") var json: String?
    @Option(help: "A file holding the record's JSON payload.") var file: String?
    @Option(help: "A JSON file describing the operation: {\"op\": \"putRecord\"|\"deleteRecord\"|\"grantAccess\"|\"revokeAccess\", …} (see docs/GATEWAY.md).")
    var txFile: String?
    @Option(help: "Heights until the transaction expires if not committed.") var expiresIn: UInt64 = 1000
    @Option(help: "Milliseconds to wait for the commit (0: return on admission).") var wait: UInt32 = 15_000
    @Option(help: "With --gateway: write the receipt to FILE for 'citychain verify FILE --genesis …'.") var save: String?
    @Option(help: "With --gateway: the chain's genesis file; the receipt's proof is checked before printing.") var genesis: String?
    @Option(help: "Output: table or json.") var output: String = "table"
    @Option(help: "Seal the payload (restricted datasets) to these agencies' sealing keys, AGENCY[,AGENCY…] (the signer is added; keys from --genesis).")
    var sealTo: String?

    func run() async throws {
        let operation = try makeOperation()
        let keyFile = try KeyFile.load(signingKey, expecting: .signing)
        let signing = try Curve25519.Signing.PrivateKey(rawRepresentation: keyFile.privateKeyBytes)
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.submit"))
        let signer = Signer(agency: try AgencyID(agency), keyID: KeyID(keyID))
        let waitMillis = min(wait, ValidatorAPI.maxSubmitWaitMillis)
        let lifetime = min(max(expiresIn, 1), LedgerLimits.maxTransactionLifetimeHeights)
        switch (gateway, validator) {
        case let (g?, nil):
            guard let address = HostPort(g) else { throw ValidationError("--gateway '\(g)' must be HOST:PORT") }
            let outcome = try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
                let status = try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, []))
                let body = TransactionBody(chainID: status.chainID, signer: signer, nonce: UInt64.random(in: 1...UInt64.max),
                                           expiresAtHeight: status.headHeight + lifetime, operation: operation)
                let submit = GatewaySubmit(transaction: try SignedTransaction.sign(body, key: signing), waitMillis: waitMillis)
                return try GatewayOutcome(canonicalBytes: try await conn.request(GatewayAPI.submit, submit.canonicalBytes,
                                                                               timeout: .milliseconds(Int64(waitMillis) + 15_000)))
            }
            var verified: String?
            if case .committed(let receipt) = outcome.state {
                let saved = SavedAnswer(kind: GatewayAPI.submit, query: TxStatusRequest(id: outcome.id).canonicalBytes, answer: receipt.canonicalBytes)
                if let save { try Data(saved.canonicalBytes).write(to: URL(fileURLWithPath: save)) }
                if let genesis {
                    let gen = try Genesis.fromJSON(Data(contentsOf: URL(fileURLWithPath: genesis)))
                    verified = try saved.verify(validatorSet: try ValidatorSet(gen.validators))
                }
            }
            print(Self.render(outcome, verified: verified, json: output == "json"))
            if case .rejected = outcome.state { throw ExitCode(2) }
        case let (nil, v?):
            guard let address = HostPort(v) else { throw ValidationError("--validator '\(v)' must be HOST:PORT") }
            let response = try await client.withConnection(host: address.host, port: address.port, expecting: .validator) { conn in
                let status = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, []))
                let body = TransactionBody(chainID: status.chainID, signer: signer, nonce: UInt64.random(in: 1...UInt64.max),
                                           expiresAtHeight: status.height + lifetime, operation: operation)
                let request = SubmitRequest(transaction: try SignedTransaction.sign(body, key: signing), waitMillis: waitMillis)
                return try SubmitResponse(canonicalBytes: try await conn.request(ValidatorAPI.submit, request.canonicalBytes,
                                                                               timeout: .milliseconds(Int64(waitMillis) + 10_000)))
            }
            print(Self.render(response, json: output == "json"))
            if case .rejected = response.status { throw ExitCode(2) }
        default:
            throw ValidationError("name exactly one of --gateway HOST:PORT or --validator HOST:PORT")
        }
    }

    /// The operation from `--tx-file`, or a record write from `--dataset/--subject/--json|--file`.
    func makeOperation() throws -> LedgerOperation {
        if let txFile {
            guard dataset == nil, subject == nil, json == nil, file == nil else {
                throw ValidationError("--tx-file describes the whole operation; leave out --dataset, --subject, --json and --file")
            }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: txFile)) } catch { throw ValidationError("--tx-file: cannot read \(txFile): \(error.localizedDescription)") }
            return try Self.operation(fromJSON: data)
        }
        guard let dataset, let subject else {
            throw ValidationError("give --dataset and --subject with --json or --file (a record write), or --tx-file FILE")
        }
        let payload: [UInt8] = switch (json, file) {
        case let (j?, nil): Array(j.utf8)
        case let (nil, f?): Array(try Data(contentsOf: URL(fileURLWithPath: f)))
        default: throw ValidationError("give the payload with exactly one of --json or --file")
        }
        let carried = try sealTo.map { try seal(payload, to: $0) } ?? payload
        return .putRecord(dataset: try DatasetID(dataset), subject: try SubjectKey(subject), payload: carried, payloadHash: Hash32.sha256(carried))
    }

    /// `payload` sealed (HPKE, docs/PROTOCOL.md) to the active sealing keys the genesis names for the
    /// agencies of `--seal-to` and for the signer: only they can open it; the chain carries ciphertext.
    func seal(_ payload: [UInt8], to list: String) throws -> [UInt8] {
        guard let genesis else { throw ValidationError("--seal-to needs --genesis FILE: the readers' sealing keys are read from it") }
        let g = try Genesis.fromJSON(Data(contentsOf: URL(fileURLWithPath: genesis)))
        var names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !names.contains(agency) { names.append(agency) }
        var readers: [(AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)] = []
        for name in names {
            guard let entry = g.agencies.first(where: { "\($0.id)" == name }) else {
                throw ValidationError("--seal-to: agency '\(name)' is not in the genesis \(genesis); check the id against the agencies in that file")
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

    /// Reads an operation: `{"op": "putRecord", "dataset": D, "subject": S, "payload": <JSON value>}`,
    /// `{"op": "deleteRecord", "dataset": D, "subject": S, "reason": R}`,
    /// `{"op": "grantAccess", "dataset": D, "grantee": A, "expiresAtHeight": H, "purpose": P}`,
    /// `{"op": "revokeAccess", "dataset": D, "grantee": A}`. Errors name the field.
    static func operation(fromJSON data: Data) throws -> LedgerOperation {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw ValidationError("--tx-file must hold one JSON object with an \"op\" field")
        }
        func string(_ key: String) throws -> String {
            guard let v = object[key] as? String else { throw ValidationError("--tx-file: \"\(key)\" must be a string") }
            return v
        }
        func id<T>(_ key: String, _ make: (String) throws -> T) throws -> T {
            let v = try string(key)
            do { return try make(v) } catch { throw ValidationError("--tx-file: \"\(key)\" '\(v)': \(error)") }
        }
        switch try string("op") {
        case "putRecord":
            guard let value = object["payload"] else { throw ValidationError("--tx-file: putRecord needs \"payload\" (any JSON value)") }
            let payload = Array(try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]))
            return .putRecord(dataset: try id("dataset", DatasetID.init), subject: try id("subject", SubjectKey.init),
                              payload: payload, payloadHash: Hash32.sha256(payload))
        case "deleteRecord":
            return .deleteRecord(dataset: try id("dataset", DatasetID.init), subject: try id("subject", SubjectKey.init), reason: try string("reason"))
        case "grantAccess":
            guard let h = object["expiresAtHeight"] as? NSNumber, h.int64Value > 0 else {
                throw ValidationError("--tx-file: grantAccess needs \"expiresAtHeight\", a positive height")
            }
            return .grantAccess(dataset: try id("dataset", DatasetID.init), grantee: try id("grantee", AgencyID.init),
                                expiresAtHeight: UInt64(h.int64Value), purpose: try string("purpose"))
        case "revokeAccess":
            return .revokeAccess(dataset: try id("dataset", DatasetID.init), grantee: try id("grantee", AgencyID.init))
        case let other:
            throw ValidationError("--tx-file: \"op\" '\(other)' is not one of putRecord, deleteRecord, grantAccess, revokeAccess")
        }
    }

    static func render(_ o: GatewayOutcome, verified: String?, json: Bool) -> String {
        let (status, detail): (String, String) = switch o.state {
        case .pending: ("pending", "admitted, not final yet; ask again with the same id (resubmitting is safe)")
        case .committed(let r): ("committed", "height \(r.height), index \(r.index), block \(r.blockHash)")
        case .rejected(let why): ("rejected", "\(why)")
        }
        if json {
            var fields = [#""id": "\#(o.id)""#, #""status": "\#(status)""#, #""detail": "\#(escape(detail))""#]
            if let verified { fields.append(#""verified": "\#(escape(verified))""#) }
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
            return #"{"id": "\#(r.id)", "status": "\#(status)", "detail": "\#(escape(detail))"}"#
        }
        return "transaction \(r.id)\nstatus      \(status)\(detail.isEmpty ? "" : "\n            " + detail)"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    static func split(_ address: String) -> (String, Int)? {
        HostPort(address).map { ($0.host, $0.port) }
    }
}
