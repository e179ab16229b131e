import ArgumentParser
import CityEncoding
import CityLedger
import CityNode
import Foundation
@preconcurrency import Crypto

/// `citychain admin`: admin operations — register an agency, add or revoke an agency's key, change
/// the validator set — which need the signatures of `adminThreshold` distinct admin agencies
/// (docs/OPERATIONS.md "Admin transactions"). One admin proposes (builds and signs the body into a
/// proposal file), the others co-sign that file in turn, wherever their keys live, and anyone
/// submits it. The file carries the whole signed transaction; nothing in it is trusted but the
/// signatures, which every validator checks.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Propose, co-sign, inspect and submit admin transactions (agencies, keys, the validator set).",
        subcommands: [Propose.self, Sign.self, Show.self, Submit.self])

    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build an admin transaction from a JSON operation, sign it as the first admin and write the proposal file.")

        @Option(help: "A JSON file with the operation (registerAgency, addAgencyKey, revokeAgencyKey, changeValidatorSet, revokeCertificate; docs/OPERATIONS.md, 'Operations as JSON').")
        var txFile: String
        @Option(help: "The proposing admin agency (its id).") var agency: String
        @Option(help: "Its signing key file.") var signingKey: String
        @Option(help: "Key id of that key on chain.") var keyID: UInt32 = 1
        @Option(help: "Heights the proposal stays valid, from the current head (at most 10000: room for the co-signers).")
        var expiresIn: UInt64 = LedgerLimits.maxTransactionLifetimeHeights
        @Option(help: "Offline: the chain id (with --expires-at-height, instead of asking a gateway or validator).") var chainID: String?
        @Option(help: "Offline: the height after which the proposal lapses.") var expiresAtHeight: UInt64?
        @Option(help: "Where to write the proposal.") var out: String
        @Flag(help: "Replace an existing file.") var force = false
        @OptionGroup(title: "Reading the chain id and head (unless offline)") var endpoint: ChainEndpoint

        func run() async throws {
            if FileManager.default.fileExists(atPath: out) && !force {
                throw ValidationError("\(out) already exists; pass --force to replace it, or choose another --out")
            }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: txFile)) } catch { throw ValidationError("--tx-file: cannot read \(txFile): \(error.localizedDescription)") }
            let operation = try OperationFile.operation(fromJSON: data).operation
            guard operation.requiresAdmin else {
                throw ValidationError("--tx-file holds a \(operation.name), which one agency signs alone; send it with 'citychain submit --tx-file'")
            }
            let (chain, expiry): (String, UInt64)
            switch (chainID, expiresAtHeight) {
            case let (c?, h?): (chain, expiry) = (c, h)
            case (nil, nil):
                let tip = try await endpoint.tip()
                (chain, expiry) = (tip.chainID, tip.height + min(max(expiresIn, 1), LedgerLimits.maxTransactionLifetimeHeights))
            default:
                throw ValidationError("offline, give both --chain-id and --expires-at-height; or neither, and --gateway/--validator with --cert, --key and --ca")
            }
            let body = TransactionBody(chainID: chain, signer: Signer(agency: try AgencyID(agency), keyID: KeyID(keyID)),
                                       nonce: UInt64.random(in: 1...UInt64.max), expiresAtHeight: expiry, operation: operation)
            let tx = try SignedTransaction.sign(body, key: try AdminProposal.signingKey(signingKey))
            try AdminProposal.save(tx, to: out)
            print("wrote \(out); next: each co-signing admin runs 'citychain admin sign \(out) --agency ID --signing-key FILE', then 'citychain admin submit \(out) --gateway …'")
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Co-sign a proposal file as another admin agency (the file is updated).")

        @Argument(help: "The proposal file.") var file: String
        @Option(help: "The co-signing admin agency (its id).") var agency: String
        @Option(help: "Its signing key file.") var signingKey: String
        @Option(help: "Key id of that key on chain.") var keyID: UInt32 = 1
        @Option(help: "The genesis: the signatures so far are checked against its keys first.") var genesis: String?

        func run() throws {
            var tx = try AdminProposal.read(file)
            let me = Signer(agency: try AgencyID(agency), keyID: KeyID(keyID))
            guard !tx.signatures.contains(where: { $0.signer.agency == me.agency }) else {
                throw ValidationError("\(agency) has already signed \(file); each admin agency signs once")
            }
            guard tx.signatures.count < LedgerLimits.maxSignatures else {
                throw ValidationError("\(file) already carries \(tx.signatures.count) signatures, the most a transaction takes")
            }
            if let genesis {
                let checks = try AdminProposal.check(tx, genesis: try AdminProposal.genesis(genesis))
                if let bad = checks.first(where: { $0.verdict == .bad }) {
                    throw ValidationError("\(file): the signature of \(bad.signer) does not verify against the genesis key; do not sign, ask the proposer for a fresh file")
                }
            }
            let key = try AdminProposal.signingKey(signingKey)
            tx.signatures.append(TransactionSignature(signer: me, signature: try key.ledgerSignature(for: tx.body.signingMessage)))
            try AdminProposal.save(tx, to: file)
            print("signed as \(me.agency) (key \(me.keyID)); \(tx.signatures.count) signatures in \(file)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what a proposal does and who signed it; with --genesis, check the signatures and the quorum.")

        @Argument(help: "The proposal file.") var file: String
        @Option(help: "The genesis: signatures are checked against its keys and counted against its admin threshold.") var genesis: String?

        func run() throws {
            let tx = try AdminProposal.read(file)
            print(AdminProposal.describe(tx))
            guard let genesis else { return }
            let g = try AdminProposal.genesis(genesis)
            let checks = try AdminProposal.check(tx, genesis: g)
            for c in checks { print("  \(c.signer): \(c.verdict.text)") }
            let good = Set(checks.filter { $0.verdict == .good }.map(\.signer.agency)).count
            print("admin signatures verified: \(good) of the \(g.adminThreshold) the genesis requires"
                  + (checks.contains { $0.verdict == .unknown } ? " (keys added after genesis are checked by the validators)" : ""))
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a co-signed proposal through a gateway or to a validator and print its receipt.")

        @Argument(help: "The proposal file.") var file: String
        @OptionGroup var target: SubmitTarget

        func run() async throws {
            let tx = try AdminProposal.read(file)
            let file = self.file
            try await target.submit { chainID, height in
                guard chainID == tx.body.chainID else {
                    throw ValidationError("\(file) is for chain '\(tx.body.chainID)' but the server is on '\(chainID)'; propose again against this chain")
                }
                guard height < tx.body.expiresAtHeight else {
                    throw ValidationError("\(file) lapsed at height \(tx.body.expiresAtHeight) (the head is \(height)); propose again and collect the signatures anew")
                }
                return tx
            }
        }
    }
}

