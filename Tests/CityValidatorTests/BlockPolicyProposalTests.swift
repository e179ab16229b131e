import CityEncoding
import CityLedger
import CityValidator
import Testing

/// `BlockPolicy.buildBlock` and `validateProposal` (consensus `valid(v)`).
@Suite struct BlockPolicyProposalTests {
    typealias F = MempoolFixture
    static let now = F.genesisTimeMillis + 5_000
    static let policy = BlockPolicy(maxTransactionsPerBlock: 100, maxBlockBytes: 1 << 20, maxClockDriftMillis: 2_000)

    static func build(_ txs: [SignedTransaction], policy: BlockPolicy = policy, now: UInt64 = now) -> ExecutedBlock {
        policy.buildBlock(transactions: txs, parent: F.genesisTip, state: F.state(), proposer: F.proposer, nowMillis: now)
    }

    static var sample: [SignedTransaction] { [F.parking(1), F.define("land.deeds", nonce: 2), F.parking(3, by: "land-bureau")] }

    @Test func builtBlockIsAccepted() throws {
        let built = Self.build(Self.sample)
        let h = built.block.header
        #expect(h.chainID == F.chainID && h.height == 1 && h.timeMillis == Self.now)
        #expect(h.previousHash == F.genesis.hash && h.proposer == F.proposer)
        #expect(h.transactionCount == 3 && h.transactionsRoot == Block.transactionsRoot(Self.sample))
        #expect(h.validatorSetHash == F.state().currentValidatorSet.hash)
        let checked = try Self.policy.validateProposal(block: built.block, parent: F.genesisTip, state: F.state(),
                                                       nowMillis: Self.now).get()
        #expect(checked.state.stateRoot == h.stateRoot && checked.state.height == 1)
        #expect(checked.outcomes == built.outcomes)
        #expect(F.state().dataset(F.ds("land.deeds")) == nil && checked.state.dataset(F.ds("land.deeds")) != nil)
    }

    @Test func sameInputsGiveTheSameBlockBytes() {
        #expect(Self.build(Self.sample).block.canonicalBytes == Self.build(Self.sample).block.canonicalBytes)
    }

    @Test func timeIsAfterTheParentEvenWhenTheClockIsBehind() {
        let built = Self.build([F.parking(1)], now: F.genesisTimeMillis - 10)
        #expect(built.block.header.timeMillis == F.genesisTimeMillis + 1)
    }

    @Test func heartbeatBlockIsEmptyAndValid() {
        let built = Self.build([])
        #expect(built.block.transactions.isEmpty && built.block.header.transactionCount == 0)
        #expect(Self.policy.validateProposal(block: built.block, parent: F.genesisTip, state: F.state(), nowMillis: Self.now).isSuccess)
    }

    @Test func buildLeavesOutRefusedAndOverLimitTransactions() {
        let dup = F.define("land.deeds", nonce: 9)
        let small = BlockPolicy(maxTransactionsPerBlock: 2)
        let built = Self.build(Self.sample + [dup], policy: small)
        #expect(built.block.transactions == Array(Self.sample[0..<2]))
        let refused = Self.build([F.define("land.deeds", nonce: 2), dup, F.parking(1)])
        #expect(refused.block.transactions == [F.define("land.deeds", nonce: 2), F.parking(1)])
        #expect(refused.outcomes.map(\.index) == [0, 1])
        #expect(Self.policy.validateProposal(block: refused.block, parent: F.genesisTip, state: F.state(), nowMillis: Self.now).isSuccess)
    }

    @Test func secondBlockBuildsOnTheFirst() throws {
        let first = Self.build(Self.sample)
        let tip = ChainTip(header: first.block.header)
        let second = Self.policy.buildBlock(transactions: [F.parking(4)], parent: tip, state: first.state,
                                            proposer: F.validatorKeys[1].ledgerPublicKey, nowMillis: Self.now + 1_000)
        #expect(second.block.header.previousHash == first.block.header.hash)
        let checked = try Self.policy.validateProposal(block: second.block, parent: tip, state: first.state,
                                                       nowMillis: Self.now + 1_000).get()
        #expect(checked.state.height == 2)
        // The same transaction again in block 2 is a replay.
        var replay = second.block
        replay.transactions = [F.parking(1)]
        replay.header.transactionsRoot = Block.transactionsRoot(replay.transactions)
        let refusal = Self.refusal(replay, parent: tip, state: first.state, now: Self.now + 1_000)
        #expect(refusal?.code == .invalidTransaction)
        #expect(refusal?.refusedTransaction?.result == .failure(.replayed(F.parking(1).id)))
    }

