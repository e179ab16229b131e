import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityMerkle
import CityWire
import Foundation

/// Valid encodings of every fuzzed type, so libFuzzer starts from deep inputs rather than from
/// bytes that fail at the first tag. Deterministic: fixed key and signature bytes (decoders do not
/// verify signatures, so none are made), the shape of `Tests/CityLedgerTests/Fixture.swift`.
enum SeedCorpus {
    static let chainID = "citychain-fuzz"

    static func publicKey(_ b: UInt8) -> PublicKey { try! PublicKey(bytes: (0..<32).map { b &+ UInt8($0) }) }
    static func sealingKey(_ b: UInt8) -> SealingPublicKey { try! SealingPublicKey(bytes: (0..<32).map { b &* 3 &+ UInt8($0) }) }
    static func signature(_ b: UInt8) -> Signature { try! Signature(bytes: (0..<64).map { b ^ UInt8($0) }) }
    static func hash(_ s: String) -> Hash32 { Hash32.sha256(Array(s.utf8)) }
    static func agency(_ s: String) -> AgencyID { try! AgencyID(s) }
    static func dataset(_ s: String) -> DatasetID { try! DatasetID(s) }
    static func signer(_ s: String, _ key: KeyID = 1) -> Signer { Signer(agency: agency(s), keyID: key) }

    static let agencyNames: [(String, Bool)] = [
        ("admin-a", true), ("admin-b", true), ("hospital", false), ("land-bureau", false), ("tax-office", false),
    ]

    static var genesis: Genesis {
        let agencies = agencyNames.enumerated().map { i, entry in
            GenesisAgency(id: agency(entry.0), name: "Agency \(entry.0)", isAdmin: entry.1, keys: [
                AgencyKey(keyID: 1, material: .signing(publicKey(UInt8(i + 1)))),
                AgencyKey(keyID: 2, material: .sealing(sealingKey(UInt8(i + 0x41)))),
            ])
        }
        return Genesis(
            chainID: chainID, genesisTimeMillis: 1_700_000_000_000,
            validators: validators, adminThreshold: 2, agencies: agencies,
            datasets: [
                GenesisDataset(id: dataset("land.parcels"), owner: agency("land-bureau"), sensitivity: .internal,
                               schema: "parcel/v1", writers: [agency("tax-office")]),
                GenesisDataset(id: dataset("health.visits"), owner: agency("hospital"), sensitivity: .restricted,
                               schema: "visit/v1", writers: []),
            ])
    }

    static var validators: [Validator] {
        (0..<4).map { Validator(publicKey: publicKey(UInt8(0x10 + $0 * 0x20)), power: 10, name: "v\($0)") }
    }

    /// One operation of each kind, in tag order.
    /// The payload the putRecord seed carries beside its body.
    static let payload = Array("{\"owner\":\"ana\"}".utf8)

    static var operations: [LedgerOperation] {
        [
            .defineDataset(id: dataset("land.deeds"), sensitivity: .internal, schema: "deed/v1",
                           writers: [agency("hospital"), agency("tax-office")]),
            .putRecord(dataset: dataset("land.parcels"), subject: try! SubjectKey("parcel-42"), payloadHash: Hash32.sha256(payload)),
            .deleteRecord(dataset: dataset("land.parcels"), subject: try! SubjectKey("parcel-42"), reason: "merged"),
            .grantAccess(dataset: dataset("land.parcels"), grantee: agency("tax-office"), expiresAtHeight: 90,
                         purpose: "assessment"),
            .revokeAccess(dataset: dataset("land.parcels"), grantee: agency("tax-office")),
            .registerAgency(id: agency("fire-dept"), name: "Fire Department", isAdmin: false, keys: [
                AgencyKey(keyID: 1, material: .signing(publicKey(0x07))),
                AgencyKey(keyID: 2, material: .sealing(sealingKey(0x47))),
            ]),
            .addAgencyKey(agency: agency("hospital"), key: AgencyKey(keyID: 3, material: .signing(publicKey(0x08)))),
            .revokeAgencyKey(agency: agency("hospital"), keyID: 1),
            .changeValidatorSet(changes: [
                ValidatorChange(publicKey: publicKey(0x14), power: 10, name: "v4"),
                ValidatorChange(publicKey: publicKey(0x30), power: 0, name: "v1"),
            ]),
            .anchorAuditBatch(firstSequence: 0, lastSequence: 99, recordCount: 100, merkleRoot: hash("audit")),
            .revokeCertificate(fingerprint: hash("leaked certificate"), reason: "laptop stolen"),
            .eraseRecord(dataset: dataset("land.parcels"), subject: try! SubjectKey("parcel-42"), reason: "erasure request"),
        ]
    }

