import CityEncoding
import CityLedger
import CityMerkle
import CityWire

extension IndexerAPI {
    /// What a follower of the chain needs to start at the indexer's proven height instead of at
    /// block 1 (the gateway's start): empty payload → `StartingStateAnswer`. Agencies and gateways.
    package static let startingState = MessageKind(.indexer, 0x0C)
    /// Most agencies one `StartingStateAnswer` carries; a chain with more is answered
    /// `unavailable` (the follower replays from block 1).
    package static let maxAgenciesPerStart = 2048
}

/// An agency's state entry (its keys, revoked ones kept with their height) and its state proof.
///
/// Encoding: AgencyEntry entry, StateProof proof.
@MemberwiseInit
package struct ProvenAgency: Hashable, Sendable, CanonicalCodable {
    package var entry: AgencyEntry
    package var proof: StateProof

    package func encode(to w: inout CanonicalWriter) { w.encode(entry); w.encode(proof) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        entry = try r.decode()
        proof = try r.decode()
    }
}

/// The state a follower starts from at the height of `at`, each part proven under its state root:
/// the validator set that signed `at` (state entry `validatorSet`) and the changes scheduled after
/// it (`pendingValidatorChanges`) — with `at`'s hash, the `ChainTracker` that checks every later
/// block — the registered agencies with all their keys (`agency` entries), in id order, and the
/// certificates revoked on chain (`revokedCertificates`, proven present or, when none is, absent).
/// The agencies' list is not proven complete (the state tree is keyed by hash): a follower that
/// misses an agency only lacks its keys, as before it saw the agency's registration.
///
/// Encoding: CertifiedHeader at, ValidatorSet validatorSet, StateProof validatorSetProof,
/// array<PendingValidatorChange> pending (≤ 1024), StateProof pendingProof, array<ProvenAgency>
/// agencies (≤ 2048), RevokedCertificates revoked, StateProof revokedProof.
@MemberwiseInit
package struct StartingStateAnswer: Hashable, Sendable, CanonicalCodable {
    package var at: CertifiedHeader
    package var validatorSet: ValidatorSet
    package var validatorSetProof: StateProof
    package var pending: [PendingValidatorChange]
    package var pendingProof: StateProof
    package var agencies: [ProvenAgency]
    /// The certificates revoked on chain (empty: none, and `revokedProof` proves the entry absent).
    package var revoked: RevokedCertificates
    package var revokedProof: StateProof

    /// Throws unless `at` is certified by the set `sets` gives for its height and every part is
    /// proven under its state root.
    package func verify(validatorSet sets: some ValidatorSetSource) throws(ProofFailure) {
        try at.verify(validatorSet: sets)
        let root = at.header.stateRoot
        guard validatorSet.hash == at.header.validatorSetHash,
              LedgerState.verify(.validatorSet, entry: validatorSet, proof: validatorSetProof, stateRoot: root) else {
            throw ProofFailure("the validator set given is not the one that signed block \(at.height) under its state root")
        }
        guard LedgerState.verifyPending(pending, proof: pendingProof, stateRoot: root) else {
            throw ProofFailure("the scheduled validator changes given are not the ones under the state root of block \(at.height)")
        }
        var previous: AgencyID?
        for a in agencies {
            guard previous.map({ $0 < a.entry.id }) ?? true else { throw ProofFailure("the agencies are not in strictly increasing id order at '\(a.entry.id)'") }
            previous = a.entry.id
            guard LedgerState.verify(.agency(a.entry.id), entry: a.entry, proof: a.proof, stateRoot: root) else {
                throw ProofFailure("the entry of agency '\(a.entry.id)' is not the one under the state root of block \(at.height)")
            }
        }
        guard LedgerState.verify(.revokedCertificates, entry: revoked.entries.isEmpty ? nil : revoked, proof: revokedProof, stateRoot: root) else {
            throw ProofFailure("the revoked certificates given are not the ones under the state root of block \(at.height)")
        }
    }

    /// The tracker that follows from `at` (call after `verify`).
    package var tracker: ChainTracker {
        ChainTracker(chainID: at.header.chainID, height: at.height, lastHash: at.header.hash, validatorSet: validatorSet, pending: pending)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(at); w.encode(validatorSet); w.encode(validatorSetProof); w.array(pending); w.encode(pendingProof); w.array(agencies)
        w.encode(revoked); w.encode(revokedProof)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        at = try r.decode()
        validatorSet = try r.decode()
        validatorSetProof = try r.decode()
        pending = try r.array(max: 1024, "StartingStateAnswer.pending")
        pendingProof = try r.decode()
        agencies = try r.array(max: IndexerAPI.maxAgenciesPerStart, "StartingStateAnswer.agencies")
        revoked = try r.decode()
        revokedProof = try r.decode()
    }
}
