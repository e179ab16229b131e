import CityChainAPI
import CityEncoding
import CityLedger
import Foundation
import Synchronization
import Testing
@testable import CityValidator

/// The validator process's small pure parts: bounded gossip queues, the transaction index,
/// config errors that name the key.
@Suite struct NodePartsTests {
    typealias F = MempoolFixture

    @Test func aSlowSubscriberLosesTheOldestGossipNotTheNewest() {
        let box = GossipOutbox(maxQueuedItems: 3, maxQueuedConsensusItems: 3)
        box.push((1...5).map { GossipItem.height(UInt64($0)) })
        let (items, dropped) = box.take()
        #expect(items == [.height(3), .height(4), .height(5)])
        #expect(dropped == 2)
        #expect(box.take().items.isEmpty)
        box.close()
        box.push([.height(9)])
        #expect(box.take().items.isEmpty, "a closed outbox takes nothing")
    }

    @Test func votesGoOutFirstAndAreNeverDroppedForTransactions() {
        let box = GossipOutbox(maxQueuedItems: 100)
        let txs = (1...300).map { GossipItem.transaction(F.parking(UInt64($0))) }
        let vote = GossipItem.vote(F.vote(nil, key: F.validatorKeys[1]))
        box.push(Array(txs.prefix(150)))
        box.push([vote])
        box.push(Array(txs.suffix(150)))
        #expect(box.count == 101, "the transaction lane keeps its 100 newest; the vote has its own lane")
        let first = box.take(maxItems: 10)
        #expect(first.items.first == vote, "the consensus lane is taken first")
        #expect(first.items.dropFirst() == txs[200..<209], "then the oldest kept transactions")
        #expect(first.dropped == 200)
        #expect(box.take().items == Array(txs[209...]))
    }

    @Test func verifiedSignaturesMatchTheExactSignaturesOnly() throws {
        let cache = VerifiedSignatures(capacity: 2)
        let a = F.parking(1), b = F.parking(2), c = F.parking(3)
        cache.insert(a)
        #expect(cache.contains(a) && !cache.contains(b))
        var forged = a
        var raw = forged.signatures[0].signature.bytes
        raw[0] ^= 1
        forged.signatures[0].signature = try Signature(bytes: raw)
        #expect(forged.id == a.id && !cache.contains(forged), "the same body with other signatures is not verified")
        cache.insert(contentsOf: [b, c])
        #expect(!cache.contains(a) && cache.contains(b) && cache.contains(c), "bounded: the oldest is forgotten")
    }

    @Test func aProposalsSignaturesAreCheckedInParallelSlicesBeforeValidation() async throws {
        let cache = VerifiedSignatures()
        let txs = (1...100).map { F.parking(UInt64($0), expires: 500) }
        var forged = txs[7]
        var raw = forged.signatures[0].signature.bytes
        raw[0] ^= 1
        forged.signatures[0].signature = try Signature(bytes: raw)
        let block = Array(txs.prefix(7)) + [forged] + Array(txs.dropFirst(8))
        cache.insert(txs[0])
        let asked = Mutex<[Set<Signer>]>([])
        await ProposalSignatures.preverify(block, into: cache, ways: 4) { signers in
            asked.withLock { $0.append(signers) }
            return Dictionary(uniqueKeysWithValues: signers.map { ($0, F.key($0.agency.value).ledgerPublicKey) })
        }
        #expect(asked.withLock { $0.count } == 1, "one key lookup for the whole block")
        #expect(block.filter { cache.contains($0) }.count == 99, "every good one is verified, the forged one is not")
        #expect(!cache.contains(forged))
    }

    @Test func signaturesCheckedTogetherGetEachTransactionsOwnVerdict() throws {
        let txs = (1...90).map { F.parking(UInt64($0), expires: 500) }
        var forged = txs[3]
        var raw = forged.signatures[0].signature.bytes
        raw[40] ^= 2
        forged.signatures[0].signature = try Signature(bytes: raw)
        var unsigned = txs[5]
        unsigned.signatures = []
        let stranger = F.parking(91, by: "parking-authority", expires: 500)   // a signer whose key is unknown
        let all = txs + [forged, unsigned, stranger]
        var keys = Dictionary(uniqueKeysWithValues: SignatureCheck.signers(of: all).map { ($0, F.key($0.agency.value).ledgerPublicKey) })
        keys[stranger.signatures[0].signer] = nil
        let one = all.map { SignatureCheck.verify($0, keys: keys) }
        #expect(one.filter { !$0 }.count == 3, "the forged, the unsigned and the stranger's")
        #expect(SignatureCheck.verifyAll(all, keys: keys) == one)
        #expect(SignatureCheck.verifyAll(all, keys: keys) == one, "again, every key with its table")
    }