    static func refusal(_ block: Block, parent: ChainTip = F.genesisTip, state: LedgerState = F.state(),
                        policy: BlockPolicy = policy, now: UInt64 = now) -> ProposalRejection? {
        if case .failure(let r) = policy.validateProposal(block: block, parent: parent, state: state, nowMillis: now) { return r }
        return nil
    }

    /// One way to tamper with a good block, and the refusal it must get.
    struct Tamper: Sendable, CustomTestStringConvertible {
        let name: String
        let expected: ProposalRejection.Code
        let change: @Sendable (inout Block) -> Void
        var testDescription: String { name }
    }

    static let tampers: [Tamper] = [
        Tamper(name: "chain id", expected: .wrongChain) { $0.header.chainID = "other-chain" },
        Tamper(name: "parent hash", expected: .wrongPreviousHash) { $0.header.previousHash = Hash32.sha256([1]) },
        Tamper(name: "height", expected: .wrongHeight) { $0.header.height = 2 },
        Tamper(name: "time at the parent's", expected: .timeNotAfterParent) { $0.header.timeMillis = F.genesisTimeMillis },
        Tamper(name: "time in the past", expected: .timeNotAfterParent) { $0.header.timeMillis = F.genesisTimeMillis - 1 },
        Tamper(name: "time too far ahead", expected: .timeTooFarAhead) { $0.header.timeMillis = now + 2_001 },
        Tamper(name: "validator set hash", expected: .validatorSetHashMismatch) { $0.header.validatorSetHash = Hash32.sha256([2]) },
        Tamper(name: "proposer", expected: .proposerNotValidator) { $0.header.proposer = F.signingKey(0x20).ledgerPublicKey },
        Tamper(name: "transactions root", expected: .transactionsRootMismatch) { $0.header.transactionsRoot = Hash32.sha256([3]) },
        Tamper(name: "count in header", expected: .transactionCountMismatch) { $0.header.transactionCount = 2 },
        Tamper(name: "transaction dropped", expected: .transactionCountMismatch) { $0.transactions.removeLast() },
        Tamper(name: "transactions reordered", expected: .transactionsRootMismatch) { $0.transactions.swapAt(0, 2) },
        Tamper(name: "state root", expected: .stateRootMismatch) { $0.header.stateRoot = Hash32.sha256([4]) },
        Tamper(name: "forged transaction inside", expected: .invalidTransaction) { block in
            block.transactions[1] = try! SignedTransaction.sign(block.transactions[1].body, payload: block.transactions[1].payloadBytes, key: F.key("hospital"))
            block.header.transactionsRoot = Block.transactionsRoot(block.transactions)
        },
        Tamper(name: "conflicting transaction inside", expected: .invalidTransaction) { block in
            block.transactions.append(F.define("land.deeds", nonce: 7))
            block.header.transactionCount += 1
            block.header.transactionsRoot = Block.transactionsRoot(block.transactions)
        },
        Tamper(name: "too many transactions", expected: .tooManyTransactions) { block in
            block.transactions += (10..<108).map { F.parking(UInt64($0)) }
            block.header.transactionCount = UInt32(block.transactions.count)
            block.header.transactionsRoot = Block.transactionsRoot(block.transactions)
        },
        Tamper(name: "too many bytes", expected: .tooManyBytes) { block in
            block.transactions += (10..<40).map { F.parking(UInt64($0), payloadBytes: 40 * 1024) }
            block.header.transactionCount = UInt32(block.transactions.count)
            block.header.transactionsRoot = Block.transactionsRoot(block.transactions)
        },
    ]

    @Test(arguments: tampers) func tamperedBlockIsRefused(_ tamper: Tamper) {
        var block = Self.build(Self.sample).block
        tamper.change(&block)
        let refusal = Self.refusal(block)
        #expect(refusal?.code == tamper.expected, "\(refusal.map(String.init(describing:)) ?? "accepted")")
    }

    @Test func refusedTransactionIsNamed() {
        var block = Self.build(Self.sample).block
        block.transactions[1] = try! SignedTransaction.sign(block.transactions[1].body, payload: block.transactions[1].payloadBytes, key: F.key("hospital"))
        block.header.transactionsRoot = Block.transactionsRoot(block.transactions)
        let refusal = Self.refusal(block)
        #expect(refusal?.refusedTransaction?.index == 1)
        #expect(refusal?.refusedTransaction?.result == .failure(.badSignature(F.signer("land-bureau"))))
    }
}
