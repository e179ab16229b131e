import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging
import CityNode
@preconcurrency import Crypto

/// Options every `citychain query` subcommand shares.
struct IndexerOptions: ParsableArguments {
    @Option(help: "HOST:PORT of an indexer (or use --gateway).") var indexer: String?
    @Option(help: "HOST:PORT of a gateway, which relays the query to a healthy indexer (or use --indexer).") var gateway: String?
    @Option(help: "Your agency's PEM certificate (the reader is the agency it names).") var cert: String
    @Option(help: "Its PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @OptionGroup var trust: TrustOptions
    @Option(help: "Write the query and the raw answer to FILE, for 'citychain verify FILE'.") var save: String?
    @Option(help: "Output: table or json.") var output: String = "table"
    @Option(help: "Your agency's sealing key file (citychain keys new --kind sealing): sealed payloads sealed to it are opened and printed.")
    var openWith: String?

    /// The opener of `--open-with`, for the agency the certificate names; with `dataset`, it also
    /// holds the record keys the dataset's owner shared with the agency after the records were
    /// written (`indexer.keyShares`, its proofs checked like any answer when a trust anchor is given).
    func opener(dataset: DatasetID? = nil) async throws -> SealedOpener? {
        guard let openWith else { return nil }
        let file = try KeyFile.load(openWith, expecting: .sealing)
        let identity = try PeerIdentity(certificate: try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca)).certificateChain[0])
        guard case .agency(let id) = identity.role else { throw ValidationError("--open-with: the certificate is for \(identity.role), not an agency; sealed records are opened by the agency they are sealed to") }
        var opener = SealedOpener(agency: try AgencyID(id), key: try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: file.privateKeyBytes))
        if let dataset { opener.shares = try await keyShares(dataset, for: opener.agency) }
        return opener
    }

    /// Every record key shared with `agency` in `dataset`, by subject.
    func keyShares(_ dataset: DatasetID, for agency: AgencyID) async throws -> [SubjectKey: [SealedRecipient]] {
        var out: [SubjectKey: [SealedRecipient]] = [:]
        var after = ChainCursor.start
        var quiet = self
        quiet.save = nil
        while true {
            let (bytes, _) = try await quiet.ask(IndexerAPI.keyShares, KeySharesQuery(dataset: dataset, after: after))
            let a = try ChangesAnswer(canonicalBytes: bytes)
            for item in a.items {
                guard case let .shareRecordKeys(d, grantee, shares) = item.transaction.body.operation, d == dataset, grantee == agency else { continue }
                for share in shares where share.key.agency == agency { out[share.subject, default: []].append(share.key) }
            }
            guard a.more, let last = a.items.last else { return out }
            after = last.cursor
        }
    }

    /// Sends `query`, verifies (when --genesis or --trust-height is given: with the validator set in
    /// force at each proof's height), saves (when --save is given) and returns the answer bytes.
    func ask(_ kind: MessageKind, _ query: some CanonicalEncodable) async throws -> (answer: [UInt8], verified: String?) {
        let (text, role): (String, Role) = switch (indexer, gateway) {
        case let (i?, nil): (i, .indexer)
        case let (nil, g?): (g, .gateway)
        default: throw ValidationError("name exactly one of --indexer HOST:PORT or --gateway HOST:PORT")
        }
        guard let address = HostPort(text) else { throw ValidationError("--\(role) '\(text)' must be HOST:PORT") }
        let client = try self.client()
        let bytes = query.canonicalBytes
        return try await client.withConnection(host: address.host, port: address.port, expecting: role) { conn in
            let answer = try await conn.request(kind, bytes)
            let saved = SavedAnswer(kind: kind, query: bytes, answer: answer)
            if let save { try Data(saved.canonicalBytes).write(to: URL(fileURLWithPath: save)) }
            let verified = try await trust.verify(fetch: TrustOptions.fetch(on: conn)) { sets in try saved.verify(validatorSet: sets) }
            return (answer, verified)
        }
    }

    var json: Bool { output == "json" }

    /// A wire client with this agency's certificate.
    func client() throws -> WireClient {
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        return try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.query"))
    }
}

