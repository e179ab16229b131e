import CityConsensus
import CityEncoding
import CityLedger
import Crypto

/// What travels between simulated nodes.
enum SimMessage: CustomStringConvertible {
    case proposal(Proposal<TestValue>)
    case vote(Vote)
    case syncRequest(height: UInt64)
    case syncResponse(Decision<TestValue>)
    /// Compact proposals: a follower lacking some of a proposal's transactions asks its sender ...
    case fetch(Proposal<TestValue>)
    /// ... which answers with the whole proposal (unless it withholds).
    case fetched(Proposal<TestValue>)

    var description: String {
        switch self {
        case let .proposal(p): "proposal(h\(p.height) r\(p.round) vr\(p.validRound.map(String.init) ?? "-") \(p.value))"
        case let .vote(v): "\(v.kind)(h\(v.height) r\(v.round) \(v.blockHash.map { String($0.hex.prefix(8)) } ?? "nil"))"
        case let .syncRequest(h): "syncRequest(h\(h))"
        case let .syncResponse(d): "syncResponse(h\(d.height) \(d.value))"
        case let .fetch(p): "fetch(h\(p.height) r\(p.round) \(p.value))"
        case let .fetched(p): "fetched(h\(p.height) r\(p.round) \(p.value))"
        }
    }
}

/// One scheduled thing in virtual time.
enum SimEvent: CustomStringConvertible {
    case deliver(to: Int, from: Int, SimMessage)
    case timer(node: Int, epoch: Int, ConsensusTimeout)
    case startNext(node: Int, epoch: Int, height: UInt64)
    case submit(tx: UInt64)
    case crash(Int)
    case restart(Int)
    case partition([Bool])
    case heal
    case faultsEnd

    var description: String {
        switch self {
        case let .deliver(to, from, m): "deliver \(from)->\(to) \(m)"
        case let .timer(n, e, t): "node\(n)#\(e) \(t)"
        case let .startNext(n, e, h): "node\(n)#\(e) startHeight(\(h))"
        case let .submit(tx): "submit tx\(tx)"
        case let .crash(n): "crash node\(n)"
        case let .restart(n): "restart node\(n)"
        case let .partition(blocked): "partition \(blocked.enumerated().filter(\.element).map(\.offset))"
        case .heal: "heal"
        case .faultsEnd: "faults end"
        }
    }
}

/// One simulated validator: its consensus core (nil while crashed), what it persisted, its chain and mempool.
struct SimNode {
    let index: Int
    let key: Curve25519.Signing.PrivateKey
    let signer: Ed25519Signer
    let isByzantine: Bool
    var core: ConsensusCore<TestValue>?
    /// Survives a crash: the last signed record (the double-sign guard) ...
    var persisted: SignRecord<TestValue>?
    /// ... and the block store, unless the crash also wipes the disk.
    var chain: [Decision<TestValue>] = []
    var committed: Set<UInt64> = []
    /// Lost on crash.
    var mempool: [UInt64] = []
    /// Values this node proposed or received whole (it needs no fetch for them again). Lost on crash.
    var heldValues: Set<Hash32> = []
    var epoch = 0

    init(index: Int, isByzantine: Bool) {
        self.index = index
        key = Fixture.key(index)
        signer = Ed25519Signer(key)
        self.isByzantine = isByzantine
    }

    var tipID: Hash32 { chain.last?.value.id ?? .zero }
}

/// The fault plan and bounds of one run, all drawn from the seed.
struct SimScenario: CustomStringConvertible {
    var nodes: Int
    var powers: [UInt64]
    var byzantine: Int?
    var faultsEndMillis: UInt64
    var dropPercent: UInt64
    var duplicatePercent: UInt64
    var longDelayPercent: UInt64
    var crashes: Int
    var partitions: Int
    var wipePercent: UInt64
    /// Compact proposals: how often the Byzantine node withholds the transactions a follower asks
    /// for, and how often (while faults last) an answer is slow (100–1500 ms).
    var withholdPercent: UInt64 = 0
    var slowFetchPercent: UInt64 = 0
    /// Liveness: heights every correct node must add after the faults end, within `livenessMillis`.
    var livenessHeights: UInt64 = 2
    var livenessMillis: UInt64 = 30_000
    /// Transactions per proposal at most (K).
    var maxTxPerValue = 4
    var mempoolCapacity = 64

    var description: String {
        "n=\(nodes) powers=\(powers) byz=\(byzantine.map(String.init) ?? "none") faultsEnd=\(faultsEndMillis)ms "
            + "drop=\(dropPercent)% dup=\(duplicatePercent)% long=\(longDelayPercent)% crashes=\(crashes) "
            + "partitions=\(partitions) wipe=\(wipePercent)% withhold=\(withholdPercent)% slowFetch=\(slowFetchPercent)%"
    }
}