    /// A signed transaction of each operation kind (admin operations co-signed by a second admin).
    static var transactions: [SignedTransaction] {
        operations.enumerated().map { i, op in
            let by = op.requiresAdmin ? signer("admin-a") : signer("land-bureau")
            let body = TransactionBody(chainID: chainID, signer: by, nonce: UInt64(i + 1), expiresAtHeight: 100, operation: op)
            var sigs = [TransactionSignature(signer: by, signature: signature(UInt8(i)))]
            if op.requiresAdmin { sigs.append(TransactionSignature(signer: signer("admin-b"), signature: signature(UInt8(0x80 + i)))) }
            return SignedTransaction(body: body, signatures: sigs, payload: op.carriesPayload ? .present(payload) : nil)
        }
    }

    static var header: BlockHeader {
        BlockHeader(chainID: chainID, height: 7, timeMillis: 1_700_000_007_000, previousHash: hash("block 6"),
                    transactionsRoot: Block.transactionsRoot(transactions), transactionCount: UInt32(transactions.count),
                    evidenceRoot: Block.evidenceRoot(evidence), stateRoot: hash("state"),
                    validatorSetHash: try! ValidatorSet(validators).hash, proposer: validators[0].publicKey)
    }

    /// One equivocation of each kind: v1's two prevotes (nil and a block) at height 6, and v2's two
    /// proposals at height 6, round 1 (a fresh one and one re-proposed from round 0).
    static var evidence: [Equivocation] {
        let v1 = validators[1].publicKey
        return [
            Equivocation(votes: Vote(kind: .prevote, height: 6, round: 0, blockHash: nil, validator: v1, signature: signature(0x41)),
                         Vote(kind: .prevote, height: 6, round: 0, blockHash: hash("block 6"), validator: v1, signature: signature(0x42))),
            Equivocation(proposals: proposalHeaders[0], proposalHeaders[1]),
        ]
    }

    static var proposalHeaders: [SignedProposalHeader] {
        let v2 = validators[2].publicKey
        return [
            SignedProposalHeader(height: 6, round: 1, validRound: nil, valueID: hash("block 6"), proposer: v2, signature: signature(0x43)),
            SignedProposalHeader(height: 6, round: 1, validRound: 0, valueID: hash("block 6b"), proposer: v2, signature: signature(0x44)),
        ]
    }

    /// Every seed as (file name, bytes with the selector byte first).
    static func seeds() -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        func addBytes(_ target: String, _ label: String, _ bytes: [UInt8]) {
            out.append(("\(target)-\(label)", [FuzzTargets.selector(target)] + bytes))
        }
        func add(_ target: String, _ label: String, _ value: some CanonicalEncodable) { addBytes(target, label, value.canonicalBytes) }

        let txs = transactions
        let block = Block(header: header, transactions: txs, evidence: evidence)
        let errors = [WireError(.forbidden, "no"), WireError(.rateLimited(retryAfterMillis: 1500), "slow down"),
                      WireError(.conflict, "request id 3 is already in flight")]
        let votes = [
            Vote(kind: .prevote, height: 7, round: 0, blockHash: header.hash, validator: validators[0].publicKey,
                 signature: signature(0x21)),
            Vote(kind: .precommit, height: 7, round: 2, blockHash: nil, validator: validators[1].publicKey,
                 signature: signature(0x22)),
        ]
        let certificate = CommitCertificate(height: 7, round: 0, blockHash: header.hash, signatures: validators.prefix(3).enumerated().map {
            CommitSignature(validator: $1.publicKey, signature: signature(UInt8(0x30 + $0)))
        })

