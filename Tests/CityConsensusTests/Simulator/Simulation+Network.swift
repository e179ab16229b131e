import CityConsensus
import CityEncoding
import CityLedger

extension Simulation {
    /// Sends through the simulated network: while faults last, links may be partitioned and messages
    /// dropped, duplicated or held back (reordering); afterwards every message arrives within 30 ms.
    func send(_ message: SimMessage, from: Int, to: Int) {
        guard from != to else { return }
        if faulty {
            if blocked[from * nodes.count + to] || rng.chance(scenario.dropPercent) { return }
            if rng.chance(scenario.duplicatePercent) { queue.push(.deliver(to: to, from: from, message), at: now + delay()) }
        }
        queue.push(.deliver(to: to, from: from, message), at: now + delay())
    }

    private func delay() -> UInt64 {
        if faulty && rng.chance(scenario.longDelayPercent) { return UInt64(rng.int(50...800)) }
        return UInt64(rng.int(1...30))
    }

    func broadcastProposal(_ p: Proposal<TestValue>, from i: Int) {
        nodes[i].heldValues.insert(p.value.id)
        if nodes[i].isByzantine && p.validRound == nil && rng.chance(70) {
            // Equivocate: a second value with another salt (sometimes with a never-submitted transaction) to half the peers.
            let v = p.value
            let txs = rng.chance(30) ? v.txs + [UInt64.max - rng.below(1000)] : v.txs
            let other = TestValue(height: v.height, parent: v.parent, proposer: v.proposer, txs: txs, salt: rng.next())
            let q = Proposal.sign(height: p.height, round: p.round, validRound: nil, value: other,
                                  chainID: config.chainID, signer: nodes[i].signer)
            nodes[i].heldValues.insert(other.id)
            for to in nodes.indices { send(.proposal(to % 2 == 0 ? p : q), from: i, to: to) }
            return
        }
        for to in nodes.indices { send(.proposal(p), from: i, to: to) }
    }

    func broadcastVote(_ v: Vote, from i: Int) {
        if v.validator != nodes[i].signer.publicKey {
            // A relayed vote of another validator: forwarded as is.
        } else if nodes[i].isByzantine {
            if rng.chance(60) {
                // Equivocate: a conflicting vote for the same slot to half the peers.
                let other: Hash32? = v.blockHash == nil ? Hash32.sha256([UInt8(truncatingIfNeeded: rng.next())]) : nil
                let w = try! Vote.sign(kind: v.kind, height: v.height, round: v.round, blockHash: other,
                                       chainID: config.chainID, key: nodes[i].key)
                for to in nodes.indices { send(.vote(to % 2 == 0 ? v : w), from: i, to: to) }
                return
            }
        } else {
            checkSigned(v, by: i)
        }
        for to in nodes.indices { send(.vote(v), from: i, to: to) }
    }

    /// Double-sign and persist-before-send checks on every vote a correct node sends.
    private func checkSigned(_ v: Vote, by i: Int) {
        let slot = VoteSlot(validator: i, height: v.height, round: v.round, kind: v.kind)
        if let earlier = signedVotes[slot], earlier != v.blockHash {
            violation("double sign: node\(i) voted \(String(describing: earlier)) and \(String(describing: v.blockHash)) for \(slot)")
        }
        signedVotes[slot] = v.blockHash
        let step: ConsensusStep = v.kind == .prevote ? .prevote : .precommit
        guard let rec = nodes[i].persisted, !rec.isBefore(height: v.height, round: v.round, step: step) else {
            violation("persist before send: node\(i) sent \(v.kind) h\(v.height) r\(v.round) beyond its persisted record")
            return
        }
    }
}
