import CityEncoding
import CityLedger
import CityWire
import Foundation
import Logging

/// What a state-syncing node trusts (docs/OPERATIONS.md, "Starting a node from a snapshot").
package enum StateSyncTrust: Sendable, Hashable {
    /// The genesis: the snapshot's block must be certified by the genesis validator set (so state
    /// sync from genesis works while the set has not changed; afterwards give a block).
    case genesis
    /// A block the operator trusts by height and hash (`--trust-height/--trust-hash`, e.g. from
    /// `citychain status`): the snapshot must be at or below it, and the blocks from the snapshot's
    /// up to it must link by hash to the trusted one.
    case block(height: UInt64, hash: Hash32)
    /// The genesis, carried through the validator-set changes since: an indexer at this address
    /// proves each `changeValidatorSet` in its certified block (`IndexerAPI.validatorChanges`), and
    /// the snapshot's block must be certified by the set they lead to (`--trust-changes-from`).
    case genesisThroughChanges(from: HostPort)
    /// The sets reached from the genesis through proven changes (what `.genesisThroughChanges`
    /// becomes once they are fetched and checked).
    case sets(TrustedValidatorSets)
}

/// Why state sync could not start the node, in words the operator can act on.
package struct StateSyncError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ d: String) { description = d }
}

/// The checks of state sync that need no network (pure; tested alone).
package enum StateSyncCheck {
    /// Why `offered` (the snapshot's certified block, from a peer) cannot be trusted under `trust`
    /// with `genesis`'s set, or nil. For `.block`, `links` are the headers of heights
    /// `offered.height + 1 ... trusted height`, in order, as peers sent them.
    package static func refusal(_ offered: CertifiedBlock, links: [BlockHeader], trust: StateSyncTrust, genesis: Genesis) -> String? {
        let header = offered.block.header
        guard header.chainID == genesis.chainID else { return "the peer's block \(header.height) is of chain \"\(header.chainID)\", not \"\(genesis.chainID)\"" }
        guard offered.certificate.height == header.height, offered.certificate.blockHash == header.hash else {
            return "the peer's certificate is not for its block \(header.height)"
        }
        switch trust {
        case .genesis:
            guard let set = try? ValidatorSet(genesis.validators) else { return "the genesis has no valid validator set" }
            guard header.validatorSetHash == set.hash else {
                return "block \(header.height) is signed by validator set \(header.validatorSetHash), not the genesis set \(set.hash): the set has changed since genesis, so trust cannot be carried from it here; give --trust-height and --trust-hash of a recent block (citychain status)"
            }
            do { try offered.certificate.verify(header: header, validatorSet: set) } catch {
                return "block \(header.height)'s commit certificate does not verify against the genesis validator set: \(error)"
            }
            return nil
        case .genesisThroughChanges(let from):
            return "the validator-set changes from \(from) were not fetched yet"
        case .sets(let sets):
            let set: ValidatorSet
            do { set = try sets.validatorSet(forHeight: header.height) } catch {
                return "the validator set of block \(header.height) is not known from the changes the indexer proved (\(error)); the indexer may lag the validators: try again, or give --trust-height/--trust-hash"
            }
            guard header.validatorSetHash == set.hash else {
                return "block \(header.height) names validator set \(header.validatorSetHash), but the changes proven since genesis lead to \(set.hash): a peer or the indexer follows another chain"
            }
            do { try offered.certificate.verify(header: header, validatorSet: set) } catch {
                return "block \(header.height)'s commit certificate does not verify against the validator set the proven changes lead to: \(error)"
            }
            return nil
        case let .block(height, hash):
            guard height >= header.height else { return "the snapshot's block \(header.height) is above the trusted block \(height)" }
            guard links.count == Int(height - header.height) else {
                return "\(links.count) headers link block \(header.height) to the trusted block \(height), not \(height - header.height)"
            }
            var previous = header
            for next in links {
                guard next.height == previous.height + 1, next.previousHash == previous.hash else {
                    return "block \(next.height) does not follow block \(previous.height) (its parent hash differs): a peer sent blocks of another chain"
                }
                previous = next
            }
            guard previous.hash == hash else {
                return "block \(height) hashes to \(previous.hash), not \(hash), the hash you trust: the peers follow another chain, or the trusted hash is wrong (read it from a source you trust: citychain status, an operator)"
            }
            return nil
        }
    }

    /// Why the assembled snapshot file is not the state `block` commits to, or nil (then `state`
    /// is set). Decodes the file, rebuilds the state (its entries hashed into the tree) and
    /// compares its root and validator set with the certified header's.
    package static func refusal(file: [UInt8], for block: BlockHeader, genesis: Genesis, state: inout LedgerState?) -> String? {
        let snapshot: LedgerSnapshot
        do { snapshot = try SnapshotFile.decode(file, path: "the fetched snapshot") } catch { return "\(error.detail)" }
        let s: LedgerState
        do { s = try LedgerState(snapshot: snapshot) } catch { return "the snapshot's state does not rebuild: \(error)" }
        guard s.chainID == genesis.chainID, s.genesisHash == genesis.hash, s.height == block.height, s.stateRoot == block.stateRoot else {
            return "the snapshot's state (chain \"\(s.chainID)\", height \(s.height), root \(s.stateRoot)) is not the state block \(block.height) commits to (root \(block.stateRoot))"
        }
        guard s.validatorSet(forHeight: block.height)?.hash == block.validatorSetHash else {
            return "the snapshot's validator set is not the one block \(block.height) names"
        }
        state = s
        return nil
    }
}

