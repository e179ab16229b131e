import CityEncoding
import CityLedger
import Testing
@testable import CityValidator

@Suite struct ChainRecoveryTests {
    @Test func replayGivesTheSameStateRootAsApplyingDirectly() throws {
        let chain = Chain.make(blocks: 5, transactions: 3)
        let dir = TempDir()
        let path = dir.file("blocks.log")
        do {
            let log = try openLog(path)
            try log.append(contentsOf: chain.records)
            log.close()
        }
        let log = try openLog(path)
        let (state, height) = try ChainRecovery.rebuild(genesis: Chain.genesis, log: log)
        #expect(height == 5)
        #expect(state.height == 5)
        #expect(state.stateRoot == chain.state.stateRoot)
        #expect(state.stateRoot == chain.records[4].block.header.stateRoot)
    }

    @Test func anEmptyLogRebuildsTheGenesisState() throws {
        let dir = TempDir()
        let (state, height) = try ChainRecovery.rebuild(genesis: Chain.genesis, log: try openLog(dir.file("blocks.log")))
        #expect(height == 0)
        #expect(state.stateRoot == (try LedgerState(genesis: Chain.genesis)).stateRoot)
    }

    @Test func aHeaderWithAnotherStateRootIsRefused() throws {
        var chain = Chain.make(blocks: 2)
        // Block 3 certified by the validators but claiming a state root replay will not reach.
        var record = chain.next()
        record.block.header.stateRoot = Hash32.sha256(Array("not the state".utf8))
        record.certificate = Chain.certify(record.block.header)
        let dir = TempDir()
        let log = try openLog(dir.file("blocks.log"))
        try log.append(contentsOf: Array(chain.records.prefix(2)) + [record])
        let error = #expect(throws: BlockStoreError.self) { try ChainRecovery.rebuild(genesis: Chain.genesis, log: log) }
        #expect(error?.code == .stateRootMismatch)
        #expect(error?.height == 3)
    }

    @Test func aCertificateWithoutQuorumIsRefused() throws {
        let chain = Chain.make(blocks: 1)
        var record = chain.records[0]
        let header = record.block.header
        let vote = try Vote.sign(kind: .precommit, height: 1, round: 0, blockHash: header.hash, chainID: Chain.chainID,
                                 key: Chain.validatorKeys[0])
        record.certificate = CommitCertificate(height: 1, round: 0, blockHash: header.hash, precommits: [vote])
        let dir = TempDir()
        let log = try openLog(dir.file("blocks.log"))
        try log.append(contentsOf: [record])
        let error = #expect(throws: BlockStoreError.self) { try ChainRecovery.rebuild(genesis: Chain.genesis, log: log) }
        #expect(error?.code == .invalidBlock)
        #expect(try ChainRecovery.rebuild(genesis: Chain.genesis, log: log, verifyCertificates: false).lastHeight == 1)
    }
}
