import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import Dispatch
import Foundation
@preconcurrency import Crypto

/// What `citychain-bench load` signs: the chain, a dataset the bench agencies may write, and each such
/// agency's signing key, read from the genesis and the devnet-style key files `<agency-id>.json`.
struct LoadPlan: @unchecked Sendable {   // swift-crypto 3's private keys are immutable but not marked Sendable
    let chainID: String
    let dataset: DatasetID
    /// Writers of `dataset` whose key file is in the keys directory and matches a registered signing key.
    let signers: [(signer: Signer, key: Curve25519.Signing.PrivateKey)]

    /// Reads `genesisPath` and the key files in `keysDir`. Without `datasetID` it picks the public
    /// (else internal) dataset with the most writers that have key files; restricted datasets
    /// need sealed payloads and are never picked.
    static func load(genesisPath: String, keysDir: String, datasetID: String?) throws -> LoadPlan {
        let genesis = try Genesis.load(path: genesisPath)
        var usable: [AgencyID: (Signer, Curve25519.Signing.PrivateKey)] = [:]
        for agency in genesis.agencies {
            let path = "\(keysDir)/\(agency.id).json"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let file = try KeyFile.load(path, expecting: .signing)
            let registered = agency.keys.first { k in
                if case .signing(let pk) = k.material { pk.bytes == file.publicKeyBytes } else { false }
            }
            guard let registered else { continue }   // a key file that does not match the genesis: not this chain's key
            let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: file.privateKeyBytes)
            usable[agency.id] = (Signer(agency: agency.id, keyID: registered.keyID), privateKey)
        }
        let candidates = genesis.datasets.filter { d in
            d.sensitivity != .restricted && (datasetID == nil || d.id.description == datasetID)
        }
        func writers(_ d: GenesisDataset) -> [AgencyID] { ([d.owner] + d.writers).filter { usable[$0] != nil } }
        let ranked = candidates.sorted { a, b in
            (a.sensitivity == .public ? 1 : 0, writers(a).count) > (b.sensitivity == .public ? 1 : 0, writers(b).count)
        }
        guard let chosen = ranked.first, !writers(chosen).isEmpty else {
            let which = datasetID.map { "dataset '\($0)' (public or internal)" } ?? "a public or internal dataset"
            throw ValidationError("\(genesisPath) has no \(which) that an agency with a matching key file in \(keysDir) may write; "
                                  + "deploy/bench-chain makes such a genesis, or pass --dataset")
        }
        let keys = writers(chosen).sorted().map { usable[$0]! }
        return LoadPlan(chainID: genesis.chainID, dataset: chosen.id, signers: keys.map { (signer: $0.0, key: $0.1) })
    }

    /// `count` encoded `SubmitRequest`s, transaction `i` signed by agency `i % signers.count`, each
    /// distinct (nonce `runTag << 32 | i`, subject `load-<runTag>-<i>`), signed on every core.
    func presign(count: Int, payloadBytes: Int, expiresAtHeight: UInt64, runTag: UInt32) -> [[UInt8]] {
        precondition(count >= 1 && count <= Int(UInt32.max), "count \(count) is not in 1...\(UInt32.max)")
        let out = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: count)
        out.initialize(repeating: [])
        defer { out.deinitialize(); out.deallocate() }
        nonisolated(unsafe) let slots = out   // each worker writes only its own stride of indices
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < count {   // bounded by count
                slots[i] = request(i, payloadBytes: payloadBytes, expiresAtHeight: expiresAtHeight, runTag: runTag)
                i += workers
            }
        }
        return Array(out)
    }

    /// Transaction `i` as an encoded submit request (answer on admission: waitMillis 0).
    func request(_ i: Int, payloadBytes: Int, expiresAtHeight: UInt64, runTag: UInt32) -> [UInt8] {
        let (signer, key) = signers[i % signers.count]
        let payload = Self.payload(i, bytes: payloadBytes, runTag: runTag)
        let subject = try! SubjectKey("load-\(String(runTag, radix: 16))-\(i)")   // ≤ 24 bytes: always valid
        let body = TransactionBody(chainID: chainID, signer: signer, nonce: LoadNonce.make(runTag: runTag, index: i),
                                   expiresAtHeight: expiresAtHeight,
                                   operation: .putRecord(dataset: dataset, subject: subject, payloadHash: Hash32.sha256(payload)))
        let tx = try! SignedTransaction.sign(body, payload: payload, key: key)   // signing a 32-byte seed's key does not fail
        return SubmitRequest(transaction: tx, waitMillis: 0).canonicalBytes
    }

    /// A JSON object of exactly `bytes` bytes when it fits (public datasets carry JSON), else `bytes` of 'a'.
    static func payload(_ i: Int, bytes: Int, runTag: UInt32) -> [UInt8] {
        let head = "{\"bench\":\"\(String(runTag, radix: 16))\",\"i\":\(i),\"pad\":\""
        let fixed = head.utf8.count + 2
        guard bytes >= fixed else { return [UInt8](repeating: 0x61, count: bytes) }
        return Array(head.utf8) + [UInt8](repeating: 0x78, count: bytes - fixed) + Array("\"}".utf8)
    }
}

/// The nonce layout that lets the commit follower recognise this run's transactions without hashing them.
enum LoadNonce {
    /// `runTag` in the high 32 bits, the transaction's index in the low 32.
    static func make(runTag: UInt32, index: Int) -> UInt64 { UInt64(runTag) << 32 | UInt64(UInt32(index)) }

    /// The index of a nonce made by `make` with `runTag`, or nil for another run's or anyone else's.
    static func index(_ nonce: UInt64, runTag: UInt32) -> Int? {
        nonce >> 32 == UInt64(runTag) ? Int(nonce & 0xffff_ffff) : nil
    }
}
