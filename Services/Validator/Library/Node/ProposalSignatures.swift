import CityChainAPI
import CityConsensus
import CityLedger
import Foundation

/// Checks the transaction signatures of a peer's proposal before the node validates it, on every
/// core and off the node's actor. Under load most of a proposal's transactions reach a follower in
/// the proposal before their gossip does; checked one by one inside proposal validation, they
/// were a fifth of the validators' CPU, serial on the critical path of each height (issue 13's
/// profile). Verified transactions go into `VerifiedSignatures`, which validation consults; a
/// failure here only leaves the check to validation (a key added in the same block, say).
enum ProposalSignatures {
    /// Verifies the signatures of `block`'s transactions not yet in `node.verifiedSignatures`.
    static func preverify(_ block: Block, node: ValidatorNode) async {
        await preverify(block.transactions, into: node.verifiedSignatures) { await node.signingKeys($0) }
    }

    /// Verifies those of `txs` not in `cache`, in at most `ways` parallel slices, with the keys
    /// `keys` gives for their signers; each transaction that verifies goes into `cache`.
    static func preverify(_ txs: [SignedTransaction], into cache: VerifiedSignatures, ways: Int = SignaturePool.width,
                          keys: (Set<Signer>) async -> [Signer: PublicKey]) async {
        let fresh = txs.filter { !cache.contains($0) }
        guard !fresh.isEmpty else { return }
        let known = await keys(SignatureCheck.signers(of: fresh))
        let width = max(1, min(ways, fresh.count / 16 + 1))   // small blocks: not worth the tasks
        let per = (fresh.count + width - 1) / width
        await withTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: fresh.count, by: per) {
                let slice = fresh[start..<min(fresh.count, start + per)]
                group.addTask {
                    let txs = Array(slice)
                    cache.insert(contentsOf: zip(txs, SignatureCheck.verifyAll(txs, keys: known)).filter(\.1).map(\.0))
                }
            }
        }
    }
}

/// How many signature checks run at once for one batch: the cores of the machine.
enum SignaturePool {
    static let width = max(1, min(16, ProcessInfo.processInfo.activeProcessorCount))
}
