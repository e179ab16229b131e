import CityChainAPI
import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityValidator

/// The validator process's small pure parts: bounded gossip queues, the transaction index,
/// config errors that name the key.
@Suite struct NodePartsTests {
    typealias F = MempoolFixture

    @Test func aSlowSubscriberLosesTheOldestGossipNotTheNewest() {
        let box = GossipOutbox(maxQueuedItems: 3)
        box.push((1...5).map { GossipItem.height(UInt64($0)) })
        let (items, dropped) = box.take()
        #expect(items == [.height(3), .height(4), .height(5)])
        #expect(dropped == 2)
        #expect(box.take().items.isEmpty)
        box.close()
        box.push([.height(9)])
        #expect(box.take().items.isEmpty, "a closed outbox takes nothing")
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

    @Test func configErrorsNameTheKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func load(_ json: String) throws -> ValidatorConfig {
            let path = dir.appendingPathComponent("v.json").path
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            return try ValidatorConfig.load(path)
        }
        #expect { try load(#"{"block": {"maxTransactions": "many"}}"#) } throws: { "\($0)".contains("block.maxTransactions") }
        #expect { try load(#"{"block": {"intervalMillis": 500, "heartbeatMillis": 100}}"#).blockPolicy() } throws: {
            "\($0)".contains("block.heartbeatMillis")
        }
        #expect { try load(#"{"block": {"maxTransactions": 0}}"#).blockPolicy() } throws: { "\($0)".contains("block.maxTransactions") }
        #expect { try load("{not json") } throws: { "\($0)".contains("not valid JSON") }
        let ok = try load(#"{"genesis": "g.json", "dataDir": "/var/lib/v", "block": {"intervalMillis": 5}}"#)
        #expect(ok.genesis == dir.path + "/g.json", "relative paths are relative to the file")
        #expect(ok.dataDir == "/var/lib/v")
        #expect(try ok.blockPolicy().blockIntervalMillis == 5)
        let ops = try load(#"{"opsListen": "127.0.0.1:9101", "logFormat": "json"}"#)
        #expect(ops.opsListen == "127.0.0.1:9101")
        #expect(ops.logFormat == "json")
        #expect { try load(#"{"opsListen": 9101}"#) } throws: { "\($0)".contains("opsListen") }
    }
}
