import CityChainAPI
import CityLedger
import CityWire
import CoreMetrics

/// The validator's Prometheus metrics (docs/METRICS.md). Recorded where the value changes; the
/// gauges read from the node's actor are set before each scrape (`refresh`).
enum ValidatorMetrics {
    /// A height committed (consensus decision or block sync). `took`: since this node started the
    /// height (nil for blocks applied by sync: no latency recorded).
    static func committed(height: UInt64, round: UInt32, transactions: Int, took: Duration?) {
        Gauge(label: "citychain_validator_height").record(Int64(height))
        Counter(label: "citychain_validator_commits_total").increment()
        Counter(label: "citychain_validator_committed_transactions_total").increment(by: Int64(transactions))
        if let d = took {
            CoreMetrics.Timer(label: "citychain_validator_commit_latency_seconds")
                .recordNanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
        }
    }

    /// Payloads dropped from the block log for a committed erasure.
    static func erased(payloads: Int) {
        Counter(label: "citychain_validator_erased_payloads_total").increment(by: Int64(payloads))
    }

    /// An equivocation found by this node.
    static func evidence() {
        Counter(label: "citychain_validator_equivocation_evidence_total").increment()
    }

    /// A client's submission: accepted (new, pending), duplicate (known already), rejected (by a
    /// ledger rule), refused (mempool full or validator halted: retry elsewhere).
    static func submitted(_ result: Result<TxStatus, WireError>, known: Bool) {
        let outcome: String
        switch result {
        case .success(.rejected): outcome = "rejected"
        case .success: outcome = known ? "duplicate" : "accepted"
        case .failure: outcome = "refused"
        }
        Counter(label: "citychain_validator_submits_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// Sets the gauges read from the node's state.
    static func refresh(_ node: ValidatorNode) async {
        let status = await node.status()
        Gauge(label: "citychain_validator_height").record(Int64(status.height))
        Gauge(label: "citychain_validator_round").record(Int64(status.round))
        Gauge(label: "citychain_validator_mempool_transactions").record(Int64(status.mempoolCount))
        Gauge(label: "citychain_validator_peers_connected").record(Int64(status.peers))
        let storage = await node.blockLogFigures()
        Gauge(label: "citychain_validator_first_block_height").record(Int64(storage.firstHeight))
        Gauge(label: "citychain_validator_block_log_disk_bytes").record(Int64(storage.diskBytes))
        // Make the counters visible (at 0) before their first event.
        Counter(label: "citychain_validator_commits_total").increment(by: 0)
        Counter(label: "citychain_validator_equivocation_evidence_total").increment(by: 0)
        Counter(label: "citychain_validator_committed_transactions_total").increment(by: 0)
        // Process-wide counts kept by the ledger (issue 13 item 4), read at the scrape.
        Gauge(label: "citychain_validator_transaction_decodes_total").record(Int64(TransactionWork.decodes))
        Gauge(label: "citychain_validator_transaction_id_hashes_total").record(Int64(TransactionWork.idHashes))
    }
}

extension ValidatorNode {
    /// nil when ready: started, not halted, and (with peers configured) at least one peer connected.
    package func readinessProblem() -> String? {
        let connected = Set(peerHeights.keys).intersection(connectedPeers)
        return ValidatorReadiness(halted: halted, started: started, configuredPeers: settings.peers.count, connectedPeers: connectedPeers.count,
                                  validators: state.validatorSet(forHeight: tip.height + 1)?.validators.count ?? 1, height: tip.height,
                                  bestPeerHeight: connected.compactMap { peerHeights[$0] }.max(), maxLagBlocks: settings.readyMaxLagBlocks).problem
    }
}
