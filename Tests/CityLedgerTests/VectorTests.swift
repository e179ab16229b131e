import CityEncoding
import Testing
@testable import CityLedger

/// Hex vectors (also in docs/protocol/ledger.md), generated once from `Fixture` keys.
/// Each checks: decode(hex) == expected value, encode(value) == hex, signatures verify, ids match.
@Suite struct VectorTests {
    typealias F = Fixture

    /// (operation name, transaction id, canonical SignedTransaction), in operation-tag order.
    static let transactions: [(String, String, String)] = [
        ("defineDataset", "b00c07b78c43291f54dae500d0cf0907b8b126edd96e7b6f5e4965f60e334609",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000001000000
         0000000064010000000a6c616e642e64656564730100000007646565642f7631000000010000000a7461782d6f666669
         6365000000010000000b6c616e642d62757265617500000001b3c1eb7185806b42c54467ec2c321fbaa0d8ca3c8d1089
         30075cfda3446e3d98a6834f23697be497c2287d1d3ba52c98f122cf9a85dea3abcc6217e26d7e6800
         """),
        ("putRecord", "c1c2caa11ccb21ecd1d18ff261812eeab2345d28944315dd7fe65f4ecee06e86",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000002000000
         0000000064020000000c6c616e642e70617263656c730000000970617263656c2d34320000000f7b226f776e6572223a
         22616e61227d7002565b46b3b9a0bfba9a20a672282008c0a6d108b090b40dca35416f0b1d6e000000010000000b6c61
         6e642d627572656175000000010624050da0c16fd4e4839078a76f8e9b8fe492981f38764814fd6eeabdb5b5ca9ac78c
         d1beef0f5ef2a812360b2a2cadf0b262cfcc8f5a22a9a8bf552a3f4c08
         """),
        ("deleteRecord", "e355a0197316ca55dc4e5538afc1f407da7fe1d79ca353d4a85dace11ebbabb6",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000003000000
         0000000064030000000c6c616e642e70617263656c730000000970617263656c2d3432000000066d6572676564000000
         010000000b6c616e642d62757265617500000001e68d05ca5bc12fe7f136978936c81e82a8f57138137b4e1cfa80c24b
         ce5850afbf874c80b16838cf4b208773bdc08378d763e3680b3d62bfca1c26f612fae10f
         """),
        ("grantAccess", "bcc85bbab18b0a4d46e9a7b935367bc1acdf22e597154aac90d6235b91ad963c",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000004000000
         0000000064040000000c6c616e642e70617263656c730000000a7461782d6f6666696365000000000000005a000001a3
         185c50000000000a6173736573736d656e74000000010000000b6c616e642d627572656175000000018dc05de4299d42
         a08529d0208abb403c09a87664994049a4090f891017a7b6011d27649ca1794eb3ba88b1d6e1e60cbf0f8b02fe91bda9
         49e517bb0077badb0b
         """),
        ("revokeAccess", "b283001b6eeae4e07fc0106182f671ea76ef1e5ca6a80d6627445e0ca7b11b8e",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000005000000
         0000000064050000000c6c616e642e70617263656c730000000a7461782d6f6666696365000000010000000b6c616e64
         2d6275726561750000000188608af5e44ed6403b8329ccddb484b7ee0d4d13308ff3455131e7723ef225e1806fa1580b
         8d0af25d7fe9f1e838d9035e8e1c108d61ea783b805d6b15d90006
         """),
        ("registerAgency", "fc46c4b4f3fccedefa15f5457f1a2db4b732623aa809c7d49bd4fb12d008dea1",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000600000000000000
         640600000009666972652d646570740000000f46697265204465706172746d656e7400000000020000000100ea4a6c63
         e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c0000000201603fe5551330bf6d2c174a2736fa29
         96bf8311a259b38a9ed749425a83562909000000020000000761646d696e2d6100000001450a0a2d50d267794ac1bef6
         7708ed35925df3eddfff4d2c4998e0bb79baee3a39a260865bba58db5f580fe141cd91f6f211e72bd1295fa962c889ce
         a2181c0c0000000761646d696e2d620000000177ff2804af01167f5805793f2027047c61062f05844f66b613bd731059
         a076df6202d3f10d2fdea0b9e712adaad11c8eb94f2a9d872959a1879c1d781be2da0e
         """),
        ("addAgencyKey", "1a0731b2dc60d3e088f5cac4a1fd42754169ef4c1adec0bf6fec002b44bfda55",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000700000000000000
         640700000008686f73706974616c00000003001398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd1
         7d93ca000000020000000761646d696e2d6100000001f119d95441e0cc8322dcc82c28da0c1bbede2d819b897bee8ec2
         be2886ea883e33df683f1da338222609f663bd473dc5b9913186e51ae12b4b9936a1365ce7080000000761646d696e2d
         6200000001c23696b21ec4b0603e9ed3a81bdb9f421cb764c646bed301c8fd8650269d83906a65ec15dc5429e3324351
         183a7146dc861809b1697f20520ddcefa940384005
         """),
        ("revokeAgencyKey", "46e1b2f3fb84247f6cd18fd5a20d2b9c268c6196f323f124b490e35867c88422",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000800000000000000
         640800000008686f73706974616c00000001000000020000000761646d696e2d610000000172993a6cfe4c75bf5d312c
         5aeae2999cd8878386ecbe9d6fac9a0e6a24edfd0929b994a5e8bf925fa30206ae320722be2e58d7dc899bbfd06903ef
         46f2c9cb040000000761646d696e2d620000000193424189a4d8ac49603ad56ee2883a53e4e3620d8461f4a0d00d695c
         b8c932d94fbfa7e9bf81ffd2f3acf69d0584504a8cbd648e2656b91912282810c02be100
         """),
        ("changeValidatorSet", "5073532a41287f90417365d400fcd962a9f2ef812d715bba6f90af31e3f93692",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000900000000000000
         64090000000120828bf5c5bdcacb684863336c202fb5599da48be5596615742170705beca9f7000000000000000a0000
         00027634000000020000000761646d696e2d61000000014be6e48208766bc71911548d0092eff3791ea1c026155798fc
         cce787b8cce418a7da7ba7529b2cf86d4c9027e6eed0ee9cafe842a7c68b8e7c1d8d7733ddc1080000000761646d696e
         2d6200000001116e4263df080f768f1cf2e66510f5c933b90ced43cfeb90a0f3cea6182499203dd536711857b33909ff
         556fe7971ca81d693fd7d79faf638f7c1f5a3b0edb06
         """),
        ("anchorAuditBatch", "dbb473b5410d755bd43e4c366c24e211e135cf9aede6c9f16360dcae1125160c",
         """
         0000000e63697479636861696e2d746573740000000a7461782d6f666669636500000001000000000000000a00000000
         000000640a000000000000000000000000000000630000000000000064b81f37a043a6f767e7c94d105f4bd31282f3ec
         c20680bb9d09bd93461cf4c863000000010000000a7461782d6f666669636500000001eb3b6653d5a29e10efc3b39a51
         235033763e8ee7e8a106d7ce278ae38feaa06157957a39895e9d798fe85eba5f2a1d19dbb8576abfb4fbb820018b428f
         bfd70e
         """),
        ("revokeCertificate", "85e2253723ba9abafae2fe1266ca3b1eb12af4aee399e90eb9ea5cf2a49ce04d",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000b00000000000000
         640b3b71d9e6e1b604db3b2c6620fc61cbc0ddef18dd795ac5d98ab3a51534a8a4d10000000d6c6170746f702073746f
         6c656e000000020000000761646d696e2d61000000017fe1eb4fa602644f0d8c13036e928e81679dcca7b994cb70a6e1
         27e609424485c219ef09492b93e41acef29b63ae0f0673dff67d0cf3825cf72f62a4149a8b050000000761646d696e2d
         620000000118c895879bcaa83320c3cffaf2876faa12483fa08f61e813074bdd7e0a555523f7f81364c6e806a6e17c50
         dde265d1ca6133dfcb328bb17b85bce9a5ae590003
         """),
        ("shareRecordKeys", "ba30533a3902ce0df49391327d7048a2d1b1c786da1880646b5de4c3d9bf7c63",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d62757265617500000001000000000000000c000000
         00000000640c0000000c6c616e642e70617263656c730000000a7461782d6f6666696365000000010000000970617263
         656c2d343200000000000000010000000a7461782d6f6666696365000000020000002011111111111111111111111111
         111111111111111111111111111111111111110000003022222222222222222222222222222222222222222222222222
         2222222222222222222222222222222222222222222222000000010000000b6c616e642d62757265617500000001fd33
         d1c0e403e96259dd906b61217e2a8c45faaf5d3aab3938bbd2d0424633ca000c1d09f432a733ede04b6decfca73565d5
         edf724e697085be2ebfec0c93a07
         """),
    ]

    static let headerHash = "af8e1f0c2487f4835c22c735fb3a0970c15353e32a2d5232adece85da33b429a"
    static let header = """
        0000000e63697479636861696e2d7465737400000000000000070000018bcfe58358a56e2a48b9d79b3b1e69ce262b57
        25591f340c427b75c8203fb9da5969bdb4e93fb7c727fd1c12b7f9ded83b2baa19232abda0487ee0c8b5b1d5ef49003c
        f7b400000003ee8250fb76e094b34b471f13a73dbbe51d1ae142e9df59d7c0d31ec20f0a0a8e4ba69735ca53765ed6a7
        09edb56c6ea236b7193a3b29a6b390c346f0f4340e4e66d18af4cf3d736390761abbea054bcedb18191b65128c2b057c
        def5071a16985c9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de84
        """

    static let vote = """
        0200000000000000070000000001af8e1f0c2487f4835c22c735fb3a0970c15353e32a2d5232adece85da33b429a5c9c
        6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de84b1b8a56642c0e8ef6f4fdd63cda97e6fdabc
        4572d71a7f73b3371920ae71a6c3c2581047ada38bedd906fbd745ce9a12e135d6ce716a24bfd2e2094c8e0c6203
        """

    static let certificate = """
        000000000000000700000000af8e1f0c2487f4835c22c735fb3a0970c15353e32a2d5232adece85da33b429a00000003
        204040e364c10f2bec9c1fe500a1cd4c247c89d650a01ed7e82caba867877c21ff2cf122e2fbe249dbd0e86542c5b3c5
        04818b4eb49e91b634978dd485432b56996e3eb8fd7b69dec06b6b707ada067e2c96d4427ba8159e272f9a0077cd8406
        5c9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de84b1b8a56642c0e8ef6f4fdd63cda97e6f
        dabc4572d71a7f73b3371920ae71a6c3c2581047ada38bedd906fbd745ce9a12e135d6ce716a24bfd2e2094c8e0c6203
        d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c977873733a2c0e453a334831471827de74298b8
        f190d63e034c7e35c396c94ed22b03c824d906b995368ab1e57b2ade97f763339cbb6f12ab76266a2e9e52c45edcc70f
        """

    /// v1 prevotes the vector header and nil at height 7, round 0 (`Fixture.vectorVoteEquivocation`).
    static let voteEquivocationID = "4c69014461fc8212d5b2b3d9f53b8af4e38f4bb588836d0358680ae72b14e00e"
    static let voteEquivocation = """
        010100000000000000070000000000d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c97787379e
        223e2530cd0e5e03a798ebda404cbffe7de7dfc9958be6e0f02cad93ea02eb2e4deb7e47cb299611fe89f256eeaaad4a
        d46cf32cddee53251a07d87d6b16020100000000000000070000000001af8e1f0c2487f4835c22c735fb3a0970c15353
        e32a2d5232adece85da33b429ad04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c97787374bd76f
        32cb8c55834761dd940030ec2eeffedd61cb0cc4e2134e901203b8cd36733eb2a5c976888046af5453d39dcbcd8c6625
        4cf584ccdac83f1380ab140007
        """

    /// v0 proposes the vector header afresh and SHA-256("block 7b") re-proposed from round 0, at
    /// height 7, round 1 (`Fixture.vectorProposalEquivocation`).
    static let proposalEquivocationID = "62feda5f89e90b22136c4e1bc614be89d9eb368666663914c68b7b42fc349d97"
    static let proposalEquivocation = """
        0200000000000000070000000100af8e1f0c2487f4835c22c735fb3a0970c15353e32a2d5232adece85da33b429a5c9c
        6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de842e3fa04e0ebf966f59f934c28bf310990051
        06b7e6213939373d5f32f096683ab948159ebb293de0f5f8ce88853a5adf1715a42358afee018f7502a2896571030000
        00000000000700000001010000000029972114c64ccc379c04184c67f57c112ec6d149cf722b31273bd0b2ee8107b85c
        9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de848a5ce35173337aaa8232c23ce8596b424c
        25fe171c6242673aed3f3488e1dc3cf9182d4fbbd9878a6e6a3a8bb1774efbd7c21db339690494108107ae2e2b0e0e
        """

    /// The vote equivocation recorded by block 8.
    static let evidenceEntry = """
        d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c977873700000000000000070000000002000000
        0000000008
        """

    /// `Rejection.revokedKey(hospital#1, revokedAtHeight: 8)`.
    static let rejection = "000900000008686f73706974616c000000010000000000000008"

    /// The putRecord vector transaction applied at index 0 (record version 1), then refused as a replay at index 1.
    static let grantEffect = "040000000c6c616e642e70617263656c7300000008686f73706974616c000000000000005a00000000000000000000000561756469740000000000000007"
    static let outcomeApplied = """
        c1c2caa11ccb21ecd1d18ff261812eeab2345d28944315dd7fe65f4ecee06e860000000000020000000c6c616e642e70
        617263656c730000000970617263656c2d34320000000000000001
        """
    static let outcomeRejected = """
        c1c2caa11ccb21ecd1d18ff261812eeab2345d28944315dd7fe65f4ecee06e8600000001010006c1c2caa11ccb21ecd1
        d18ff261812eeab2345d28944315dd7fe65f4ecee06e86
        """

    @Test func transactionOfEachKind() throws {
        let expected = F.sampleTransactions
        #expect(Self.transactions.count == expected.count)
        for ((name, id, hex), want) in zip(Self.transactions, expected) {
            let bytes = try #require(Hex.decode(hex))
            let tx = try SignedTransaction(canonicalBytes: bytes)
            #expect(tx.body == want.body, "\(name)")
            #expect(tx.body.operation.name == name)
            #expect(tx.canonicalBytes == bytes, "\(name)")
            #expect(tx.id.hash.hex == id, "\(name)")
            #expect(tx.signatures.map(\.signer) == want.signatures.map(\.signer))
            for s in tx.signatures {
                #expect(F.key(s.signer.agency.value).ledgerPublicKey.isValidSignature(s.signature, for: tx.body.signingMessage), "\(name)")
            }
            #expect(F.state().validate(tx, atHeight: 1) != .badSignature(tx.body.signer))
        }
    }

    @Test func blockHeader() throws {
        let bytes = try #require(Hex.decode(Self.header))
        let h = try BlockHeader(canonicalBytes: bytes)
        #expect(h == F.vectorHeader)
        #expect(F.vectorHeader.canonicalBytes == bytes)
        #expect(h.hash.hex == Self.headerHash)
    }

    @Test func vote() throws {
        let bytes = try #require(Hex.decode(Self.vote))
        let v = try Vote(canonicalBytes: bytes)
        #expect(v.kind == .precommit && v.height == 7 && v.round == 0)
        #expect(v.blockHash?.hex == Self.headerHash)
        #expect(v.validator == F.validatorKeys[0].ledgerPublicKey)
        #expect(v.canonicalBytes == bytes)
        #expect(v.verify(chainID: F.chainID))
        #expect(!v.verify(chainID: "other-chain"))
    }

    @Test func commitCertificate() throws {
        let bytes = try #require(Hex.decode(Self.certificate))
        let c = try CommitCertificate(canonicalBytes: bytes)
        #expect(c.height == 7 && c.round == 0 && c.blockHash.hex == Self.headerHash)
        #expect(Set(c.signatures.map(\.validator)) == Set(F.validatorKeys.prefix(3).map(\.ledgerPublicKey)))
        #expect(c.canonicalBytes == bytes)
        try c.verify(header: F.vectorHeader, validatorSet: F.state().currentValidatorSet)
    }

    @Test func equivocations() throws {
        for (hex, id, want) in [(Self.voteEquivocation, Self.voteEquivocationID, F.vectorVoteEquivocation),
                                (Self.proposalEquivocation, Self.proposalEquivocationID, F.vectorProposalEquivocation)] {
            let bytes = try #require(Hex.decode(hex))
            let e = try Equivocation(canonicalBytes: bytes)
            #expect(e == want && e.canonicalBytes == bytes)
            #expect(e.id.hex == id)
            try e.verify(chainID: F.chainID)
            #expect(throws: Rejection.self) { try e.verify(chainID: "other-chain") }
        }
        guard case let .votes(first, second) = F.vectorVoteEquivocation else { Issue.record("not votes"); return }
        #expect(first.blockHash == nil && second.blockHash?.hex == Self.headerHash)
        let entry = try EvidenceEntry(canonicalBytes: try #require(Hex.decode(Self.evidenceEntry)))
        #expect(entry == EvidenceEntry(F.vectorVoteEquivocation, includedAtHeight: 8))
        #expect(entry.offender == F.validatorKeys[1].ledgerPublicKey && entry.step == .prevote)
    }

    @Test func rejectionAndOutcomes() throws {
        let put = F.sampleTransactions[1]
        let rejection = Rejection.revokedKey(F.signer("hospital"), revokedAtHeight: 8)
        let rBytes = try #require(Hex.decode(Self.rejection))
        #expect(try Rejection(canonicalBytes: rBytes) == rejection)
        #expect(rejection.canonicalBytes == rBytes)
        let applied = TxOutcome(transactionID: put.id, index: 0,
                                result: .success(.recordPut(F.ds("land.parcels"), F.subject("parcel-42"), version: 1)))
        let rejected = TxOutcome(transactionID: put.id, index: 1, result: .failure(.replayed(put.id)))
        for (hex, outcome) in [(Self.outcomeApplied, applied), (Self.outcomeRejected, rejected)] {
            let bytes = try #require(Hex.decode(hex))
            #expect(try TxOutcome(canonicalBytes: bytes) == outcome)
            #expect(outcome.canonicalBytes == bytes)
        }
        // The same transaction twice in one block gives exactly these outcomes.
        var s = F.state()
        #expect(s.applyBlock([put, put], height: 1) == [applied, rejected])
    }

    /// An effect carries the entry it stored (here a grant, with its purpose): what indexers plan rows from.
    @Test func grantEffect() throws {
        let effect = TxEffect.accessGranted(F.ds("land.parcels"), F.id("hospital"),
                                            GrantEntry(expiresAtHeight: 90, purpose: "audit", grantedAtHeight: 7))
        let bytes = try #require(Hex.decode(Self.grantEffect))
        #expect(effect.canonicalBytes == bytes, "\(Hex.encode(effect.canonicalBytes))")
        #expect(try TxEffect(canonicalBytes: bytes) == effect)
    }
}
