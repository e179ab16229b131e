import CityConsensus
import CityEncoding
import CityLedger

extension Simulation {
    /// A node decided: check agreement, validity and integrity, store it, and start the next height
    /// after the block interval.
    func decided(_ d: Decision<TestValue>, at i: Int) {
        stats.decisions += 1
        let node = nodes[i]
        precondition(d.height == UInt64(node.chain.count + 1), "the core decides the next height only")
        if !node.isByzantine {
            if let first = decidedAt[d.height], first != d.value.id {
                violation("agreement: node\(i) decided \(d.value) at height \(d.height); another correct node decided \(first)")
            }
            decidedAt[d.height] = decidedAt[d.height] ?? d.value.id
            if !checks.verify(d.certificate, value: d.value, validators: validators) {
                violation("validity: node\(i)'s certificate for height \(d.height) does not verify")
            }
            if d.value.parent != node.tipID || !isValid(d.value, at: i) {
                violation("validity: node\(i) decided \(d.value) that does not extend its chain or carries bad transactions")
            }
        }
        nodes[i].chain.append(d)
        nodes[i].committed.formUnion(d.value.txs)
        let inBlock = Set(d.value.txs)
        nodes[i].mempool.removeAll { inBlock.contains($0) }
        queue.push(.startNext(node: i, epoch: nodes[i].epoch, height: d.height + 1), at: now + blockIntervalMillis)
    }

    /// Integrity at the end: every transaction on a correct node's chain was submitted and appears once.
    func checkIntegrity() {
        for node in nodes where !node.isByzantine {
            var seen = Set<UInt64>()
            for d in node.chain {
                for tx in d.value.txs {
                    if !submitted.contains(tx) { violation("integrity: node\(node.index) committed unsubmitted tx\(tx)") }
                    if !seen.insert(tx).inserted { violation("integrity: node\(node.index) committed tx\(tx) twice") }
                }
            }
        }
    }
}