    @Test func readinessNeedsAQuorumOfPeersAndTheirHeight() {
        var r = ValidatorReadiness(halted: nil, started: true, configuredPeers: 3, connectedPeers: 1, validators: 4,
                                   height: 50, bestPeerHeight: 100, maxLagBlocks: 2)
        #expect(r.peersNeeded == 2)
        #expect(r.problem?.contains("1 of the 2 peers a quorum needs") == true, "\(r.problem ?? "ready")")
        r.connectedPeers = 2
        #expect(r.problem?.contains("catching up: at height 50, peers at 100") == true, "a restarted validator is not ready while it syncs")
        r.height = 98
        #expect(r.problem == nil, "within two blocks of its peers it is ready")
        r.bestPeerHeight = nil
        #expect(r.problem?.contains("no peer has reported") == true)
        r.halted = "disk full"
        #expect(r.problem == "halted: disk full")
        let alone = ValidatorReadiness(halted: nil, started: true, configuredPeers: 0, connectedPeers: 0, validators: 1,
                                       height: 0, bestPeerHeight: nil, maxLagBlocks: 2)
        #expect(alone.problem == nil, "a one-validator chain is ready once started")
        let seven = ValidatorReadiness(halted: nil, started: true, configuredPeers: 6, connectedPeers: 4, validators: 7,
                                       height: 10, bestPeerHeight: 10, maxLagBlocks: 2)
        #expect(seven.peersNeeded == 4 && seven.problem == nil, "with itself, 5 of 7 is more than two thirds")
    }

    @Test func theHubFansOutToEverySubscriberUntilUnsubscribed() {
        let hub = GossipHub(maxQueuedItems: 10)
        let a = hub.subscribe(), b = hub.subscribe()
        hub.publish([.height(1)])
        hub.unsubscribe(b.id)
        hub.publish([.height(2)])
        #expect(a.outbox.take().items == [.height(1), .height(2)])
        #expect(b.outbox.take().items == [.height(1)])
        #expect(hub.count == 1)
    }

    @Test func theTransactionIndexForgetsTheOldestHeightsBeyondItsCapacity() {
        var index = TxIndex(capacity: 4)
        let blocks = (1...3).map { h -> Block in
            let txs = (0..<2).map { F.parking(UInt64(h * 10 + $0), expires: 500) }
            let header = BlockHeader(chainID: F.chainID, height: UInt64(h), timeMillis: 1, previousHash: .zero,
                                     transactionsRoot: Block.transactionsRoot(txs), transactionCount: 2, stateRoot: .zero,
                                     validatorSetHash: .zero, proposer: F.proposer)
            return Block(header: header, transactions: txs)
        }
        for b in blocks { index.record(b) }
        #expect(index.count == 4)
        #expect(index[blocks[0].transactions[0].id] == nil, "height 1 was forgotten first")
        let place = index[blocks[2].transactions[1].id]
        #expect(place == TxCommit(height: 3, index: 1, blockHash: blocks[2].header.hash))
    }

    @Test func tuningErrorsNameTheKey() throws {
        func tuning(_ args: [String]) throws -> ValidatorTuning { try ValidatorTuning.parse(args) }
        #expect { try tuning(["--block-interval-ms", "500", "--block-heartbeat-ms", "100"]).blockPolicy() } throws: {
            "\($0)".contains("block.heartbeatMillis")
        }
        #expect { try tuning(["--block-max-transactions", "0"]).blockPolicy() } throws: { "\($0)".contains("block.maxTransactions") }
        #expect { try tuning(["--block-max-bytes", "100"]).blockPolicy() } throws: { "\($0)".contains("block.maxBytes") }
        #expect { try tuning(["--mempool-max-per-signer", "0"]).mempoolLimits() } throws: { "\($0)".contains("mempool.maxPerSigner") }
        #expect { try tuning(["--consensus-propose-base-ms", "0"]).consensusConfig(chainID: "c") } throws: { "\($0)".contains("consensus.") }
        let ok = try tuning(["--block-interval-ms", "5", "--consensus-rebroadcast-ms", "700"])
        #expect(try ok.blockPolicy().blockIntervalMillis == 5)
        #expect(try ok.consensusConfig(chainID: "c").rebroadcastMillis == 700)
        let defaults = try tuning([])
        #expect(try defaults.blockPolicy().heartbeatIntervalMillis == 10_000 && defaults.mempoolMaxTransactions == 50_000)
    }
}