/// The file an admin transaction travels in between its signers: JSON with the signed transaction
/// (canonical bytes, hex) and, for people reading it, its id, operation and signers.
struct AdminProposal: Codable {
    var format = AdminProposal.formatName
    var id: String
    var chainID: String
    var operation: String
    var expiresAtHeight: UInt64
    var signers: [String]
    var transaction: String

    static let formatName = "citychain-admin-proposal/1"

    init(transaction tx: SignedTransaction) {
        id = "\(tx.id)"
        chainID = tx.body.chainID
        operation = tx.body.operation.name
        expiresAtHeight = tx.body.expiresAtHeight
        signers = tx.signatures.map { "\($0.signer.agency)/\($0.signer.keyID)" }
        transaction = Hex.encode(tx.canonicalBytes)
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try (try encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Writes `tx` as the proposal file at `path` and prints what it does (propose and sign).
    static func save(_ tx: SignedTransaction, to path: String) throws {
        try AdminProposal(transaction: tx).write(to: path)
        print(describe(tx))
    }

    /// The signed transaction in the proposal file at `path`.
    static func read(_ path: String) throws -> SignedTransaction {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw ValidationError("cannot read \(path): \(error.localizedDescription)") }
        let file: AdminProposal
        do { file = try JSONDecoder().decode(AdminProposal.self, from: data) } catch {
            throw ValidationError("\(path) is not a proposal written by 'citychain admin propose' (\(error))")
        }
        guard file.format == formatName else { throw ValidationError("\(path) is in format '\(file.format)'; this citychain reads \(formatName)") }
        guard let bytes = Hex.decode(file.transaction) else { throw ValidationError("\(path): \"transaction\" is not hex") }
        let tx: SignedTransaction
        do { tx = try SignedTransaction(canonicalBytes: bytes) } catch { throw ValidationError("\(path): the transaction does not decode: \(error)") }
        guard tx.body.operation.requiresAdmin else { throw ValidationError("\(path) holds a \(tx.body.operation.name), not an admin operation") }
        return tx
    }

    static func signingKey(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        let file = try KeyFile.load(path, expecting: .signing)
        return try Curve25519.Signing.PrivateKey(rawRepresentation: file.privateKeyBytes)
    }

    static func genesis(_ path: String) throws -> Genesis {
        try Genesis.load(path: path)
    }

    struct Check {
        enum Verdict { case good, bad, unknown
            var text: String {
                switch self {
                case .good: "signature verified (genesis key)"
                case .bad: "SIGNATURE DOES NOT VERIFY"
                case .unknown: "no such admin key in the genesis (checked by the validators)"
                }
            }
        }
        let signer: Signer
        let verdict: Verdict
    }

    /// Each signature checked against the signing key the genesis registers for its agency and key id.
    static func check(_ tx: SignedTransaction, genesis g: Genesis) throws -> [Check] {
        guard tx.body.chainID == g.chainID else {
            throw ValidationError("the proposal is for chain '\(tx.body.chainID)' but the genesis is '\(g.chainID)'")
        }
        let message = tx.body.signingMessage
        return tx.signatures.map { s in
            let key = g.agencies.first { $0.id == s.signer.agency && $0.isAdmin }?.keys.first { $0.keyID == s.signer.keyID }
            guard case .signing(let pk)? = key?.material else { return Check(signer: s.signer, verdict: .unknown) }
            return Check(signer: s.signer, verdict: pk.isValidSignature(s.signature, for: message) ? .good : .bad)
        }
    }

    static func describe(_ m: AgencyKeyMaterial) -> String {
        switch m {
        case .signing(let k): "signing \(k.hex)"
        case .sealing(let k): "sealing \(k.hex)"
        }
    }

    /// What the transaction does, for the people asked to sign it.
    static func describe(_ tx: SignedTransaction) -> String {
        var lines = ["admin transaction \(tx.id)", "chain       \(tx.body.chainID), valid until height \(tx.body.expiresAtHeight)"]
        switch tx.body.operation {
        case let .registerAgency(id, name, isAdmin, keys):
            lines.append("operation   registerAgency \(id) \"\(name)\"\(isAdmin ? " (an admin)" : "")")
            for k in keys { lines.append("            key \(k.keyID): \(describe(k.material))") }
        case let .addAgencyKey(agency, key):
            lines.append("operation   addAgencyKey \(agency) key \(key.keyID): \(describe(key.material))")
        case let .revokeAgencyKey(agency, keyID):
            lines.append("operation   revokeAgencyKey \(agency) key \(keyID)")
        case let .revokeCertificate(fingerprint, reason):
            lines.append("operation   revokeCertificate \(fingerprint) (\"\(reason)\")")
        case let .changeValidatorSet(changes):
            lines.append("operation   changeValidatorSet")
            for c in changes { lines.append("            \(c.name) \(c.publicKey): " + (c.power == 0 ? "removed" : "power \(c.power)")) }
        case let other:
            lines.append("operation   \(other.name)")
        }
        lines.append("signed by   " + tx.signatures.map { "\($0.signer.agency) (key \($0.signer.keyID))" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
