import CityEncoding
import Testing
@testable import CityLedger

/// Hex vectors (also in docs/protocol/ledger.md), generated once from `Fixture` keys.
/// Each checks: decode(hex) == expected value, encode(value) == hex, signatures verify, ids match.
@Suite struct VectorTests {
    typealias F = Fixture

    /// (operation name, transaction id, canonical SignedTransaction), in operation-tag order.
    static let transactions: [(String, String, String)] = [
        ("defineDataset", "dd535ea82ab14c5d5e885690b77a9627671f588560ce0661beac2382bc4de648",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000001000000
         0000000064010000000a6c616e642e64656564730100000007646565642f7631000000010000000a7461782d6f666669
         6365000000010000000b6c616e642d627572656175000000014fbd30b9a0397f9bb141f9020e273fcb60fb642c085e0e
         547adf64b84f6c22c4243dbe9acb07a02490db7ab3f4ef666921cad187e9a90a3039c5657471778c0d
         """),
        ("putRecord", "e02ee64f9b1a0a0d76440e1b62c02720a2b1357049fce352d2ce0eea85e0a938",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000002000000
         0000000064020000000c6c616e642e70617263656c730000000970617263656c2d34327002565b46b3b9a0bfba9a20a6
         72282008c0a6d108b090b40dca35416f0b1d6e000000010000000b6c616e642d6275726561750000000179324d69a0ee
         9d1815a5ecbb53aaf8a9083b54afb1915c34738482dfc81b327c5d61406e9049fef08b6af895ee75b372bfd74e359e1a
         4477e24054f0a85fe30b010000000f7b226f776e6572223a22616e61227d
         """),
        ("deleteRecord", "74d74ace5cca3af9b2a3e4b940f8af5dd15942ce6d7fdc86ee55f0587bbc9bed",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000003000000
         0000000064030000000c6c616e642e70617263656c730000000970617263656c2d3432000000066d6572676564000000
         010000000b6c616e642d6275726561750000000145ac8c29c74ab1af64e8c1047cc5659bd32f254680575f21bf1e8821
         acc9ed849a3cb9ebb80c74bc23029c5382512b2b4718f341b85b9e459a9fa95dd6748809
         """),
        ("grantAccess", "648ea97ecb1d8748428592b578f6f856b310ea2fd9311cb63fc94b8dd7484138",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000004000000
         0000000064040000000c6c616e642e70617263656c730000000a7461782d6f6666696365000000000000005a000001a3
         185c50000000000a6173736573736d656e74000000010000000b6c616e642d62757265617500000001dfee15643d8e1a
         49c3ed360a9df7a890cb20f1c90ff26a223e5bf9ed8200857ffc804fb46759d321313dc2f48be3d5956dc5d5b48c335f
         633ccd8a663aa01809
         """),
        ("revokeAccess", "9b0433e2455b092cc7a160fd882564549fb8f773d0ee1dda996eb92999747745",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d627572656175000000010000000000000005000000
         0000000064050000000c6c616e642e70617263656c730000000a7461782d6f6666696365000000010000000b6c616e64
         2d62757265617500000001a71a51994dcc742f32800baae6ae94f002ff5f4d69f41e9ed5c345e4f17609ff0b57e90d94
         48872bc69b6d254c5f31260786fed798c78db2e2a59e32eebf1303
         """),
        ("registerAgency", "7e7b7c301da85f277323a3f42cdc42fd6058add20a7a6200f4e5b4a781156647",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000600000000000000
         640600000009666972652d646570740000000f46697265204465706172746d656e7400000000020000000100ea4a6c63
         e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c0000000201603fe5551330bf6d2c174a2736fa29
         96bf8311a259b38a9ed749425a83562909000000020000000761646d696e2d61000000014162a67ef28d4a50f38f1c55
         a6c791d438d89a5b6290de160c546bcc7097b28532f9f286c919b0de3b30f7950fa20096861a6d3d34b2a0dc7c936212
         e9c435050000000761646d696e2d6200000001e8f0a19b47593719157ea2be8017d4a9250d8827277d2abd3bce243e98
         0afc4ad9cd061bba8fa08728f2a25d678cd2ba88ccb85019861f6ba7a291b1a8e54c07
         """),
        ("addAgencyKey", "4efb89dcf2ee34a0a5622882e091857fd9d548417d18fe970e0118a385b23dab",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000700000000000000
         640700000008686f73706974616c00000003001398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd1
         7d93ca000000020000000761646d696e2d61000000011a677e5715157600b1527b5f00813efdba5ce27266903a1fcdd6
         3fd6036bf545f66f1e03aa02ebbff06f26dc0c0f74cea41a3753971af988de58946b31a4ce070000000761646d696e2d
         6200000001013b86e7d1d24fc40ab3127867f6b3ad0b0f1b11b9d537bae8cf84fbc040c673e97f4ee279f117a6926baf
         0f73d0b7e6665ba5df9213c797d513f867a854bd09
         """),
        ("revokeAgencyKey", "beb1b2f8cd67f866f8bf69844d66002f5af7011c386738d7683022a94ffd0cfc",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000800000000000000
         640800000008686f73706974616c00000001000000020000000761646d696e2d6100000001bf4de1727c02396e9c49fb
         4c453a861b651e03d77ff3cb1472bb8d73bd17153c983a58596a432f51d4c4816ba937cfeec502d886df2781ef8d630f
         7f267942070000000761646d696e2d6200000001e76f6cf9cd033e40ccbf307585422c558d734c187d9832bd6b065a14
         b34a230e7cb542a65a567d01fe5006ac820546ceba26917842509ae4a3c6b11253ab1b09
         """),
        ("changeValidatorSet", "a2d569c16567aac7ad166140ea9b0b118170163e7281870db64e052893f48026",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000900000000000000
         64090000000120828bf5c5bdcacb684863336c202fb5599da48be5596615742170705beca9f7000000000000000a0000
         00027634000000020000000761646d696e2d61000000016e229bb97a878b38171d9d402644d95307040ee49aeef94057
         0d528b48733296220f3ce61cf5074ebd69ac8622694935db75872d363f516daed55ce6d0e5930e0000000761646d696e
         2d62000000013dfa9757b4cf125cf95df60f8abc92e66db8efad21f43dcea9a6a1961a34f18167646a8bb613b4a8a89e
         614cf1086eb59ef4d36f6e929862a8d0c4c7c549ee0f
         """),
        ("anchorAuditBatch", "6bb01346e5acb86db6b626144a9049aa953faac74ea94acde0eebb37a6d7ee37",
         """
         0000000e63697479636861696e2d746573740000000a7461782d6f666669636500000001000000000000000a00000000
         000000640a000000000000000000000000000000630000000000000064b81f37a043a6f767e7c94d105f4bd31282f3ec
         c20680bb9d09bd93461cf4c863000000010000000a7461782d6f666669636500000001016efdc49c5d480f5cac38d9bf
         57a820e840548b8ba7fce1f504ffb405294f4907f7250dda2ca7c06f76109a35a881065719ad0af5b1f958bc40183b57
         bb7d0f
         """),
        ("revokeCertificate", "46d8f071149bfc83356d3593b6a7f1526c9d20103ea060efa95f54a71ae2baed",
         """
         0000000e63697479636861696e2d746573740000000761646d696e2d6100000001000000000000000b00000000000000
         640b3b71d9e6e1b604db3b2c6620fc61cbc0ddef18dd795ac5d98ab3a51534a8a4d10000000d6c6170746f702073746f
         6c656e000000020000000761646d696e2d6100000001a1ae42182eb8514b28dea097b83a4de58023bce8822d43c9d398
         d6c9102a7e3b22bff5cf89264d8687058e933524e1e03fff82c787b05774963e646248c9ca050000000761646d696e2d
         6200000001c7487e93012c070b292dc0a0facab300eeb255663b766c0f07f0ccb82869c7d67e9721ed4abf956e54a627
         8d95e1c64f67dc9350b184907c06aa3ff9ce144106
         """),
        ("shareRecordKeys", "d2a0aafaeb49913928eb5d6eb330579971ef2a0555ad04a8696ae78877a7233f",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d62757265617500000001000000000000000c000000
         00000000640c0000000c6c616e642e70617263656c730000000a7461782d6f6666696365000000010000000970617263
         656c2d343200000000000000010000000a7461782d6f6666696365000000020000002011111111111111111111111111
         111111111111111111111111111111111111110000003022222222222222222222222222222222222222222222222222
         2222222222222222222222222222222222222222222222000000010000000b6c616e642d627572656175000000019037
         4b9496f20dbde2f61842a9e2b00de114b9cc09107a325818c357deca2fde4142d2904bd405ef0194f7cc5094cb0bd154
         c85a25a37805f7f6904d7c76ee05
         """),
        ("eraseRecord", "5466eba24724eb43517ef15341dac0cb814f6eb8aadc027d55d5ae7c2996c4f3",
         """
         0000000e63697479636861696e2d746573740000000b6c616e642d62757265617500000001000000000000000d000000
         00000000640d0000000c6c616e642e70617263656c730000000970617263656c2d34320000001a7265736964656e7427
         7320657261737572652072657175657374000000010000000b6c616e642d62757265617500000001bf957d853f515783
         043c9fe475aa65f8123e2cd7eda6c06fadf469e99d96287a6253c919326d658af00abdd7f3c916d55402b6b1d1befa7d
         ce0517be6bddea0e
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
        e02ee64f9b1a0a0d76440e1b62c02720a2b1357049fce352d2ce0eea85e0a9380000000000020000000c6c616e642e70
        617263656c730000000970617263656c2d34320000000000000001
        """
    static let outcomeRejected = """
        e02ee64f9b1a0a0d76440e1b62c02720a2b1357049fce352d2ce0eea85e0a93800000001010006e02ee64f9b1a0a0d76
        440e1b62c02720a2b1357049fce352d2ce0eea85e0a938
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
