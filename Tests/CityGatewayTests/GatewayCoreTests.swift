import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityWire
import Testing
@testable import CityGateway
@preconcurrency import Crypto

/// The gateway's pure parts: token buckets, the key directory, the cheap checks, and its messages.
struct GatewayCoreTests {
    static let chainID = "gw-test"
    static func key(_ b: UInt8) -> Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: b, count: 32)) }
    static func id(_ s: String) -> AgencyID { try! AgencyID(s) }
    static let parking = try! DatasetID("parking.sessions")

    static var genesis: Genesis {
        Genesis(chainID: chainID, genesisTimeMillis: 1_700_000_000_000,
                validators: [Validator(publicKey: key(0x10).ledgerPublicKey, power: 10, name: "v0")], adminThreshold: 1,
                agencies: [GenesisAgency(id: id("admin-a"), name: "Admin", isAdmin: true, keys: [AgencyKey(keyID: 1, material: .signing(key(1).ledgerPublicKey))]),
                           GenesisAgency(id: id("traffic-bureau"), name: "Traffic", isAdmin: false, keys: [AgencyKey(keyID: 1, material: .signing(key(2).ledgerPublicKey))])],
                datasets: [GenesisDataset(id: parking, owner: id("traffic-bureau"), sensitivity: .public, schema: "parking/v1", writers: [])])
    }

    static func tx(_ agency: String = "traffic-bureau", keyID: KeyID = 1, key k: Curve25519.Signing.PrivateKey = key(2), nonce: UInt64 = 1,
                   expires: UInt64 = 100, chain: String = chainID, op: LedgerOperation? = nil, payload: [UInt8]? = nil) -> SignedTransaction {
        let bay = Array(#"{"bay":1}"#.utf8)
        let operation = op ?? .putRecord(dataset: parking, subject: try! SubjectKey("bay-1"), payloadHash: Hash32.sha256(bay))
        return try! SignedTransaction.sign(TransactionBody(chainID: chain, signer: Signer(agency: id(agency), keyID: keyID), nonce: nonce,
                                                           expiresAtHeight: expires, operation: operation),
                                           payload: op == nil ? bay : payload, key: k)
    }

    static func block(_ height: UInt64, _ txs: [SignedTransaction]) -> Block {
        Block(header: BlockHeader(chainID: chainID, height: height, timeMillis: 0, previousHash: Hash32.sha256([]), transactionsRoot: Hash32.sha256([]),
                                  transactionCount: UInt32(txs.count), stateRoot: Hash32.sha256([]), validatorSetHash: Hash32.sha256([]),
                                  proposer: key(0x10).ledgerPublicKey), transactions: txs)
    }

    // MARK: - Rate limits

    @Test func tokenBucketGrantsTheBurstThenRefillsAtTheRate() {
        var b = TokenBucket(rate: 10, burst: 3, now: 0)
        #expect((0..<3).map { _ in b.take(now: 0) } == [.granted, .granted, .granted])
        #expect(b.take(now: 0) == .retryAfter(millis: 100), "one token every 100 ms at 10/s")
        #expect(b.take(now: 0.05) == .retryAfter(millis: 50))
        #expect(b.take(now: 0.1) == .granted)
        #expect(b.take(now: 10) == .granted, "refills up to the burst, not beyond")
        #expect(b.take(now: 10) == .granted)
        #expect(b.take(now: 10) == .granted)
        #expect(b.take(now: 10) != .granted)
        #expect(b.take(now: 5) != .granted, "a clock going backwards grants nothing")
    }

    @Test func eachAgencyHasItsOwnBucketAndRate() {
        var l = RateLimiter(defaultRate: AgencyRate(perSecond: 1, burst: 1), overrides: [Self.id("traffic-bureau"): AgencyRate(perSecond: 1000, burst: 100)])
        #expect(l.take(Self.id("tax-office"), now: 0) == .granted)
        #expect(l.take(Self.id("tax-office"), now: 0) == .retryAfter(millis: 1000))
        for _ in 0..<100 { #expect(l.take(Self.id("traffic-bureau"), now: 0) == .granted, "another agency is not slowed") }
        #expect(l.take(Self.id("hospital"), now: 0) == .granted, "a third starts with its own full bucket")
        #expect(l.agencyCount == 3)
    }

    @Test func agencyRatesParseWithTheirErrors() {
        #expect(AgencyRate(text: "500:1000") == AgencyRate(perSecond: 500, burst: 1000))
        #expect(AgencyRate(text: "5") == AgencyRate(perSecond: 5, burst: 10))
        #expect(AgencyRate(text: "0.5") == AgencyRate(perSecond: 0.5, burst: 1))
        for bad in ["", "0", "-1", "x", "5:0", "5:x", "1:2:3", "inf", "nan"] { #expect(AgencyRate(text: bad) == nil, "\(bad)") }
    }

    // MARK: - Keys and checks

    @Test func keyDirectoryFollowsRegistrationsAdditionsAndRevocationsInOrder() {
        var keys = KeyDirectory(genesis: Self.genesis)
        let traffic = Signer(agency: Self.id("traffic-bureau"), keyID: 1)
        #expect(keys.key(traffic) == .active(Self.key(2).ledgerPublicKey))
        let added = Signer(agency: Self.id("traffic-bureau"), keyID: 2)
        #expect(keys.key(added) == nil)
        keys.apply(Self.block(2, [Self.tx("admin-a", key: Self.key(1), op: .addAgencyKey(agency: Self.id("traffic-bureau"), key: AgencyKey(keyID: 2, material: .signing(Self.key(3).ledgerPublicKey))))]))
        #expect(keys.height == 0 && keys.key(added) == nil, "a block out of order is ignored")
        keys.apply(Self.block(1, [Self.tx("admin-a", key: Self.key(1), op: .addAgencyKey(agency: Self.id("traffic-bureau"), key: AgencyKey(keyID: 2, material: .signing(Self.key(3).ledgerPublicKey))))]))
        #expect(keys.key(added) == .active(Self.key(3).ledgerPublicKey))
        keys.apply(Self.block(2, [Self.tx("admin-a", key: Self.key(1), op: .revokeAgencyKey(agency: Self.id("traffic-bureau"), keyID: 1)),
                                  Self.tx("admin-a", key: Self.key(1), nonce: 2, op: .registerAgency(id: Self.id("hospital"), name: "H", isAdmin: false,
                                                                                                   keys: [AgencyKey(keyID: 1, material: .signing(Self.key(4).ledgerPublicKey))]))]))
        #expect(keys.key(traffic) == .revoked(atHeight: 2))
        #expect(keys.knows(Self.id("hospital")))
        #expect(keys.height == 2)
        // Certificates revoked on chain: kept sorted, with their height (the gateway's server refuses them).
        let leaked = Hash32.sha256([7]), stolen = Hash32.sha256([8])
        keys.apply(Self.block(3, [Self.tx("admin-a", key: Self.key(1), nonce: 3, op: .revokeCertificate(fingerprint: stolen, reason: "stolen")),
                                  Self.tx("admin-a", key: Self.key(1), nonce: 4, op: .revokeCertificate(fingerprint: leaked, reason: "leaked"))]))
        #expect(keys.revokedCertificates.entries.map(\.fingerprint) == [leaked, stolen].sorted())
        #expect(keys.revokedCertificates.entry(stolen)?.revokedAtHeight == 3)
        let near = KeyDirectory(agencies: [], height: 9, revoked: keys.revokedCertificates)
        #expect(near.revokedCertificates == keys.revokedCertificates, "a start near the head takes the proven list")
    }

    @Test func cheapChecksRefuseWhatTheLedgerWouldAndPassUnknownKeys() throws {
        var keys = KeyDirectory(genesis: Self.genesis)
        let caller = Self.id("traffic-bureau")
        func check(_ tx: SignedTransaction, head: UInt64? = 10, as agency: AgencyID = caller) -> SubmitRefusal? {
            do { try SubmitCheck.check(tx, caller: agency, chainID: Self.chainID, headHeight: head, keys: keys); return nil } catch { return error }
        }
        #expect(check(Self.tx(expires: 100)) == nil)
        #expect(check(Self.tx(chain: "other-chain")) == .rejected(.wrongChain(expected: Self.chainID, got: "other-chain")))
        #expect(check(Self.tx(expires: 10)) == .rejected(.expired(expiresAtHeight: 10, height: 11)))
        #expect(check(Self.tx(expires: 10), head: nil) == nil, "no head yet: the validator checks expiry")
        #expect(check(Self.tx(expires: 5000), head: 10) == nil, "lifetime is left to the validator (the head may lag)")
        guard case .forbidden(let why)? = check(Self.tx(), as: Self.id("tax-office")) else { Issue.record("foreign signer passed"); return }
        #expect(why.contains("traffic-bureau") && why.contains("tax-office"))
        var forged = Self.tx()
        forged.body.nonce += 1
        #expect(check(forged) == .rejected(.badSignature(Signer(agency: caller, keyID: 1))))
        #expect(check(Self.tx(keyID: 7, key: Self.key(9))) == nil, "a key the gateway has not seen goes on to the validator")
        keys.apply(Self.block(1, [Self.tx("admin-a", key: Self.key(1), op: .revokeAgencyKey(agency: caller, keyID: 1))]))
        #expect(check(Self.tx()) == .rejected(.revokedKey(Signer(agency: caller, keyID: 1), revokedAtHeight: 1)))
        let payload = Array("x".utf8)
        let badHash = Self.tx(op: .putRecord(dataset: Self.parking, subject: try SubjectKey("b"), payloadHash: Hash32.sha256([1])), payload: payload)
        guard case .rejected(.payloadHashMismatch)? = check(badHash) else { Issue.record("payload hash not checked"); return }
    }

    // MARK: - Messages

    @Test func gatewayMessagesRoundTripAndRefuseMalformedInput() throws {
        let tx = Self.tx()
        let submit = GatewaySubmit(transaction: tx, waitMillis: 1500)
        #expect(try GatewaySubmit(canonicalBytes: submit.canonicalBytes) == submit)
        var over = submit.canonicalBytes
        over.replaceSubrange((over.count - 4)..., with: [0x00, 0x0f, 0x42, 0x40])   // 1,000,000 ms
        #expect(throws: CodecError.self) { try GatewaySubmit(canonicalBytes: over) }

        let block = Self.block(1, [tx, Self.tx(nonce: 2)])
        let receipt = Receipt(ProvenTransaction(transaction: tx, proof: block.inclusionProof(forTransactionAt: 0)!,
                                                header: CertifiedHeader(header: block.header, certificate: CommitCertificate(height: 1, round: 0, blockHash: block.header.hash, signatures: []))))
        for state in [GatewayOutcome.State.pending, .committed(receipt), .rejected(.replayed(tx.id))] {
            let o = GatewayOutcome(id: tx.id, state: state)
            #expect(try GatewayOutcome(canonicalBytes: o.canonicalBytes) == o)
        }
        let mismatched = GatewayOutcome(id: Self.tx(nonce: 3).id, state: .committed(receipt)).canonicalBytes
        #expect(throws: CodecError.self) { try GatewayOutcome(canonicalBytes: mismatched) }
        var unknownTag = GatewayOutcome(id: tx.id, state: .pending).canonicalBytes
        unknownTag[unknownTag.count - 1] = 9
        #expect(throws: CodecError.self) { try GatewayOutcome(canonicalBytes: unknownTag) }
        #expect(throws: CodecError.self) { try GatewayOutcome(canonicalBytes: GatewayOutcome(id: tx.id, state: .pending).canonicalBytes + [0]) }

        let status = GatewayStatus(chainID: Self.chainID, headHeight: 7,
                                   validators: [UpstreamHealth(address: "127.0.0.1:7101", healthy: true, height: 7, detail: "2 connections")],
                                   indexers: [UpstreamHealth(address: "127.0.0.1:7200", healthy: false, height: 0, detail: "refused")])
        #expect(try GatewayStatus(canonicalBytes: status.canonicalBytes) == status)

        let f = ForwardedQuery(agency: Self.id("tax-office"), kind: IndexerAPI.record, payload: [1, 2, 3])
        #expect(try ForwardedQuery(canonicalBytes: f.canonicalBytes) == f)
        var huge = CanonicalWriter()
        huge.encode(Self.id("tax-office")); huge.u16(0x0201); huge.u32(UInt32(ForwardedQuery.maxPayloadBytes + 1))
        #expect(throws: CodecError.self) { try ForwardedQuery(canonicalBytes: huge.bytes) }
    }
}
