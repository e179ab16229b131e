import CityLedger

/// When a validator is ready for traffic (`/readyz`), pure: it runs, it is connected to enough
/// peers that with itself they can make a quorum of the set, and it is within `maxLagBlocks` of the
/// best height its peers report. A restarted validator is therefore not ready while it catches up,
/// so a rolling restart that waits on /readyz never takes the next one down before this one votes.
package struct ValidatorReadiness: Sendable, Hashable {
    package var halted: String?
    package var started: Bool
    /// Peers configured, and connected now.
    package var configuredPeers: Int
    package var connectedPeers: Int
    /// Validators in the set in force (equal power assumed for the peer count needed).
    package var validators: Int
    /// This node's committed height, and the best a connected peer reported (nil: none yet).
    package var height: UInt64
    package var bestPeerHeight: UInt64?
    /// How far behind the best peer the node may be and still be ready.
    package var maxLagBlocks: UInt64

    /// Peers needed: with this node, more than two thirds of the set (never more than configured).
    package var peersNeeded: Int { min(configuredPeers, max(0, (2 * validators) / 3)) }

    /// Nil when ready, else why not (what /readyz shows).
    package var problem: String? {
        if let halted { return "halted: \(halted)" }
        guard started else { return "the consensus engine has not started" }
        guard connectedPeers >= peersNeeded else {
            return "\(connectedPeers) of the \(peersNeeded) peers a quorum needs are connected (\(configuredPeers) configured)"
        }
        if configuredPeers > 0 {
            guard let best = bestPeerHeight else { return "no peer has reported its height yet" }
            if best > height + maxLagBlocks {
                return "catching up: at height \(height), peers at \(best) (ready within \(maxLagBlocks) blocks)"
            }
        }
        return nil
    }
}