        // Frames: one of each type, with real payloads where the type carries one.
        let frames: [(String, Frame)] = [
            ("request", Frame(.request, kind: MessageKind(.validator, 0x01), requestID: 1, payload: txs[1].canonicalBytes)),
            ("response", Frame(.response, kind: MessageKind(.indexer, 0x02), requestID: 2, payload: header.canonicalBytes)),
            ("error", Frame.error(errors[1], kind: MessageKind(.gateway, 0x03), requestID: 3)),
            ("stream-item", Frame(.streamItem, kind: MessageKind(.registry, 0x01), requestID: 4, payload: block.canonicalBytes)),
            ("stream-end", Frame(.streamEnd, kind: MessageKind(.registry, 0x01), requestID: 4)),
            ("cancel", Frame(.cancel, kind: MessageKind(.registry, 0x01), requestID: 4)),
            ("ping", Frame(.ping, kind: .connection, requestID: 7, payload: [0, 1, 2, 3, 4, 5, 6, 7])),
            ("pong", Frame(.pong, kind: .connection, requestID: 7, payload: [0, 1, 2, 3, 4, 5, 6, 7])),
        ]
        for (label, frame) in frames {
            addBytes("frame", label, frame.wireBytes)
            addBytes("frame-cap", label, [0xff, 0xff] + frame.wireBytes)
        }
        addBytes("frame", "connection-error", Frame.error(errors[0]).wireBytes)
        let keySeed = (0..<32).map { UInt8($0 &* 7 &+ 1) }
        let message = Array("parking session meter-0042".utf8)
        addBytes("ed25519-table", "signed", [0] + keySeed + [0] + message)
        addBytes("ed25519-table", "signed-damaged", [0] + keySeed + [2, 40, 0x01, 95, 0x10] + message)
        addBytes("ed25519-table", "raw", [1] + (0..<96).map { UInt8($0) } + message)
        addBytes("ed25519-table", "small-order", [2, 0, 0] + [UInt8](repeating: 0, count: 32) + message)
        addBytes("frame-cap", "over-cap", [0x00, 0x08] + frames[0].1.wireBytes)  // cap 16 < length