/// A state checked out of a peer's snapshot: the state, the certified block at its height (whose
/// state root it has), and the snapshot file's bytes as fetched.
package struct SyncedState: Sendable {
    package var state: LedgerState
    package var block: CertifiedBlock
    package var file: [UInt8]
}

/// Fetches a node's starting state from validators' snapshots instead of replaying the chain
/// from height 1 (issue 18 item 1): offers from every peer; the newest snapshot the trust allows;
/// its certified block checked against the trust; its chunks fetched round-robin from the peers
/// that offer the same file, each checked against the offer's hash (a bad chunk is fetched again
/// from another peer, and its sender named in a warning and left out); the assembled state
/// rebuilt and checked against the certified header. A validator then writes it as its own
/// snapshot and block-log base (`StateSync`); an indexer seeds its proven state and index with it.
package struct StateSyncClient: Sendable {
    package var client: WireClient
    package var peers: [HostPort]
    package var genesis: Genesis
    package var trust: StateSyncTrust
    package var logger: Logger
    package var requestTimeout: Duration = .seconds(30)

    package init(client: WireClient, peers: [HostPort], genesis: Genesis, trust: StateSyncTrust, logger: Logger) {
        self.client = client
        self.peers = peers
        self.genesis = genesis
        self.trust = trust
        self.logger = logger
    }

    /// The trust to check offers with: `.genesisThroughChanges` becomes the sets its indexer proves.
    package func resolvedTrust() async throws -> StateSyncTrust {
        guard case .genesisThroughChanges(let from) = trust else { return trust }
        var sets = try TrustedValidatorSets(genesis: genesis)
        do {
            try await sets.refresh { q in
                try await client.withConnection(host: from.host, port: from.port, expecting: .indexer) { conn in
                    try ValidatorChangesAnswer(canonicalBytes: try await conn.request(IndexerAPI.validatorChanges, q.canonicalBytes, timeout: requestTimeout))
                }
            }
        } catch {
            throw StateSyncError("state sync could not carry trust from the genesis through the validator-set changes at \(from): \(error); check --trust-changes-from (an indexer of this chain), or give --trust-height/--trust-hash")
        }
        logger.info("state sync: trust carried from the genesis through the validator-set changes", metadata: [
            "stateSync.changesFrom": "\(from)", "stateSync.changes": "\(sets.changes.count)", "chain.knownThrough": "\(sets.knownThrough)"])
        return .sets(sets)
    }

    /// The newest state the peers' snapshots and the trust allow, checked.
    package func fetch() async throws -> SyncedState {
        let began = ContinuousClock.now
        let trust = try await resolvedTrust()
        var offers: [(peer: HostPort, offer: SnapshotOffer)] = []
        for peer in peers {
            do {
                let answer = try SnapshotOffers(canonicalBytes: try await ask(peer, ValidatorAPI.snapshots, []))
                offers += answer.offers.map { (peer, $0) }
            } catch {
                logger.warning("state sync: no snapshot offers from a peer", metadata: ["peer": "\(peer)", "error": "\(error)"])
            }
        }
        let allowed = offers.filter { entry in
            if case .block(let height, _) = trust { return entry.offer.height <= height }
            return true
        }
        // One candidate per distinct file, newest first; each with the peers that offer that same file.
        var candidates: [(offer: SnapshotOffer, peers: [HostPort])] = []
        for entry in allowed.sorted(by: { $0.offer.height > $1.offer.height }) {
            if let i = candidates.firstIndex(where: { $0.offer == entry.offer }) { candidates[i].peers.append(entry.peer) }
            else { candidates.append((entry.offer, [entry.peer])) }
        }
        guard !candidates.isEmpty else {
            let why = offers.isEmpty ? "no peer offered a snapshot (peers write one every snapshot interval; wait for one, or start without --state-sync to replay from height 1)"
                : "every snapshot offered is above the trusted height: give a more recent --trust-height/--trust-hash (citychain status)"
            throw StateSyncError("state sync found nothing to start from: \(why); peers asked: \(peers.map(\.description).joined(separator: ", "))")
        }
        var failures: [String] = []
        for candidate in candidates.prefix(4) {
            do {
                let synced = try await check(candidate.offer, from: candidate.peers, trust: trust)
                logger.notice("state sync: a snapshot fetched and checked", metadata: [
                    "chain.height": "\(synced.state.height)", "storage.snapshotBytes": "\(candidate.offer.fileBytes)",
                    "stateSync.peers": "\(candidate.peers.count)", "stateSync.seconds": "\(began.duration(to: .now))",
                ])
                return synced
            } catch {
                failures.append("snapshot \(candidate.offer.height): \(error)")
                logger.warning("state sync: snapshot not used, trying an older one", metadata: ["chain.height": "\(candidate.offer.height)", "error": "\(error)"])
            }
        }
        throw StateSyncError("state sync failed: \(failures.joined(separator: "; "))")
    }

    /// Fetches and checks one offered snapshot; throws why not.
    private func check(_ offer: SnapshotOffer, from sources: [HostPort], trust: StateSyncTrust) async throws -> SyncedState {
        let block = try await certifiedBlock(offer.height, from: sources + peers)
        guard block.block.header.stateRoot == offer.stateRoot else {
            throw StateSyncError("the offer's state root \(offer.stateRoot) is not block \(offer.height)'s \(block.block.header.stateRoot)")
        }
        var links: [BlockHeader] = []
        if case .block(let height, _) = trust, height > offer.height {
            links = try await headers(from: offer.height + 1, through: height)
        }
        if let why = StateSyncCheck.refusal(block, links: links, trust: trust, genesis: genesis) { throw StateSyncError(why) }
        let file = try await fetch(offer, from: sources)
        var state: LedgerState?
        if let why = StateSyncCheck.refusal(file: file, for: block.block.header, genesis: genesis, state: &state) { throw StateSyncError(why) }
        return SyncedState(state: state!, block: block, file: file)
    }

    /// The certified block at `height`, from the first source that has it.
    private func certifiedBlock(_ height: UInt64, from sources: [HostPort]) async throws -> CertifiedBlock {
        let (block, failures) = await client.certifiedBlock(height, from: sources, timeout: requestTimeout)
        guard let block else { throw StateSyncError("no peer sent block \(height) (\(failures.joined(separator: "; ")))") }
        return block
    }

    /// The headers of `from...through`, from any peer (only their hashes and links are used).
    private func headers(from: UInt64, through: UInt64) async throws -> [BlockHeader] {
        var headers: [BlockHeader] = []
        var next = from
        var attempts = 0
        while next <= through {   // each pass adds ≥ 1 header or counts a failed attempt (bounded below)
            let peer = peers[attempts % peers.count]
            do {
                let count = UInt32(min(UInt64(ValidatorAPI.maxBlocksPerRequest), through - next + 1))
                let r = try BlocksResponse(canonicalBytes: try await ask(peer, ValidatorAPI.blocks, BlocksRequest(from: next, maxCount: count).canonicalBytes))
                guard r.blocks.first?.height == next else { throw StateSyncError("\(peer) sent no block \(next)") }
                for b in r.blocks where b.height == next && next <= through { headers.append(b.block.header); next += 1 }
            } catch {
                attempts += 1
                guard attempts < 3 * peers.count else { throw StateSyncError("could not fetch the blocks \(next)...\(through) that link the snapshot to the trusted block: \(error)") }
            }
        }
        return headers
    }

    /// The snapshot file, chunk by chunk round-robin over `sources`; a chunk that fails its hash
    /// (or any request that fails) is fetched again from the next source, and a source that sent
    /// a bad chunk is named and left out.
    private func fetch(_ offer: SnapshotOffer, from sources: [HostPort]) async throws -> [UInt8] {
        var file: [UInt8] = []
        file.reserveCapacity(Int(offer.fileBytes))
        var live = sources
        var turn = 0
        for (index, expected) in offer.chunkHashes.enumerated() {
            var tries = 0
            while true {   // bounded: each failure counts a try, and bad sources leave `live`
                guard !live.isEmpty, tries < 3 * sources.count else {
                    throw StateSyncError("chunk \(index) of snapshot \(offer.height) could not be fetched intact from any peer that offers it")
                }
                let peer = live[turn % live.count]
                turn += 1
                tries += 1
                do {
                    let chunk = try SnapshotChunk(canonicalBytes: try await ask(peer, ValidatorAPI.snapshotChunk,
                                                                               SnapshotChunkRequest(height: offer.height, index: UInt32(index)).canonicalBytes))
                    guard chunk.height == offer.height, chunk.index == UInt32(index), Hash32.sha256(chunk.bytes) == expected,
                          UInt64(chunk.bytes.count) == UInt64(offer.range(ofChunk: index).count) else {
                        logger.warning("state sync: a peer sent a bad snapshot chunk; fetching it elsewhere and leaving the peer out", metadata: [
                            "peer": "\(peer)", "chain.height": "\(offer.height)", "stateSync.chunk": "\(index)",
                        ])
                        live.removeAll { $0 == peer }
                        continue
                    }
                    file += chunk.bytes
                    break
                } catch {
                    logger.warning("state sync: a chunk request failed; asking another peer", metadata: [
                        "peer": "\(peer)", "stateSync.chunk": "\(index)", "error": "\(error)",
                    ])
                }
            }
        }
        return file
    }

    private func ask(_ peer: HostPort, _ kind: MessageKind, _ payload: [UInt8]) async throws -> [UInt8] {
        try await client.withConnection(host: peer.host, port: peer.port, expecting: .validator) { conn in
            try await conn.request(kind, payload, timeout: requestTimeout)
        }
    }
}
