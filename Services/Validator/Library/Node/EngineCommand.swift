import CityConsensus
import CityLedger

/// A timer the node asked for.
package enum NodeTimer: Hashable, Sendable {
    /// A consensus timeout, fed back to the core.
    case consensus(ConsensusTimeout)
    /// Re-check whether the next height should start (block interval or heartbeat reached).
    case gate
    /// Gossip the committed height again.
    case announce
}

/// What the node asks the engine (its task owner) to do: the node is an actor with no tasks of its own.
package enum EngineCommand: Sendable {
    /// Call `node.fire(timer)` after `millis`.
    case timer(NodeTimer, millis: UInt64)
    /// Fetch certified blocks from peers (the node is behind).
    case sync
    /// Gossip with this address too (a peer subscribed and advertised it).
    case follow(String)
    /// Write a snapshot of this committed state (off the node's serial path).
    case snapshot(LedgerState)
    /// Storage failed in a way only a restart can recover from: stop the process.
    case fatal(String)
}
