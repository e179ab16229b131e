import CityEncoding

/// JSON forms used by the genesis file: keys as hex, enums as names.
extension Sensitivity: Codable {
    /// The JSON name of each level.
    package var jsonName: String {
        switch self {
        case .public: "public"
        case .internal: "internal"
        case .restricted: "restricted"
        }
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let s = Sensitivity.allCases.first(where: { $0.jsonName == name }) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "sensitivity \"\(name)\"; use public, internal or restricted")
        }
        self = s
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(jsonName)
    }
}

extension AgencyKey: Codable {
    private enum CodingKeys: String, CodingKey { case keyID, kind, publicKey }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        keyID = try c.decode(KeyID.self, forKey: .keyID)
        let hex = try c.decode(String.self, forKey: .publicKey)
        switch try c.decode(String.self, forKey: .kind) {
        case "signing": material = .signing(try PublicKey(hex: hex))
        case "sealing": material = .sealing(try SealingPublicKey(hex: hex))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "key kind \"\(other)\"; use signing or sealing")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(keyID, forKey: .keyID)
        switch material {
        case .signing(let k): try c.encode("signing", forKey: .kind); try c.encode(k.hex, forKey: .publicKey)
        case .sealing(let k): try c.encode("sealing", forKey: .kind); try c.encode(k.hex, forKey: .publicKey)
        }
    }
}
