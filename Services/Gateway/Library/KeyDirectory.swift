import CityEncoding
import CityLedger

/// The agencies' signing keys as far as the gateway has seen the chain: the genesis keys (or the
/// agencies' proven state entries at a recent height), then the key effects
/// (`LedgerState.statelessEffect`) of each committed block in order. The
/// gateway uses it only to refuse early what a validator would refuse anyway; the validators'
/// ledger state stays the authority (a key the gateway has not seen is passed on). Pure.
package struct KeyDirectory: Sendable {
    package enum KeyState: Hashable, Sendable {
        case active(PublicKey)
        case revoked(atHeight: UInt64)
    }

    private var keys: [AgencyID: [KeyID: KeyState]] = [:]
    /// Height of the last block applied (0: genesis only).
    package private(set) var height: UInt64 = 0
    /// Certificates revoked on chain: the gateway's wire server refuses them.
    package private(set) var revokedCertificates = RevokedCertificates(entries: [])

    package init(genesis: Genesis) {
        for a in genesis.agencies { add(a.id, a.keys) }
    }

    /// The directory at `height` from the agencies' state entries there (a verified
    /// `StartingStateAnswer`): active signing keys, and revoked ones with their height.
    package init(agencies: [AgencyEntry], height: UInt64, revoked: RevokedCertificates = RevokedCertificates(entries: [])) {
        self.height = height
        revokedCertificates = revoked
        for a in agencies {
            for k in a.keys {
                guard case .signing(let pk) = k.key.material else { continue }
                keys[a.id, default: [:]][k.key.keyID] = k.revokedAtHeight.map { .revoked(atHeight: $0) } ?? .active(pk)
            }
        }
    }

    private mutating func add(_ agency: AgencyID, _ list: [AgencyKey]) {
        for k in list {
            if case .signing(let pk) = k.material { keys[agency, default: [:]][k.keyID] = .active(pk) }
        }
    }

    /// Whether the agency is known at all.
    package func knows(_ agency: AgencyID) -> Bool { keys[agency] != nil }

    /// What the gateway knows of one signing key (nil: not seen).
    package func key(_ signer: Signer) -> KeyState? { keys[signer.agency]?[signer.keyID] }

    /// Applies a committed block's key operations (blocks must come in order; others are ignored).
    package mutating func apply(_ block: Block) {
        guard block.header.height == height + 1 else { return }
        height = block.header.height
        for tx in block.transactions {
            switch LedgerState.statelessEffect(of: tx.body, atHeight: height) {
            case .agencyRegistered(let entry)?: add(entry.id, entry.keys.map(\.key))
            case let .keyAdded(agency, key)?: add(agency, [key])
            case let .keyRevoked(agency, keyID)?:
                if keys[agency]?[keyID] != nil { keys[agency]?[keyID] = .revoked(atHeight: height) }
            case .certificateRevoked(let entry)?:
                revokedCertificates = revokedCertificates.adding(entry)
            default: break
            }
        }
    }

    /// The cheap checks: the signatures of keys the gateway knows, and revoked keys. Throws the
    /// ledger's own rejection; an unseen key passes (the validator checks it).
    package func checkSignatures(_ tx: SignedTransaction) throws(Rejection) {
        let message = tx.signingMessage
        for s in tx.signatures {
            switch key(s.signer) {
            case .active(let pk):
                guard pk.isValidSignature(s.signature, for: message) else { throw .badSignature(s.signer) }
            case .revoked(let h):
                throw .revokedKey(s.signer, revokedAtHeight: h)
            case nil:
                continue
            }
        }
    }
}
