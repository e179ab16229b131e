import CityConsensus
import CityEncoding
import CityLedger

extension Simulation {
    func process(_ event: SimEvent) {
        switch event {
        case let .deliver(to, from, message): deliver(message, to: to, from: from)
        case let .timer(i, epoch, t):
            if nodes[i].epoch == epoch, nodes[i].core != nil { feed(i, .timeout(t)) }
        case let .startNext(i, epoch, h):
            if nodes[i].epoch == epoch, nodes[i].core != nil { feed(i, .startHeight(height: h, validators: validators, previous: nodes[i].chain.last?.certificate)) }
        case .submit: submitTransaction()
        case let .crash(i):
            nodes[i].core = nil
            nodes[i].mempool = []
            nodes[i].heldValues = []
            nodes[i].epoch += 1
        case let .restart(i): restart(i)
        case let .partition(mask): if faulty { blocked = mask }
        case .heal: blocked = Array(repeating: false, count: blocked.count)
        case .faultsEnd:
            faulty = false
            blocked = Array(repeating: false, count: blocked.count)
            for i in nodes.indices where nodes[i].core == nil { restart(i) }
            heightsAtFaultsEnd = UInt64(nodes.filter { !$0.isByzantine }.map(\.chain.count).max() ?? 0)
        }
    }

    /// Boots or restarts node `i` from what it persisted: the sign record always, the chain unless the disk was wiped.
    private func restart(_ i: Int) {
        guard nodes[i].core == nil else { return }
        if now > 0 && rng.chance(scenario.wipePercent) {
            nodes[i].chain = []
            nodes[i].committed = []
        }
        nodes[i].epoch += 1
        nodes[i].core = ConsensusCore(config: config, signer: nodes[i].signer, restoring: nodes[i].persisted)
        feed(i, .startHeight(height: UInt64(nodes[i].chain.count + 1), validators: validators,
                             previous: nodes[i].chain.last?.certificate))
    }

    private func submitTransaction() {
        let tx = nextTx
        nextTx += 1
        submitted.insert(tx)
        for _ in 0..<2 {
            let i = rng.int(0...(nodes.count - 1))
            if nodes[i].core != nil, nodes[i].mempool.count < scenario.mempoolCapacity, !nodes[i].mempool.contains(tx) {
                nodes[i].mempool.append(tx)
            }
        }
    }

    /// Feeds one event to node `i`'s core and carries out the actions, in order.
    func feed(_ i: Int, _ event: ConsensusEvent<TestValue>) {
        guard nodes[i].core != nil else { return }
        var pending = [event]
        var steps = 0
        while !pending.isEmpty {
            steps += 1
            precondition(steps < 1000, "a node's event chain is unbounded")
            let e = pending.removeFirst()
            guard let actions = nodes[i].core?.handle(e) else { return }
            for action in actions { perform(action, node: i, followUps: &pending) }
        }
    }

    private func perform(_ action: ConsensusAction<TestValue>, node i: Int, followUps: inout [ConsensusEvent<TestValue>]) {
        switch action {
        case let .signing(record): nodes[i].persisted = record
        case let .broadcastProposal(p): broadcastProposal(p, from: i)
        case let .broadcastVote(v): broadcastVote(v, from: i)
        case let .scheduleTimeout(t, ms): queue.push(.timer(node: i, epoch: nodes[i].epoch, t), at: now + ms)
        case let .needValue(h, r): followUps.append(.valueToPropose(height: h, round: r, value: buildValue(i, height: h)))
        case let .validate(h, v): followUps.append(.validated(height: h, valueID: v.id, isValid: isValid(v, at: i)))
        case let .decide(d): decided(d, at: i)
        case let .requestSync(h):
            stats.syncs += 1
            for _ in 0..<2 {
                let peer = rng.int(0...(nodes.count - 1))
                if peer != i { send(.syncRequest(height: h), from: i, to: peer) }
            }
        case .evidence:
            stats.evidence += 1
        }
    }

    /// A new value: up to K mempool transactions not yet in this node's chain.
    private func buildValue(_ i: Int, height: UInt64) -> TestValue {
        let txs = nodes[i].mempool.filter { !nodes[i].committed.contains($0) }.prefix(scenario.maxTxPerValue)
        return TestValue(height: height, parent: nodes[i].tipID, proposer: UInt16(i), txs: Array(txs))
    }

    /// valid(v) at node `i`: next height, links to the tip, at most K distinct submitted transactions not yet committed.
    func isValid(_ v: TestValue, at i: Int) -> Bool {
        v.height == UInt64(nodes[i].chain.count + 1) && v.parent == nodes[i].tipID && v.txs.count <= scenario.maxTxPerValue
            && Set(v.txs).count == v.txs.count && v.txs.allSatisfy { submitted.contains($0) && !nodes[i].committed.contains($0) }
    }

    /// Node `i` holds proposal `p` whole: consensus sees it.
    private func take(_ p: Proposal<TestValue>, at i: Int) {
        nodes[i].heldValues.insert(p.value.id)
        feed(i, .proposal(p))
    }

    private func deliver(_ message: SimMessage, to i: Int, from: Int) {
        guard nodes[i].core != nil else { return }
        stats.messages += 1
        switch message {
        case let .proposal(p):
            guard checks.verify(p) else { return }
            // Proposals travel compact: a follower lacking any of the value's transactions fetches them.
            if nodes[i].heldValues.contains(p.value.id) || p.value.txs.allSatisfy({ nodes[i].mempool.contains($0) || nodes[i].committed.contains($0) }) {
                take(p, at: i)
            } else {
                stats.fetches += 1
                send(.fetch(p), from: i, to: from)
            }
        case let .fetch(p):
            guard nodes[i].heldValues.contains(p.value.id) else { return }   // it never had it whole (crashed since)
            if nodes[i].isByzantine && rng.chance(scenario.withholdPercent) {
                stats.withheld += 1
                return
            }
            if faulty && rng.chance(scenario.slowFetchPercent) {
                queue.push(.deliver(to: from, from: i, .fetched(p)), at: now + UInt64(rng.int(100...1500)))
            } else {
                send(.fetched(p), from: i, to: from)
            }
        case let .fetched(p):
            if checks.verify(p) { take(p, at: i) }
        case let .vote(v):
            if checks.verify(v) { feed(i, .vote(v)) }
        case let .syncRequest(h):
            if h >= 1, h <= UInt64(nodes[i].chain.count) { send(.syncResponse(nodes[i].chain[Int(h - 1)]), from: i, to: from) }
        case let .syncResponse(d):
            guard let core = nodes[i].core, core.phase == .running, core.height == d.height,
                  checks.verify(d.certificate, value: d.value, validators: validators), isValid(d.value, at: i) else { return }
            feed(i, .certified(value: d.value, certificate: d.certificate))
        }
    }
}