/// `citychain query …`: read the index, with proofs.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Query an indexer; answers carry proofs ('--genesis' checks them, 'citychain verify' checks saved ones).",
        subcommands: [Record.self, History.self, DatasetChanges.self, Tx.self, BlockAt.self, Audit.self, Status.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "record", abstract: "A record's current value, with its state proof (also of absence).")
        @OptionGroup var o: IndexerOptions
        @Option var dataset: String
        @Option var subject: String
        @Option(help: "Why you read (required for internal and restricted datasets; recorded in the audit trail).") var purpose = ""

        func run() async throws {
            let q = RecordQuery(dataset: try DatasetID(dataset), subject: try SubjectKey(subject), purpose: purpose)
            let (bytes, verified) = try await o.ask(IndexerAPI.record, q)
            let a = try RecordAnswer(canonicalBytes: bytes)
            var row: [(String, String)] = [("record", "\(dataset)/\(subject)"), ("as of block", "\(a.at.height)")]
            if let e = a.entry {
                row += [("version", "\(e.version)"), ("state", e.erased ? "erased (every earlier version's payload dropped)" : e.deleted ? "deleted" : "written"),
                        ("writer", "\(e.writer.agency)"),
                        ("height", "\(e.height)"), ("transaction", "\(e.transactionID)"), ("payload", QueryCommand.describe(a.payload, subject: e.deleted ? nil : q.subject, opener: try await o.opener(dataset: q.dataset)))]
            } else {
                row += [("state", "absent (never written)")]
            }
            QueryCommand.print(row, verified: verified, json: o.json)
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "A record's versions, oldest first, each proven in its block.")
        @OptionGroup var o: IndexerOptions
        @Option var dataset: String
        @Option var subject: String
        @Option var afterVersion: UInt64 = 0
        @Option var limit: UInt32 = 100
        @Option var purpose = ""

        func run() async throws {
            let q = HistoryQuery(dataset: try DatasetID(dataset), subject: try SubjectKey(subject), afterVersion: afterVersion, limit: limit,
                                 purpose: purpose)
            let (bytes, verified) = try await o.ask(IndexerAPI.history, q)
            QueryCommand.printChanges(try ChangesAnswer(canonicalBytes: bytes), verified: verified, json: o.json, opener: try await o.opener(dataset: q.dataset))
        }
    }

    struct DatasetChanges: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dataset",
                                                        abstract: "Changes to a dataset in chain order, filtered by time, writer and JSON fields; paged.")
        @OptionGroup var o: IndexerOptions
        @Option var dataset: String
        @Option(help: "Cursor HEIGHT.INDEX: start after it (the 'next' of the previous page).") var after: String?
        @Option(help: "Block time from (ms since the epoch).") var fromTime: UInt64 = 0
        @Option(help: "Block time before (ms since the epoch; 0: no bound).") var toTime: UInt64 = 0
        @Option(help: "Only changes written by this agency.") var writer: String?
        @Option(name: .customLong("where"), help: "A JSON field condition: zone=\"B\", minutes>=30, paid? (repeat; all must hold).")
        var conditions: [String] = []
        @Option var limit: UInt32 = 100
        @Option var purpose = ""

        func run() async throws {
            let predicates = try conditions.map { c in
                guard let p = FieldPredicate(text: c) else {
                    throw ValidationError("--where '\(c)' must be PATH OP VALUE with OP one of = != < <= > >= (or PATH? for exists), e.g. zone=\"B\"")
                }
                return p
            }
            let cursor = try after.map { a in
                guard let c = ChainCursor(text: a) else { throw ValidationError("--after '\(a)' must be HEIGHT.INDEX") }
                return c
            } ?? .start
            let q = DatasetQuery(dataset: try DatasetID(dataset), after: cursor, fromTimeMillis: fromTime, toTimeMillis: toTime,
                                 writer: try writer.map { try AgencyID($0) }, predicates: predicates, limit: limit, purpose: purpose)
            let (bytes, verified) = try await o.ask(IndexerAPI.dataset, q)
            QueryCommand.printChanges(try ChangesAnswer(canonicalBytes: bytes), verified: verified, json: o.json, opener: try await o.opener(dataset: q.dataset))
        }
    }

    struct Tx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tx", abstract: "A transaction by id, with its inclusion proof.")
        @OptionGroup var o: IndexerOptions
        @Option var id: String
        @Option var purpose = ""

        func run() async throws {
            guard let txID = TransactionID(hex: id) else { throw ValidationError("--id must be 64 hex digits") }
            let (bytes, verified) = try await o.ask(IndexerAPI.transaction, TransactionQuery(id: txID, purpose: purpose))
            let a = try TransactionAnswer(canonicalBytes: bytes)
            QueryCommand.print(QueryCommand.describe(a.item, opener: try await o.opener(dataset: a.item.transaction.body.operation.recordDataset)) + [("as of block", "\(a.at.height)")], verified: verified, json: o.json)
        }
    }

    struct BlockAt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "block", abstract: "A block by height (transactions you may not read are withheld).")
        @OptionGroup var o: IndexerOptions
        @Option var height: UInt64

        func run() async throws {
            let (bytes, verified) = try await o.ask(IndexerAPI.block, BlockQuery(height: height))
            let a = try BlockAnswer(canonicalBytes: bytes)
            let shown = a.entries.filter { if case .transaction = $0 { true } else { false } }.count
            QueryCommand.print([("block", "\(height)"), ("hash", "\(a.header.header.hash)"), ("time", "\(a.header.header.timeMillis)"),
                                ("transactions", "\(a.entries.count) (\(a.entries.count - shown) withheld)"),
                                ("state root", "\(a.header.header.stateRoot)")], verified: verified, json: o.json)
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "audit", abstract: "Who read a subject's record, when and why (dataset owners and admins).")
        @OptionGroup var o: IndexerOptions
        @Option var dataset: String
        @Option var subject: String
        @Option var afterSequence: UInt64 = 0
        @Option var limit: UInt32 = 100

        func run() async throws {
            let q = AuditQuery(dataset: try DatasetID(dataset), subject: try SubjectKey(subject), afterSequence: afterSequence, limit: limit)
            let (bytes, verified) = try await o.ask(IndexerAPI.audit, q)
            let a = try AuditAnswer(canonicalBytes: bytes)
            if o.json {
                let items = a.items.map { i in ["sequence": "\(i.record.sequence)", "reader": i.record.reader.value, "purpose": i.record.purpose,
                                                "timeMillis": "\(i.record.timeMillis)", "anchored": i.anchor == nil ? "no" : "yes"] }
                Swift.print(QueryCommand.jsonText(["asOfBlock": "\(a.at.height)", "verified": verified ?? "not checked", "items": items]))
                return
            }
            Swift.print("seq     reader               time (ms)      anchored  purpose")
            for i in a.items {
                Swift.print(StatusCommand.pad("\(i.record.sequence)", 7) + " " + StatusCommand.pad(i.record.reader.value, 20) + " "
                            + StatusCommand.pad("\(i.record.timeMillis)", 14) + " " + StatusCommand.pad(i.anchor == nil ? "no" : "yes", 9) + " "
                            + i.record.purpose)
            }
            Swift.print(verified.map { "proofs: verified — \($0)" } ?? "proofs: not checked (give --genesis or --trust-height/--trust-hash, or save with --save and run citychain verify)")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "The indexer's position and lag.")
        @OptionGroup var o: IndexerOptions

        func run() async throws {
            let (bytes, _) = try await o.ask(IndexerAPI.status, Empty())
            let s = try IndexerStatus(canonicalBytes: bytes)
            QueryCommand.print([("indexed height", "\(s.indexedHeight)"), ("indexed block", "\(s.indexedHash)"), ("proven height", "\(s.provenHeight)"),
                                ("chain height", "\(s.chainHeight)"), ("lag (blocks)", "\(s.lag)"), ("following", s.source)],
                               verified: nil, json: o.json, proofs: false)
        }
    }

    struct Empty: CanonicalEncodable { func encode(to w: inout CanonicalWriter) {} }

    // MARK: - Rendering

    static func describe(_ payload: [UInt8]?, subject: SubjectKey? = nil, opener: SealedOpener? = nil) -> String {
        guard let payload else { return "none" }
        if let sealed = try? SealedPayload(canonicalBytes: payload) {
            if let opener {
                switch opener.open(sealed, subject: subject) {
                case .success(let text): return "opened (sealed for \(sealed.recipients.map { "\($0.agency)" }.joined(separator: ", "))): \(text)"
                case .failure(let why): return "sealed, not opened: \(why)"
                }
            }
            return "sealed for \(sealed.recipients.map { "\($0.agency)" }.joined(separator: ", ")) (\(sealed.ciphertext.count) bytes of ciphertext)"
        }
        return String(validating: payload, as: UTF8.self) ?? "\(payload.count) bytes"
    }

    static func describe(_ item: ProvenTransaction, opener: SealedOpener? = nil) -> [(String, String)] {
        let body = item.transaction.body
        var row: [(String, String)] = [("transaction", "\(item.transaction.id)"), ("at", "\(item.cursor)"), ("signer", "\(body.signer.agency)"),
                                       ("operation", body.operation.name)]
        switch body.operation {
        case let .putRecord(d, s, _):
            row += [("record", "\(d)/\(s)"), ("payload", item.transaction.payloadBytes.map { describe($0, subject: s, opener: opener) } ?? "erased")]
        case let .deleteRecord(d, s, reason): row += [("record", "\(d)/\(s)"), ("deleted", reason)]
        case let .eraseRecord(d, s, reason): row += [("record", "\(d)/\(s)"), ("erased", reason)]
        default: break
        }
        return row
    }

    static func printChanges(_ a: ChangesAnswer, verified: String?, json: Bool, opener: SealedOpener? = nil) {
        if json {
            let items = a.items.map { Dictionary(describe($0, opener: opener), uniquingKeysWith: { x, _ in x }) }
            Swift.print(jsonText(["asOfBlock": "\(a.at.height)", "more": a.more ? "yes" : "no", "next": a.items.last.map { "\($0.cursor)" } ?? "",
                                  "verified": verified ?? "not checked", "items": items]))
            return
        }
        Swift.print("cursor        signer               record                          payload")
        for i in a.items {
            let d = Dictionary(describe(i, opener: opener), uniquingKeysWith: { x, _ in x })
            Swift.print(StatusCommand.pad("\(i.cursor)", 13) + " " + StatusCommand.pad(d["signer"] ?? "", 20) + " "
                        + StatusCommand.pad(d["record"] ?? "", 31) + " " + (d["payload"] ?? d["deleted"] ?? ""))
        }
        Swift.print("\(a.items.count) changes as of block \(a.at.height)" + (a.more ? "; more: --after \(a.items.last.map { "\($0.cursor)" } ?? "")" : ""))
        Swift.print(verified.map { "proofs: verified — \($0)" } ?? "proofs: not checked (give --genesis or --trust-height/--trust-hash, or save with --save and run citychain verify)")
    }

    static func print(_ rows: [(String, String)], verified: String?, json: Bool, proofs: Bool = true) {
        if json {
            var d: [String: Any] = Dictionary(rows, uniquingKeysWith: { x, _ in x })
            if proofs { d["verified"] = verified ?? "not checked" }
            Swift.print(jsonText(d))
            return
        }
        for (k, v) in rows { Swift.print(StatusCommand.pad(k, 14) + " " + v) }
        if proofs {
            Swift.print(verified.map { "proofs: verified — \($0)" } ?? "proofs: not checked (give --genesis or --trust-height/--trust-hash, or save with --save and run citychain verify)")
        }
    }

    static func jsonText(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .prettyPrinted]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `citychain verify FILE`: checks a saved answer's proofs offline.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a saved answer (citychain query --save FILE) offline, with the validator set in force at its height (followed from the genesis; online commands keep the sets in a cache).")

    @Argument(help: "The saved answer.") var file: String
    @OptionGroup var trust: TrustOptions

    func run() throws {
        let saved: SavedAnswer
        do { saved = try SavedAnswer(canonicalBytes: Array(try Data(contentsOf: URL(fileURLWithPath: file)))) } catch {
            throw ValidationError("\(file): \(error)")
        }
        guard let sets = try trust.offline() else {
            throw ValidationError("give --genesis FILE (or --trust-height and --trust-hash): what the proofs are checked against")
        }
        do {
            let summary = try saved.verify(validatorSet: sets)
            print("verified: \(summary)")
        } catch {
            print("NOT VERIFIED: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Opens sealed payloads with an agency's sealing key (`--open-with`), trying each of the
/// recipient entries for that agency.
struct SealedOpener: Sendable {
    struct OpenFailure: Error, CustomStringConvertible { let description: String }
    let agency: AgencyID
    let key: Curve25519.KeyAgreement.PrivateKey
    /// Record keys shared with `agency` later (`shareRecordKeys`), by subject: each opens the one
    /// version it was wrapped for (the others fail their AEAD tag).
    var shares: [SubjectKey: [SealedRecipient]] = [:]

    init(agency: AgencyID, key: Curve25519.KeyAgreement.PrivateKey) {
        self.agency = agency
        self.key = key
    }

    func open(_ sealed: SealedPayload, subject: SubjectKey? = nil) -> Result<String, OpenFailure> {
        let mine = sealed.recipients.filter { $0.agency == agency }
        guard !mine.isEmpty else {
            for share in subject.flatMap({ shares[$0] }) ?? [] {
                if let bytes = try? sealed.open(share: share, privateKey: key) {
                    return .success(String(validating: bytes, as: UTF8.self) ?? "\(bytes.count) bytes")
                }
            }
            return .failure(OpenFailure(description: "not sealed to \(agency) and no key shared with it; ask the writer to seal to it (citychain submit --seal-to) or the dataset's owner to share the record's key (citychain share-keys)"))
        }
        var last = OpenFailure(description: "no key of \(agency) opened it")
        for r in mine {
            do {
                let bytes = try sealed.open(as: agency, keyID: r.keyID, privateKey: key)
                return .success(String(validating: bytes, as: UTF8.self) ?? "\(bytes.count) bytes")
            } catch { last = OpenFailure(description: "\(error)") }
        }
        return .failure(last)
    }
}
