import CityEncoding
import CityPKI
import Foundation

/// What the traffic bureau's `citychain` needs, written into `dir`: its certificate and key, the
/// city CA, its signing key file (`tb-signing.json`) and the genesis (`genesis.json`); `tls` and
/// `trust` are the flags that name them (trust: the genesis and a set cache in `dir`).
struct AgencyClientFiles {
    let tls: [String]
    let trust: [String]

    init(dir: String, ca: CertificateAuthority) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try F.genesisJSON.write(to: URL(fileURLWithPath: dir + "/genesis.json"))
        let issued = try ca.issue(role: .agency("traffic-bureau"), name: "traffic-bureau")
        try PEMFiles.write(issued.certificatePEM, to: dir + "/tb.pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: dir + "/tb.key", secret: true)
        try PEMFiles.write(ca.certificatePEM, to: dir + "/ca.pem", secret: false)
        let k = F.key("traffic-bureau")
        try PEMFiles.write(#"{"kind": "signing", "publicKey": "\#(Hex.encode(k.publicKey.rawRepresentation))", "privateKey": "\#(Hex.encode(k.rawRepresentation))"}"#,
                           to: dir + "/tb-signing.json", secret: true)
        tls = ["--cert", dir + "/tb.pem", "--key", dir + "/tb.key", "--ca", dir + "/ca.pem"]
        trust = ["--genesis", dir + "/genesis.json", "--trust-cache", dir + "/sets.bin"]
    }
}