        for (i, e) in errors.enumerated() { add("WireError", "\(i)", e) }
        for (tx, op) in zip(txs, operations) {
            add("SignedTransaction", op.name, tx)
            add("TransactionBody", op.name, tx.body)
            add("LedgerOperation", op.name, op)
        }
        add("Block", "10-txs-2-evidence", block)
        add("Block", "empty", Block(header: header, transactions: []))
        add("BlockHeader", "h7", header)
        for (i, v) in votes.enumerated() { add("Vote", "\(i)", v) }
        add("CommitCertificate", "3-of-4", certificate)
        add("Genesis", "fixture", genesis)
        add("SealedPayload", "2-readers", SealedPayload(recipients: [
            SealedRecipient(agency: agency("hospital"), keyID: 2, encapsulatedKey: (0..<32).map { UInt8($0) },
                            wrappedKey: (0..<48).map { UInt8(0x80 + $0) }),
            SealedRecipient(agency: agency("tax-office"), keyID: 2, encapsulatedKey: (0..<32).map { UInt8(0x20 + $0) },
                            wrappedKey: (0..<48).map { UInt8(0x60 + $0) }),
        ], ciphertext: (0..<60).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
        add("ValidatorSet", "4", try! ValidatorSet(validators))
        add("Validator", "v0", validators[0])

        // Inclusion proofs over the block's transactions, for several list sizes and positions.
        let leaves = txs.map(\.canonicalBytes)
        for (count, index) in [(1, 0), (2, 1), (3, 2), (7, 4), (10, 0), (10, 9)] {
            add("InclusionProof", "\(index)-of-\(count)", MerkleTree.proof(leaves: Array(leaves.prefix(count)), index: index))
        }

        // State proofs and entries from the genesis state: present, absent, and the empty tree.
        let state = try! LedgerState(genesis: genesis)
        add("StateProof", "present", state.prove(.agency(agency("hospital"))).proof)
        add("StateProof", "absent", state.prove(.agency(agency("nobody"))).proof)
        add("StateProof", "empty-tree", StateTree().prove(hash("k")))
        add("AgencyEntry", "hospital", state.agency(agency("hospital"))!)
        add("DatasetEntry", "parcels", state.dataset(dataset("land.parcels"))!)
        add("AdminSetEntry", "genesis", state.adminSet)
        add("ChainMetaEntry", "genesis", ChainMetaEntry(chainID: chainID, height: 0, genesisHash: genesis.hash))
        add("RecordEntry", "v3", RecordEntry(version: 3, payloadHash: hash("payload"), writer: signer("land-bureau"), height: 7,
                                             transactionID: txs[1].id, deleted: false))
        add("GrantEntry", "g", GrantEntry(expiresAtHeight: 90, purpose: "assessment", grantedAtHeight: 7))
        add("AuditAnchorEntry", "a", AuditAnchorEntry(firstSequence: 0, lastSequence: 99, recordCount: 100,
                                                      merkleRoot: hash("audit"), height: 7, transactionID: txs[9].id))
        add("PendingValidatorChange", "p", PendingValidatorChange(effectiveHeight: 9, changes: [
            ValidatorChange(publicKey: publicKey(0x14), power: 10, name: "v4"),
        ]))
        add("Rejection", "replayed", Rejection.replayed(txs[0].id))
        add("Rejection", "expired", Rejection.expired(expiresAtHeight: 5, height: 9))
        add("TxOutcome", "refused", TxOutcome(transactionID: txs[0].id, index: 3, result: .failure(.replayed(txs[0].id))))
        add("Rejection", "evidence-recorded", Rejection.evidenceAlreadyRecorded(evidence[0].id, includedAtHeight: 7))
        add("Equivocation", "votes", evidence[0])
        add("Equivocation", "proposals", evidence[1])
        add("SignedProposalHeader", "fresh", proposalHeaders[0])
        add("SignedProposalHeader", "reproposed", proposalHeaders[1])
        add("EvidenceEntry", "prevote", EvidenceEntry(evidence[0], includedAtHeight: 7))
        let certified = CertifiedBlock(block: block, certificate: certificate)
        add("SubmitRequest", "wait", SubmitRequest(transaction: txs[1], waitMillis: 5000))
        add("SubmitResponse", "committed", SubmitResponse(id: txs[1].id, status: .committed(TxCommit(height: 7, index: 1, blockHash: header.hash))))
        add("SubmitResponse", "rejected", SubmitResponse(id: txs[0].id, status: .rejected(.replayed(txs[0].id))))
        add("TxStatusRequest", "id", TxStatusRequest(id: txs[2].id))
        add("GossipSubscribe", "v1", GossipSubscribe(name: "validator-1", advertise: "127.0.0.1:7101", height: 7))
        add("GossipBatch", "mixed", GossipBatch(items: [.vote(votes[0]), .transaction(txs[0]), .height(7), .evidence(evidence[0])]))
        add("BlocksRequest", "from7", BlocksRequest(from: 7, maxCount: 64))
        add("BlocksResponse", "one", BlocksResponse(latestHeight: 9, blocks: [certified]))
        add("CertifiedBlock", "block7", certified)
        add("CommitsRequest", "from1", CommitsRequest(from: 1))
        add("ValidatorStatus", "v1", ValidatorStatus(name: "validator-1", chainID: chainID, height: 7, lastBlockHash: header.hash,
                                                     lastBlockTimeMillis: 1_700_000_007_000, consensusHeight: 8, round: 0, step: 1,
                                                     voting: true, validatorSetHash: header.validatorSetHash, mempoolCount: 3,
                                                     mempoolBytes: 1200, peers: 3, evidenceSeen: 0))
        add("SignRecord", "prevote", SignRecord<Block>(height: 8, round: 0, step: .prevote, message: .vote(votes[0]), lock: nil))

        // The indexer's queries and answers, around the block above (10 transactions at height 7).
        let parcels = dataset("land.parcels"), parcel = try! SubjectKey("parcel-42")
        let zone = FieldPredicate(path: ["zone"], op: .equal, value: "\"B\"")
        add("RecordQuery", "purpose", RecordQuery(dataset: parcels, subject: parcel, purpose: "valuation"))
        add("RecordQuery", "public", RecordQuery(dataset: dataset("parking.sessions"), subject: try! SubjectKey("bay-7")))
        add("HistoryQuery", "after2", HistoryQuery(dataset: parcels, subject: parcel, afterVersion: 2, limit: 50, purpose: "valuation"))
        add("FieldPredicate", "equal", zone)
        add("FieldPredicate", "nested", FieldPredicate(path: ["owner", "address", "city"], op: .notEqual, value: "\"X\""))
        add("FieldPredicate", "exists", FieldPredicate(path: ["paid"], op: .exists, value: ""))
        add("DatasetQuery", "filtered", DatasetQuery(dataset: parcels, after: ChainCursor(height: 7, index: 2), fromTimeMillis: 1_700_000_000_000,
                                                     toTimeMillis: 1_700_000_009_000, writer: agency("tax-office"),
                                                     predicates: [zone, FieldPredicate(path: ["minutes"], op: .greaterOrEqual, value: "30")],
                                                     limit: 100, purpose: "survey"))
        add("DatasetQuery", "plain", DatasetQuery(dataset: parcels))
        add("TransactionQuery", "id", TransactionQuery(id: txs[1].id, purpose: "dispute"))
        add("BlockQuery", "h7", BlockQuery(height: 7))
        add("AuditQuery", "parcel", AuditQuery(dataset: parcels, subject: parcel, afterSequence: 10, limit: 20))
        add("ChainCursor", "7.2", ChainCursor(height: 7, index: 2))
        let certifiedHeader = CertifiedHeader(header: header, certificate: certificate)
        add("CertifiedHeader", "h7", certifiedHeader)
        let proven = ProvenTransaction(transaction: txs[1], proof: block.inclusionProof(forTransactionAt: 1)!, header: certifiedHeader)
        add("ProvenTransaction", "put", proven)
        let entry = RecordEntry(version: 1, payloadHash: hash("payload"), writer: signer("land-bureau"), height: 7,
                                transactionID: txs[1].id, deleted: false)
        add("RecordAnswer", "present", RecordAnswer(at: certifiedHeader, entry: entry, proof: state.prove(.agency(agency("hospital"))).proof,
                                                    current: proven))
        add("RecordAnswer", "absent", RecordAnswer(at: certifiedHeader, entry: nil, proof: state.prove(.agency(agency("nobody"))).proof,
                                                   current: nil))
        add("ChangesAnswer", "two", ChangesAnswer(at: certifiedHeader, items: [proven, ProvenTransaction(
            transaction: txs[2], proof: block.inclusionProof(forTransactionAt: 2)!, header: certifiedHeader)], more: true))
        add("TransactionAnswer", "put", TransactionAnswer(at: certifiedHeader, item: proven))
        add("IndexerStatus", "following", IndexerStatus(indexedHeight: 7, indexedHash: header.hash, provenHeight: 6, chainHeight: 9,
                                                        source: "127.0.0.1:7101"))
        let entries: [BlockAnswer.Entry] = txs.enumerated().map { i, tx in
            i % 3 == 1 ? .withheld(leafHash: MerkleTree.leafHash(tx.leafBytes)) : .transaction(tx)
        }
        add("BlockAnswer", "withheld", BlockAnswer(header: certifiedHeader, entries: entries))
        add("BlockAnswer.Entry", "transaction", entries[0])
        add("BlockAnswer.Entry", "withheld", entries[1])
        let disclosures = (1...4).map { i in
            DisclosureRecord(sequence: UInt64(i), reader: agency("tax-office"), dataset: parcels, subject: i == 4 ? nil : parcel,
                             timeMillis: 1_700_000_007_000 + UInt64(i), purpose: "valuation", queryKind: IndexerAPI.record.rawValue, height: 7)
        }
        add("DisclosureRecord", "subject", disclosures[0])
        add("DisclosureRecord", "dataset-wide", disclosures[3])
        let anchorEntry = AuditAnchorEntry(firstSequence: 1, lastSequence: 4, recordCount: 4,
                                           merkleRoot: MerkleTree.root(leaves: disclosures.map(\.canonicalBytes)), height: 7,
                                           transactionID: txs[9].id)
        let anchor = AnchorProof(entry: anchorEntry, inclusion: MerkleTree.proof(leaves: disclosures.map(\.canonicalBytes), index: 0),
                                 stateProof: state.prove(.auditAnchor(agency("tax-office"), firstSequence: 1)).proof)
        add("AnchorProof", "first", anchor)
        add("AuditItem", "anchored", AuditItem(record: disclosures[0], anchor: anchor))
        add("AuditItem", "pending", AuditItem(record: disclosures[1], anchor: nil))
        add("AuditAnswer", "two", AuditAnswer(at: certifiedHeader, anchoringAgency: agency("tax-office"),
                                              items: [AuditItem(record: disclosures[0], anchor: anchor), AuditItem(record: disclosures[1], anchor: nil)],
                                              more: false))

        // The gateway's messages around the same block, the relayed query and saved answers.
        let receipt = Receipt(proven)
        add("GatewaySubmit", "wait", GatewaySubmit(transaction: txs[1], waitMillis: 5000))
        add("GatewaySubmit", "admin-no-wait", GatewaySubmit(transaction: txs[5], waitMillis: 0))
        add("GatewayOutcome", "pending", GatewayOutcome(id: txs[1].id, state: .pending))
        add("GatewayOutcome", "committed", GatewayOutcome(id: txs[1].id, state: .committed(receipt)))
        add("GatewayOutcome", "rejected", GatewayOutcome(id: txs[0].id, state: .rejected(.replayed(txs[0].id))))
        add("Receipt", "put", receipt)
        let upstreams = [
            UpstreamHealth(address: "127.0.0.1:7101", healthy: true, height: 7, detail: "2 connections, 0 in flight"),
            UpstreamHealth(address: "127.0.0.1:7102", healthy: false, height: 0, detail: "connection refused"),
        ]
        add("GatewayStatus", "two-validators", GatewayStatus(chainID: chainID, headHeight: 7, validators: upstreams, indexers: [upstreams[0]]))
        add("UpstreamHealth", "healthy", upstreams[0])
        add("UpstreamHealth", "unhealthy", upstreams[1])
        add("ForwardedQuery", "record", ForwardedQuery(agency: agency("tax-office"), kind: IndexerAPI.record,
                                                       payload: RecordQuery(dataset: parcels, subject: parcel, purpose: "valuation").canonicalBytes))
        add("ForwardedQuery", "dataset", ForwardedQuery(agency: agency("tax-office"), kind: IndexerAPI.dataset,
                                                        payload: DatasetQuery(dataset: parcels).canonicalBytes))
        // The registry's messages.
        let fingerprint = Hash32.sha256(Array("certificate".utf8))
        let registryEntry = ServiceEntry(kind: .validator, id: "validator-1", address: "127.0.0.1:7101", certificateFingerprint: fingerprint,
                                 nodeKey: [UInt8](repeating: 7, count: 32), leaseMillis: 15_000, registeredAtMillis: 1_700_000_000_000,
                                 expiresAtMillis: 1_700_000_015_000, detail: "citychain 0.1.0")
        let indexerEntry = ServiceEntry(kind: .indexer, id: "indexer-1", address: "127.0.0.1:7200", certificateFingerprint: fingerprint,
                                        leaseMillis: 15_000, registeredAtMillis: 1_700_000_000_000, expiresAtMillis: 1_700_000_015_000)
        add("ServiceKey", "validator", registryEntry.key)
        add("ServiceEntry", "validator", registryEntry)
        add("ServiceEntry", "indexer", indexerEntry)
        add("RegisterRequest", "validator", RegisterRequest(kind: .validator, id: "validator-1", address: "127.0.0.1:7101",
                                                            certificateFingerprint: fingerprint, nodeKey: registryEntry.nodeKey, leaseMillis: 15_000, detail: "v"))
        add("HeartbeatRequest", "indexer", HeartbeatRequest(kind: .indexer, id: "indexer-1"))
        add("LookupRequest", "all", LookupRequest())
        add("LookupRequest", "validators", LookupRequest(kind: .validator))
        let answer = LookupAnswer(registryTimeMillis: 1_700_000_001_000, revision: 8, entries: [registryEntry, indexerEntry])
        add("LookupAnswer", "two", answer)
        add("WatchEvent", "snapshot", WatchEvent.snapshot(answer))
        add("WatchEvent", "added", WatchEvent.added(registryEntry))
        add("WatchEvent", "updated", WatchEvent.updated(indexerEntry))
        add("WatchEvent", "removed", WatchEvent.removed(registryEntry.key, .expired))
        add("WatchEvent", "keepalive", WatchEvent.keepalive(registryTimeMillis: 1_700_000_020_000, revision: 8))

        // Feeds.
        let feedRequest = FeedRequest(datasets: [parcels, dataset("parking.sessions")], subject: parcel,
                                      predicates: [FieldPredicate(text: #"zone="B""#)!], start: .after(ChainCursor(height: 7, index: 2)),
                                      purpose: "valuation")
        add("FeedStart", "beginning", FeedStart.beginning)
        add("FeedStart", "after", FeedStart.after(ChainCursor(height: 7, index: 2)))
        add("FeedRequest", "filtered", feedRequest)
        add("FeedRequest", "now", FeedRequest(datasets: [parcels]))
        add("ForwardedFeed", "tax-office", ForwardedFeed(agency: agency("tax-office"), request: feedRequest))
        add("FeedEnd", "too-slow", FeedEnd(.tooSlow, resumeAfter: ChainCursor(height: 7, index: 2), message: "read faster"))
        add("FeedEvent", "change", FeedEvent.change(proven))
        add("FeedEvent", "heartbeat", FeedEvent.heartbeat(.endOf(height: 7)))
        add("FeedEvent", "end", FeedEvent.end(FeedEnd(.accessRevoked, resumeAfter: .start, message: "revoked")))

        add("SavedAnswer", "receipt", SavedAnswer(kind: GatewayAPI.submit, query: TxStatusRequest(id: txs[1].id).canonicalBytes,
                                                  answer: receipt.canonicalBytes))
        add("SavedAnswer", "transaction", SavedAnswer(kind: IndexerAPI.transaction,
                                                      query: TransactionQuery(id: txs[1].id, purpose: "dispute").canonicalBytes,
                                                      answer: TransactionAnswer(at: certifiedHeader, item: proven).canonicalBytes))
        return out
    }

    /// Writes every seed into `dir` (created if missing), checking first that each passes its own oracles.
    static func write(to dir: String) -> CInt {
        let seeds = seeds()
        let named = Set(seeds.map { $0.1[0] })
        for (i, t) in FuzzTargets.all.enumerated() where !named.contains(UInt8(i)) {
            FileHandle.standardError.write(Data("no seed for target \(t.name)\n".utf8))
            return 1
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (name, bytes) in seeds {
                // A seed that fails its own oracle would be reported as a crash on the first run.
                _ = testOneInput(bytes, bytes.count)
                try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
            }
        } catch {
            FileHandle.standardError.write(Data("cannot write the corpus to \(dir): \(error)\n".utf8))
            return 1
        }
        print("wrote \(seeds.count) seeds (\(seeds.reduce(0) { $0 + $1.1.count }) bytes) to \(dir)")
        return 0
    }
}
