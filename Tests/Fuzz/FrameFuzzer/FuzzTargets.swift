import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityMerkle
import CityWire

/// A decoder under test: `run` gets the input after the selector byte and traps when an oracle fails.
struct FuzzTarget: Sendable {
    /// Stable name, used for seed file names and in trap messages.
    let name: String
    /// Decodes `input` and checks the oracles.
    let run: @Sendable ([UInt8]) -> Void
}

/// Every target, indexed by the selector byte (modulo the count). Append new targets at the end:
/// the index is part of every seed and crash file.
enum FuzzTargets {
    static let all: [FuzzTarget] = [
        // 0: `InboundFrame.parse(wireBytes:)` with the default 4 MiB cap.
        FuzzTarget(name: "frame") { FrameOracle.check($0, maxFrameBytes: Frame.defaultMaxFrameBytes) },
        // 1: the same with a cap read from the first two input bytes (8 + u16), so over-limit
        //    length fields are reached with small inputs.
        FuzzTarget(name: "frame-cap") { FrameOracle.checkWithCap($0) },
        canonical(WireError.self, "WireError"),
        canonical(SignedTransaction.self, "SignedTransaction") { tx in
            // The gateway's stateless check runs on decoded, untrusted transactions: it must not trap.
            _ = try? tx.checkStateless(chainID: tx.body.chainID)
        },
        canonical(TransactionBody.self, "TransactionBody"),
        canonical(LedgerOperation.self, "LedgerOperation"),
        canonical(Block.self, "Block") { block in _ = try? block.checkRoots() },
        canonical(BlockHeader.self, "BlockHeader"),
        canonical(Vote.self, "Vote"),
        canonical(CommitCertificate.self, "CommitCertificate"),
        canonical(Genesis.self, "Genesis") { genesis in _ = try? genesis.validate() },
        canonical(SealedPayload.self, "SealedPayload"),
        canonical(ValidatorSet.self, "ValidatorSet") { set in
            for v in set.validators where set.validator(v.publicKey) != v {
                Oracle.fail("ValidatorSet", "lookup of member \(v.publicKey) does not find it", set.canonicalBytes)
            }
        },
        canonical(Validator.self, "Validator"),
        canonical(InclusionProof.self, "InclusionProof") { proof in
            // The decoder admits only proofs whose path length fits (index, leafCount), so the
            // verifier must be able to walk every decoded proof to a root.
            if proof.rootFor(leafHash: .zero) == nil {
                Oracle.fail("InclusionProof", "decoded proof has a shape the verifier refuses (rootFor is nil)",
                            proof.canonicalBytes)
            }
        },
        canonical(StateProof.self, "StateProof") { proof in
            if proof.rootFor(key: .zero) == nil {
                Oracle.fail("StateProof", "decoded proof has a shape the verifier refuses (rootFor is nil)",
                            proof.canonicalBytes)
            }
            _ = proof.verify(key: .zero, value: nil, root: .zero)
        },
        // State entries (read back from storage and from proofs served to clients).
        canonical(AgencyEntry.self, "AgencyEntry"),
        canonical(DatasetEntry.self, "DatasetEntry"),
        canonical(RecordEntry.self, "RecordEntry"),
        canonical(GrantEntry.self, "GrantEntry"),
        canonical(AdminSetEntry.self, "AdminSetEntry"),
        canonical(ChainMetaEntry.self, "ChainMetaEntry"),
        canonical(AuditAnchorEntry.self, "AuditAnchorEntry"),
        canonical(PendingValidatorChange.self, "PendingValidatorChange"),
        canonical(Rejection.self, "Rejection"),
        canonical(TxOutcome.self, "TxOutcome"),
        // Equivocation evidence (gossiped between validators and carried in blocks) and its state entry.
        canonical(Equivocation.self, "Equivocation") { e in
            // The decoder admits only canonically ordered pairs, and the stateless check must
            // answer (never trap) for any pair it admits.
            if !e.isCanonicallyOrdered {
                Oracle.fail("Equivocation", "decoded evidence is not in canonical order", e.canonicalBytes)
            }
            _ = try? e.checkConflict()
            _ = e.id
        },
        canonical(SignedProposalHeader.self, "SignedProposalHeader"),
        canonical(EvidenceEntry.self, "EvidenceEntry"),
        // The validators' messages (docs/PROTOCOL.md part 6) and the persisted consensus sign record.
        canonical(SubmitRequest.self, "SubmitRequest"),
        canonical(SubmitResponse.self, "SubmitResponse"),
        canonical(TxStatusRequest.self, "TxStatusRequest"),
        canonical(GossipSubscribe.self, "GossipSubscribe"),
        canonical(GossipBatch.self, "GossipBatch"),
        canonical(BlocksRequest.self, "BlocksRequest"),
        canonical(BlocksResponse.self, "BlocksResponse"),
        canonical(CertifiedBlock.self, "CertifiedBlock") { b in _ = try? b.block.checkRoots() },
        canonical(CommitsRequest.self, "CommitsRequest"),
        canonical(ValidatorStatus.self, "ValidatorStatus"),
        canonical(SignRecord<Block>.self, "SignRecord"),
        // The indexer's queries and answers (docs/PROTOCOL.md part 7). Answers are also run through
        // their proof checks against the seeds' validator set: a check may fail, never trap.
        canonical(RecordQuery.self, "RecordQuery"),
        canonical(HistoryQuery.self, "HistoryQuery"),
        canonical(FieldPredicate.self, "FieldPredicate") { p in
            // The text form reads back what it wrote whenever the text is unambiguous: no segment
            // holds a dot or an operator character, and a comparison's value holds no operator
            // (in bytes: "=" and a combining mark after it are one Character but two scalars).
            let opBytes = Set("=!<>?".utf8)
            guard p.path.allSatisfy({ !$0.utf8.contains(UInt8(ascii: ".")) && !$0.utf8.contains(where: opBytes.contains) }),
                  !p.value.utf8.contains(where: opBytes.contains) else { return }
            if FieldPredicate(text: p.description) != p {
                Oracle.fail("FieldPredicate", "text form \(p.description) reads back as \(String(describing: FieldPredicate(text: p.description)))",
                            p.canonicalBytes)
            }
        },
        canonical(DatasetQuery.self, "DatasetQuery"),
        canonical(TransactionQuery.self, "TransactionQuery"),
        canonical(BlockQuery.self, "BlockQuery"),
        canonical(AuditQuery.self, "AuditQuery"),
        canonical(ChainCursor.self, "ChainCursor") { c in
            if ChainCursor(text: c.description) != c {
                Oracle.fail("ChainCursor", "text form \(c.description) does not read back", c.canonicalBytes)
            }
        },
        canonical(CertifiedHeader.self, "CertifiedHeader") { h in _ = try? h.verify(validatorSet: seedSet) },
        canonical(ProvenTransaction.self, "ProvenTransaction") { p in
            _ = p.cursor
            _ = try? p.verify(validatorSet: seedSet)
        },
        canonical(RecordAnswer.self, "RecordAnswer") { a in
            _ = a.payload
            guard case let .putRecord(d, s, _)? = a.current?.transaction.body.operation else { return }
            _ = try? a.verify(dataset: d, subject: s, validatorSet: seedSet)
        },
        canonical(ChangesAnswer.self, "ChangesAnswer") { a in
            guard case let .putRecord(d, s, _)? = a.items.first?.transaction.body.operation else { return }
            _ = try? a.verify(dataset: d, subject: s, validatorSet: seedSet)
            _ = try? a.verify(dataset: d, validatorSet: seedSet)
        },
        canonical(TransactionAnswer.self, "TransactionAnswer") { a in
            _ = try? a.verify(id: a.item.transaction.id, validatorSet: seedSet)
        },
        canonical(IndexerStatus.self, "IndexerStatus") { s in _ = s.lag },
        canonical(BlockAnswer.self, "BlockAnswer") { b in
            _ = b.entries.map(\.leafHash)
            _ = try? b.verify(height: b.header.height, validatorSet: seedSet)
        },
        canonical(BlockAnswer.Entry.self, "BlockAnswer.Entry") { e in _ = e.leafHash },
        canonical(DisclosureRecord.self, "DisclosureRecord"),
        canonical(AnchorProof.self, "AnchorProof"),
        canonical(AuditItem.self, "AuditItem"),
        canonical(AuditAnswer.self, "AuditAnswer") { a in
            // Batch ranges come from the wire (first may exceed last): the check must not trap on them.
            guard let r = a.items.first?.record, let s = r.subject else { return }
            _ = try? a.verify(dataset: r.dataset, subject: s, validatorSet: seedSet)
        },
        // The gateway's messages (docs/PROTOCOL.md part 9), the query a gateway relays to an indexer,
        // and the saved-answer file `citychain verify` reads. Receipts and saved answers then run
        // their proof checks against the seeds' validator set: a check may fail, never trap.
        canonical(GatewaySubmit.self, "GatewaySubmit") { s in
            _ = try? s.transaction.checkStateless(chainID: s.transaction.body.chainID)
        },
        canonical(GatewayOutcome.self, "GatewayOutcome") { o in
            guard case .committed(let receipt) = o.state else { return }
            _ = try? receipt.verify(id: o.id, validatorSet: seedSet)
        },
        canonical(Receipt.self, "Receipt") { r in
            _ = r.blockHash
            _ = try? r.verify(id: r.id, validatorSet: seedSet)
        },
        canonical(GatewayStatus.self, "GatewayStatus"),
        canonical(UpstreamHealth.self, "UpstreamHealth"),
        canonical(ForwardedQuery.self, "ForwardedQuery"),
        canonical(SavedAnswer.self, "SavedAnswer") { a in _ = try? a.verify(validatorSet: seedSet) },
        // The registry's messages (docs/PROTOCOL.md part 8); a decoded snapshot is diffed against
        // itself and against the empty directory, which must not trap either.
        canonical(ServiceKey.self, "ServiceKey"),
        canonical(ServiceEntry.self, "ServiceEntry") { e in _ = e.hostPort },
        canonical(RegisterRequest.self, "RegisterRequest"),
        canonical(HeartbeatRequest.self, "HeartbeatRequest"),
        canonical(LookupRequest.self, "LookupRequest"),
        canonical(LookupAnswer.self, "LookupAnswer"),
        canonical(WatchEvent.self, "WatchEvent"),
        // Feeds (docs/protocol/feeds.md): a decoded start's text form reads back; an event moves a
        // subscriber's tracker and a change runs its proof check (it may fail, never trap).
        canonical(FeedStart.self, "FeedStart") { s in
            if FeedStart(text: s.description) != s {
                Oracle.fail("FeedStart", "text form \(s.description) does not read back", s.canonicalBytes)
            }
        },
        canonical(FeedRequest.self, "FeedRequest"),
        canonical(ForwardedFeed.self, "ForwardedFeed"),
        canonical(FeedEnd.self, "FeedEnd") { e in _ = e.reason.resumable },
        canonical(FeedEvent.self, "FeedEvent") { e in
            var tracker = FeedTracker(initial: .beginning)
            _ = tracker.accept(e)
            _ = tracker.accept(e)
            if case .change(let p) = e { _ = try? p.verify(validatorSet: seedSet) }
        },
        // Not a decoder: the Ed25519 table verifier against swift-crypto, verdict by verdict.
        FuzzTarget(name: "ed25519-table") { Ed25519Oracle.check($0) },
    ]

    /// The validator set of the seeds' headers, for the answers' proof checks.
    static let seedSet = try! ValidatorSet(SeedCorpus.validators)

    /// The selector byte of the target called `name`.
    static func selector(_ name: String) -> UInt8 {
        guard let i = all.firstIndex(where: { $0.name == name }) else { preconditionFailure("no fuzz target \(name)") }
        return UInt8(i)
    }

    /// A target that runs the canonical-codec oracles on `T`, then `extra` on each decoded value.
    static func canonical<T: CanonicalCodable & Equatable & SendableMetatype>(
        _: T.Type, _ name: String, extra: (@Sendable (T) -> Void)? = nil
    ) -> FuzzTarget {
        FuzzTarget(name: name) { input in
            if let value = Oracle.canonical(T.self, name, input) { extra?(value) }
        }
    }
}
