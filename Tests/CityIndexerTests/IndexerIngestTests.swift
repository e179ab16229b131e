import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer
@preconcurrency import Crypto

/// Following the chain into a real PostgreSQL (started by the tests): everything, once, verified.
@Suite(.serialized) struct IndexerIngestTests {
    /// A digest of the index's chain tables, comparable across databases and with the chain.
    static func digest(_ db: PostgresSettings) throws -> String {
        let pg = try TestPostgres.shared.get()
        return try pg.psql(db, """
            SELECT (SELECT count(*) || ':' || md5(coalesce(string_agg(encode(hash, 'hex'), '' ORDER BY height), '')) FROM citychain.blocks) || '/' ||
                   (SELECT count(*) || ':' || md5(coalesce(string_agg(encode(id, 'hex') || height || '.' || idx || coalesce(version::text, '-'), ''
                                                                      ORDER BY height, idx), '')) FROM citychain.transactions)
            """)
    }

    /// The same digest computed from the chain itself.
    static func digest(of chain: IndexerChain) -> String {
        var versions: [String: Int] = [:]
        var txText = ""
        var count = 0
        for cb in chain.blocks {
            for (i, tx) in cb.block.transactions.enumerated() {
                var v = "-"
                if case let .putRecord(d, s, _) = tx.body.operation {
                    let k = d.value + "/" + s.value
                    versions[k, default: 0] += 1
                    v = "\(versions[k]!)"
                }
                txText += tx.id.hash.description + "\(cb.height).\(i)" + v
                count += 1
            }
        }
        let blocksText = chain.blocks.map { $0.block.header.hash.description }.joined()
        func md5(_ s: String) -> String { Insecure.MD5.hash(data: Data(s.utf8)).map { String(format: "%02x", $0) }.joined() }
        return "\(chain.blocks.count):\(md5(blocksText))/\(count):\(md5(txText))"
    }

    @Test(.timeLimit(.minutes(5))) func indexesTenThousandTransactionsExactlyOnce() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(10_000, perBlock: 500)
        chain.block([chain.property("parcel-17", owner: "Ana Silva"), chain.medical("patient-1", "allergy: penicillin")])
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let db = try await TestPostgres.database().settings
        let indexer = try await TestIndexer(db: db, validators: [validator.address], ca: ca)
        try await indexer.waitFor(height: chain.height)
        // Live blocks after catch-up are indexed too.
        await holder.edit { c in c.parkingBlocks(30, perBlock: 3, start: 20_000) }
        let final = await holder.chain
        try await indexer.waitFor(height: final.height)
        await indexer.stop()
        await validator.stop()
        #expect(try Self.digest(db) == Self.digest(of: final))
        let pg = try TestPostgres.shared.get()
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.records WHERE dataset = 'parking.sessions'") == "500")
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions WHERE payload_json IS NOT NULL") == "\(10_030 + 1)")
        // Restricted payloads are never queryable JSON (they are sealed ciphertext).
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions WHERE dataset = 'medical.records' AND payload_json IS NOT NULL") == "0")
        #expect(try pg.psql(db, "SELECT height FROM citychain.index_head") == "\(final.height)")
    }

    @Test(.timeLimit(.minutes(3))) func refusesForgedBlocksAndFailsOver() async throws {
        var chain = IndexerChain()
        for i in 0..<6 { chain.block([chain.parking(i), chain.parking(100 + i)]) }
        let holder = ChainHolder(chain)
        let ca = try CertificateAuthority.create()
        let tampers: [(String, @Sendable (CertifiedBlock) -> CertifiedBlock)] = [
            ("short certificate", { cb in
                guard cb.height == 3 else { return cb }
                var b = cb
                b.certificate = IndexerChain.certify(cb.block.header, signers: 2)
                return b
            }),
            ("wrong parent", { cb in
                guard cb.height == 3 else { return cb }
                var b = cb
                b.block.header.previousHash = Hash32.sha256([9])
                b.certificate = IndexerChain.certify(b.block.header)
                return b
            }),
            ("wrong root", { cb in
                guard cb.height == 3 else { return cb }
                var b = cb
                b.block.transactions.removeLast()
                return b
            }),
            ("forged certificate", { cb in
                guard cb.height == 3 else { return cb }
                var b = cb
                let other = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x77, count: 32))
                let votes = [other] + F.validatorKeys.prefix(2)
                b.certificate = CommitCertificate(height: 3, round: 0, blockHash: cb.block.header.hash, precommits: votes.map {
                    try! Vote.sign(kind: .precommit, height: 3, round: 0, blockHash: cb.block.header.hash, chainID: F.chainID, key: $0)
                })
                return b
            }),
        ]
        for (name, tamper) in tampers {
            let bad = try await ChainServer(holder: holder, ca: ca, name: "byzantine", tamper: tamper, logger: testLogger)
            let good = try await ChainServer(holder: holder, ca: ca, name: "honest", logger: testLogger)
            let db = try await TestPostgres.database().settings
            let indexer = try await TestIndexer(db: db, validators: [bad.address, good.address], ca: ca)
            try await indexer.waitFor(height: chain.height)
            let refused = await indexer.runtime.status.refused
            await indexer.stop()
            await bad.stop()
            await good.stop()
            #expect(refused["\(bad.address)", default: 0] >= 1, "\(name): the bad validator was not reported")
            #expect(try Self.digest(db) == Self.digest(of: chain), "\(name): the index is not the honest chain")
        }
    }
}
