import CityChainAPI
import CityEncoding
import CityIndexer
import CityLedger
import Testing

/// The indexer's rows come from the ledger's effects (`LedgerApplier.apply`, then `IndexPlan`): the
/// one interpretation of an operation. No PostgreSQL here: that no row is read back is the point.
@Suite struct IndexPlanTests {
    @Test func rowsComeFromTheLedgersEffectsAcrossBatches() async throws {
        var chain = IndexerChain()
        chain.block([chain.parking(0), chain.parking(500)])   // bay-0 twice: versions 1 and 2
        let stops = try DatasetID("transit.stops")
        chain.block([
            chain.tx("traffic-bureau", .defineDataset(id: stops, sensitivity: .public, schema: "stop/v1", writers: [F.id("traffic-bureau")])),
            chain.tx("traffic-bureau", IndexerChain.put(stops, "stop-1", Array(#"{"line":4}"#.utf8))),
            chain.grant(F.property, to: "hospital", by: "land-bureau", expires: 90, purpose: "audit of parcels"),
            chain.medical("patient-1", "seen at 9"),
        ])
        chain.block([chain.parking(1000)])   // bay-0 again, in a later batch

        let proven = try ProvenState(genesis: F.genesis)
        let ledger = try LedgerApplier(genesis: F.genesis, proven: proven, logger: testLogger)
        let first = try await ledger.apply([chain.blocks[0]])
        let plan1 = IndexPlan(first)
        #expect(plan1.transactions.map(\.version) == [1, 2])
        #expect(plan1.transactions.allSatisfy { $0.json != nil })   // public JSON
        // Applied but not published: answers stay where the index is.
        #expect(await proven.height == 0)
        #expect(await ledger.height == 1)
        #expect(await proven.proveRecord(dataset: F.parking, subject: try SubjectKey("bay-0")) == nil)
        await ledger.publish(first)
        #expect(await proven.height == 1)
        #expect(await proven.proveRecord(dataset: F.parking, subject: try SubjectKey("bay-0"))?.1?.version == 2)

        let second = try await ledger.apply(Array(chain.blocks[1...2]))
        let plan2 = IndexPlan(second)
        let rows = plan2.transactions
        #expect(rows.map(\.operation) == ["defineDataset", "putRecord", "grantAccess", "putRecord", "putRecord"])
        // The dataset defined in this batch is public: its payload is queryable JSON at once.
        #expect(rows[1].json == #"{"line":4}"#)
        #expect(rows[1].version == 1)
        // A restricted (sealed) payload never is.
        #expect(rows[3].json == nil && rows[3].version == 1)
        // bay-0's third version: the count is the state's, not a row read back.
        #expect(rows[4].subject?.value == "bay-0" && rows[4].version == 3)
        #expect(plan2.changes.count == 2)
        if case let .dataset(id, owner, level, schema, writers, height) = plan2.changes[0] {
            #expect(id == stops && owner == F.id("traffic-bureau") && level == .public && schema == "stop/v1" && writers == [F.id("traffic-bureau")] && height == 2)
        } else { Issue.record("first change is not the dataset: \(plan2.changes[0])") }
        if case let .grant(d, grantee, expires, expiresMillis, purpose, height) = plan2.changes[1] {
            #expect(d == F.property && grantee == F.id("hospital") && expires == 90 && expiresMillis == 0 && purpose == "audit of parcels" && height == 2)
        } else { Issue.record("second change is not the grant: \(plan2.changes[1])") }
        #expect(!plan2.registersAgency)
        await ledger.publish(second)
        #expect(await proven.height == 3)
    }

    @Test func aBlockWhoseStateRootDisagreesHaltsTheState() async throws {
        var chain = IndexerChain()
        chain.block([chain.parking(0)])
        var forged = chain.blocks[0]
        var header = forged.block.header
        header.stateRoot = Hash32(bytes: [UInt8](repeating: 7, count: 32))!
        forged.block = Block(header: header, transactions: forged.block.transactions)
        let proven = try ProvenState(genesis: F.genesis)
        let ledger = try LedgerApplier(genesis: F.genesis, proven: proven, logger: testLogger)
        await #expect(throws: IndexerError.self) { try await ledger.apply([forged]) }
        #expect(await proven.halted != nil)
        #expect(await proven.height == 0)
        // Halted for good: the right block is refused too, and nothing is ever published.
        await #expect(throws: IndexerError.self) { try await ledger.apply([chain.blocks[0]]) }
    }

    /// A batch hashed once (`LedgerState.applyBlocks`) ends in the state applying its blocks one by
    /// one gives: same outcomes, same root, replay entries that expire inside the batch pruned;
    /// and so do certified blocks executed without the ledger's checks.
    @Test func aBatchHashedOnceEndsInTheSameState() {
        var chain = IndexerChain()
        chain.block([F.tx("traffic-bureau", IndexerChain.put(F.parking, "bay-1", Array(#"{"a":1}"#.utf8)), nonce: 900, expires: 2),
                     chain.parking(2)])
        for b in 0..<5 { chain.block((0..<4).map { chain.parking(b * 4 + $0) } + [chain.property("parcel-\(b)", owner: "o\(b)")]) }
        var one = try! LedgerState(genesis: F.genesis)
        var sequential: [[TxOutcome]] = []
        for cb in chain.blocks { sequential.append(one.applyBlock(cb.block, signaturesVerified: { _ in true })) }
        var batched = try! LedgerState(genesis: F.genesis)
        let first = batched.applyBlocks(chain.blocks.prefix(3).map(\.block), signaturesVerified: { _ in true })
        #expect(batched.stateRoot == chain.blocks[2].block.header.stateRoot)
        let rest = batched.applyBlocks(chain.blocks.dropFirst(3).map(\.block), signaturesVerified: { _ in true })
        #expect(first + rest == sequential)
        #expect(batched.stateRoot == one.stateRoot && batched.stateRoot == chain.blocks.last!.block.header.stateRoot)
        #expect(batched.height == 6)
        // Certified blocks executed without the checks (the indexer's way) end in the same state.
        var trusted = try! LedgerState(genesis: F.genesis)
        let all = trusted.applyBlocks(chain.blocks.map(\.block), certified: true, signaturesVerified: { _ in true })
        #expect(all == sequential)
        #expect(trusted.stateRoot == one.stateRoot)
    }
}
