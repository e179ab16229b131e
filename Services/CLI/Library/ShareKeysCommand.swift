import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityWire
import Foundation
@preconcurrency import Crypto

/// `citychain share-keys`: the owner of a restricted dataset gives an agency it granted access
/// later the content keys of the records written before (issue 18, "grants that reach older
/// records"). It reads the dataset's versions through the indexer, opens each version's content
/// key with its own sealing key (`--open-with`), re-wraps it to the grantee's sealing keys (from
/// `--genesis`) and submits them on chain (`shareRecordKeys`, up to 256 keys per transaction)
/// through the gateway. The grantee then opens those records with `citychain query … --open-with`.
struct ShareKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share-keys",
        abstract: "As a restricted dataset's owner, give a grantee the keys of records written before its grant (re-wrapped to its sealing keys, on chain).")

    @OptionGroup var o: IndexerOptions
    @Option(help: "The owning agency that signs (its id).") var agency: String
    @Option(help: "The agency's signing key file (citychain keys new --kind signing).") var signingKey: String
    @Option(help: "Key id of the signing key on chain.") var keyID: UInt32 = 1
    @Option(help: "The restricted dataset.") var dataset: String
    @Option(help: "The agency to share with (it must hold a live grant or be a writer).") var grantee: String
    @Option(help: "Only this record (repeat); default: every version of every record of the dataset.") var subject: [String] = []
    @Option(help: "Why (recorded in the audit trail of the owner's own reads).") var purpose = "sharing record keys with a grantee"
    @Option(help: "Milliseconds to wait for each commit.") var wait: UInt32 = 15_000

    /// Most bytes of shares one transaction carries (the transaction limit is 64 KiB).
    static let maxShareBytesPerTransaction = 48 * 1024

    func run() async throws {
        guard let gateway = o.gateway, HostPort(gateway) != nil else {
            throw ValidationError("share-keys reads and submits through a gateway: give --gateway HOST:PORT")
        }
        guard let opener = try await o.opener() else {
            throw ValidationError("give --open-with FILE: the owner's sealing key, which opens the records' content keys")
        }
        let datasetID = try DatasetID(dataset), granteeID = try AgencyID(grantee)
        let readers = try granteeKeys(granteeID)
        let only = Set(try subject.map { try SubjectKey($0) })
        var shares: [RecordKeyShare] = []
        var versions: [SubjectKey: UInt64] = [:]
        var after = ChainCursor.start
        var skipped = 0
        while true {
            let q = DatasetQuery(dataset: datasetID, after: after, limit: IndexerAPI.maxItemsPerAnswer, purpose: purpose)
            let (bytes, _) = try await o.ask(IndexerAPI.dataset, q)
            let page = try ChangesAnswer(canonicalBytes: bytes)
            for item in page.items {
                let (s, version, payload) = try Self.version(of: item, counting: &versions)
                guard only.isEmpty || only.contains(s), let payload else { continue }
                guard let sealed = try? SealedPayload(canonicalBytes: payload),
                      let mine = sealed.recipients.first(where: { $0.agency == opener.agency }) else { skipped += 1; continue }
                for reader in readers {
                    let key = try sealed.rewrap(as: opener.agency, keyID: mine.keyID, privateKey: opener.key, to: reader)
                    shares.append(RecordKeyShare(subject: s, version: version, key: key))
                }
            }
            guard page.more, let last = page.items.last else { break }
            after = last.cursor
        }
        guard !shares.isEmpty else {
            print("nothing to share: no sealed record of \(datasetID)\(only.isEmpty ? "" : " among the subjects named") is sealed to \(opener.agency)")
            return
        }
        let batches = Self.batches(shares.sorted { $0.order < $1.order })
        let signing = try Curve25519.Signing.PrivateKey(rawRepresentation: try KeyFile.load(signingKey, expecting: .signing).privateKeyBytes)
        let signer = Signer(agency: try AgencyID(agency), keyID: KeyID(keyID))
        for (i, batch) in batches.enumerated() {
            let operation = LedgerOperation.shareRecordKeys(dataset: datasetID, grantee: granteeID, shares: batch)
            let outcome = try await submit(operation, signer: signer, key: signing, gateway: gateway)
            print("keys \(i + 1)/\(batches.count): \(batch.count) shares — " + SubmitCommand.render(outcome, verified: nil, json: false)
                .replacingOccurrences(of: "\n", with: "; "))
            if case .rejected = outcome.state { throw ExitCode(2) }
        }
        print("shared \(shares.count) record keys of \(datasetID) with \(granteeID) in \(batches.count) transaction(s)"
              + (skipped > 0 ? "; \(skipped) versions not sealed to \(opener.agency) were left out" : ""))
    }

    /// The grantee's sealing keys, from the genesis (`--genesis`).
    func granteeKeys(_ grantee: AgencyID) throws -> [(AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)] {
        guard let path = o.trust.genesis else { throw ValidationError("give --genesis FILE: the grantee's sealing keys are read from it") }
        guard let entry = try Genesis.load(path: path).agencies.first(where: { $0.id == grantee }) else {
            throw ValidationError("--grantee '\(grantee)' is not in the genesis \(path)")
        }
        let keys = try entry.keys.compactMap { k -> (AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)? in
            guard case .sealing(let s) = k.material else { return nil }
            return (grantee, k.keyID, try Curve25519.KeyAgreement.PublicKey(rawRepresentation: s.bytes))
        }
        guard !keys.isEmpty else { throw ValidationError("--grantee '\(grantee)' has no sealing key in the genesis; it cannot receive record keys") }
        return keys
    }

    /// The subject, version and (for a write) payload of a change, versions counted in chain
    /// order from the dataset's first change (every write and delete is a version).
    static func version(of item: ProvenTransaction, counting versions: inout [SubjectKey: UInt64]) throws -> (SubjectKey, UInt64, [UInt8]?) {
        switch item.transaction.body.operation {
        case let .putRecord(_, s, _):
            versions[s, default: 0] += 1
            return (s, versions[s]!, item.transaction.payloadBytes)
        case let .deleteRecord(_, s, _), let .eraseRecord(_, s, _):
            versions[s, default: 0] += 1
            return (s, versions[s]!, nil)
        default:
            throw ValidationError("the indexer answered a dataset query with a \(item.transaction.body.operation.name); it is not a record change")
        }
    }

    /// `shares` (sorted) cut into transactions of at most 256 shares and `maxShareBytesPerTransaction`.
    static func batches(_ shares: [RecordKeyShare]) -> [[RecordKeyShare]] {
        var out: [[RecordKeyShare]] = [[]]
        var bytes = 0
        for s in shares {
            let size = s.canonicalBytes.count
            if out[out.count - 1].count == LedgerLimits.maxKeySharesPerTransaction || bytes + size > maxShareBytesPerTransaction {
                out.append([])
                bytes = 0
            }
            out[out.count - 1].append(s)
            bytes += size
        }
        return out
    }

    func submit(_ operation: LedgerOperation, signer: Signer, key: Curve25519.Signing.PrivateKey, gateway: String) async throws -> GatewayOutcome {
        let address = HostPort(gateway)!
        let waitMillis = min(wait, ValidatorAPI.maxSubmitWaitMillis)
        let client = try o.client()
        return try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
            let status = try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, []))
            let body = TransactionBody(chainID: status.chainID, signer: signer, nonce: UInt64.random(in: 1...UInt64.max),
                                       expiresAtHeight: status.headHeight + 1000, operation: operation)
            let submit = GatewaySubmit(transaction: try SignedTransaction.sign(body, key: key), waitMillis: waitMillis)
            return try GatewayOutcome(canonicalBytes: try await conn.request(GatewayAPI.submit, submit.canonicalBytes,
                                                                           timeout: .milliseconds(Int64(waitMillis) + 15_000)))
        }
    }
}
