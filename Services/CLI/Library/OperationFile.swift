import ArgumentParser
import CityEncoding
import CityLedger
import Foundation

/// The JSON form of a ledger operation, as `citychain submit --tx-file` and `citychain admin
/// propose --tx-file` read it (docs/GATEWAY.md "Operations as JSON"). Errors name the field.
///
/// - `{"op": "putRecord", "dataset": D, "subject": S, "payload": <JSON value>}`
/// - `{"op": "deleteRecord", "dataset": D, "subject": S, "reason": R}`
/// - `{"op": "eraseRecord", "dataset": D, "subject": S, "reason": R}` (owner: every version's payload is dropped)
/// - `{"op": "grantAccess", "dataset": D, "grantee": A, "expiresAtHeight": H, "expiresAt": "2027-06-30T00:00:00Z", "purpose": P}`
///   (at least one of `expiresAtHeight` and `expiresAt`, an ISO 8601 time the grant ends at, by block time)
/// - `{"op": "revokeAccess", "dataset": D, "grantee": A}`
/// - `{"op": "defineDataset", "dataset": D, "sensitivity": "public"|"internal"|"restricted", "schema": S, "writers": [A, …]}`
/// - admin operations (co-signed by `adminThreshold` admin agencies, `citychain admin`):
///   `{"op": "registerAgency", "agency": A, "name": N, "isAdmin": false, "keys": [{"keyID": 1, "kind": "signing"|"sealing", "publicKey": HEX}, …]}`,
///   `{"op": "addAgencyKey", "agency": A, "key": {"keyID": 2, "kind": …, "publicKey": HEX}}`,
///   `{"op": "revokeAgencyKey", "agency": A, "keyID": 1}`,
///   `{"op": "changeValidatorSet", "changes": [{"publicKey": HEX, "power": 10, "name": "validator-5"}, …]}` (power 0 removes),
///   `{"op": "revokeCertificate", "fingerprint": HEX, "reason": R}` (the fingerprint `citychain pki show` prints).
enum OperationFile {
    static let kinds = ["putRecord", "deleteRecord", "eraseRecord", "grantAccess", "revokeAccess", "defineDataset",
                        "registerAgency", "addAgencyKey", "revokeAgencyKey", "changeValidatorSet", "revokeCertificate"]

    /// Reads the operation in `data` (the file's bytes); `source` names the flag in errors.
    static func operation(fromJSON data: Data, source: String = "--tx-file") throws -> SignableOperation {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw ValidationError("\(source) must hold one JSON object with an \"op\" field")
        }
        let fields = Fields(object: object, source: source)
        let signable = try fields.operation()
        let op = signable.operation
        // The canonical decoder's rules (identifier syntax, limits, no duplicates) apply now, with
        // the file named, rather than as a rejection from the gateway.
        do { _ = try LedgerOperation(canonicalBytes: op.canonicalBytes) } catch {
            throw ValidationError("\(source): the \(op.name) is not valid: \(error)")
        }
        if let payload = signable.payload, payload.count > LedgerLimits.maxPayloadBytes {
            throw ValidationError("\(source): the payload is \(payload.count) bytes, over the \(LedgerLimits.maxPayloadBytes) a record may hold")
        }
        return signable
    }

    private struct Fields {
        let object: [String: Any]
        let source: String

        func fail(_ message: String) -> ValidationError { ValidationError("\(source): \(message)") }

        func string(_ key: String) throws -> String {
            guard let v = object[key] as? String else { throw fail("\"\(key)\" must be a string") }
            return v
        }

        func id<T>(_ key: String, _ make: (String) throws -> T) throws -> T {
            let v = try string(key)
            do { return try make(v) } catch { throw fail("\"\(key)\" '\(v)': \(error)") }
        }

        func positive(_ key: String, in op: String) throws -> UInt64 {
            guard let n = object[key] as? NSNumber, n.int64Value > 0, n.doubleValue == Double(n.int64Value) else {
                throw fail("\(op) needs \"\(key)\", a positive whole number")
            }
            return UInt64(n.int64Value)
        }

        /// `object[key]`, an ISO 8601 time in the future, as milliseconds since the Unix epoch (0 when absent).
        func expiryTime(_ key: String, in op: String, now: Date = Date()) throws -> UInt64 {
            guard object[key] != nil else { return 0 }
            let text = try string(key)
            guard let date = (try? Date(text, strategy: .iso8601)) ?? ISO8601DateFormatter().date(from: text) else {
                throw fail("\"\(key)\" '\(text)' is not an ISO 8601 time such as 2027-06-30T00:00:00Z")
            }
            guard date > now else { throw fail("\"\(key)\" \(text) is not in the future; the grant would be over at once") }
            return UInt64(date.timeIntervalSince1970 * 1000)
        }

        /// `object[key]` decoded with its `Codable` JSON form (keys as hex, enums as names).
        func decoded<T: Decodable>(_ key: String, as: T.Type, in op: String, form: String) throws -> T {
            guard let value = object[key] else { throw fail("\(op) needs \"\(key)\": \(form)") }
            do {
                let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
                return try JSONDecoder().decode(T.self, from: data)
            } catch {
                throw fail("\"\(key)\" must be \(form) (\(Self.reason(error)))")
            }
        }

        static func reason(_ error: any Error) -> String {
            switch error {
            case DecodingError.dataCorrupted(let c): c.debugDescription
            case DecodingError.keyNotFound(let k, _): "missing \"\(k.stringValue)\""
            case DecodingError.typeMismatch(_, let c): "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
            case DecodingError.valueNotFound(_, let c): "missing value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
            default: "\(error)"
            }
        }

        static let keyForm = #"{"keyID": N, "kind": "signing"|"sealing", "publicKey": HEX}"#

        func operation() throws -> SignableOperation {
            if try string("op") == "putRecord" {
                guard let value = object["payload"] else { throw fail("putRecord needs \"payload\" (any JSON value)") }
                let payload = Array(try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]))
                return SignableOperation(operation: .putRecord(dataset: try id("dataset", DatasetID.init), subject: try id("subject", SubjectKey.init),
                                                               payloadHash: Hash32.sha256(payload)), payload: payload)
            }
            return SignableOperation(operation: try withoutPayload(), payload: nil)
        }

        func withoutPayload() throws -> LedgerOperation {
            switch try string("op") {
            case "eraseRecord":
                return .eraseRecord(dataset: try id("dataset", DatasetID.init), subject: try id("subject", SubjectKey.init), reason: try string("reason"))
            case "deleteRecord":
                return .deleteRecord(dataset: try id("dataset", DatasetID.init), subject: try id("subject", SubjectKey.init), reason: try string("reason"))
            case "grantAccess":
                let millis = try expiryTime("expiresAt", in: "grantAccess")
                guard object["expiresAtHeight"] != nil || millis != 0 else {
                    throw fail("grantAccess needs \"expiresAtHeight\" (a block height), \"expiresAt\" (an ISO 8601 time) or both")
                }
                let height = object["expiresAtHeight"] == nil ? UInt64.max : try positive("expiresAtHeight", in: "grantAccess")
                return .grantAccess(dataset: try id("dataset", DatasetID.init), grantee: try id("grantee", AgencyID.init),
                                    expiresAtHeight: height, expiresAtMillis: millis, purpose: try string("purpose"))
            case "revokeAccess":
                return .revokeAccess(dataset: try id("dataset", DatasetID.init), grantee: try id("grantee", AgencyID.init))
            case "defineDataset":
                let writers = try (object["writers"] == nil ? [] : decoded("writers", as: [String].self, in: "defineDataset", form: "a list of agency ids"))
                    .map { w in do { return try AgencyID(w) } catch { throw fail("\"writers\": '\(w)': \(error)") } }
                return .defineDataset(id: try id("dataset", DatasetID.init),
                                      sensitivity: try decoded("sensitivity", as: Sensitivity.self, in: "defineDataset", form: "public, internal or restricted"),
                                      schema: try string("schema"), writers: Array(Set(writers)).sorted())
            case "registerAgency":
                let keys = try decoded("keys", as: [AgencyKey].self, in: "registerAgency", form: "a list of \(Self.keyForm)")
                guard !keys.isEmpty else { throw fail("registerAgency needs at least one key in \"keys\" (a signing key, to write)") }
                return .registerAgency(id: try id("agency", AgencyID.init), name: try string("name"),
                                       isAdmin: object["isAdmin"] as? Bool ?? false, keys: keys.sorted { $0.keyID < $1.keyID })
            case "addAgencyKey":
                return .addAgencyKey(agency: try id("agency", AgencyID.init),
                                     key: try decoded("key", as: AgencyKey.self, in: "addAgencyKey", form: Self.keyForm))
            case "revokeAgencyKey":
                let keyID = try positive("keyID", in: "revokeAgencyKey")
                guard keyID <= UInt64(UInt32.max) else { throw fail("\"keyID\" \(keyID) is over \(UInt32.max)") }
                return .revokeAgencyKey(agency: try id("agency", AgencyID.init), keyID: KeyID(UInt32(keyID)))
            case "changeValidatorSet":
                let changes = try decoded("changes", as: [ChangeJSON].self, in: "changeValidatorSet",
                                          form: #"a list of {"publicKey": HEX, "power": N, "name": NAME} (power 0 removes)"#)
                guard !changes.isEmpty else { throw fail("changeValidatorSet needs at least one entry in \"changes\"") }
                let parsed = try changes.map { c in
                    do { return ValidatorChange(publicKey: try PublicKey(hex: c.publicKey), power: c.power, name: c.name) } catch {
                        throw fail("\"changes\": publicKey '\(c.publicKey)': \(error) (the key `citychain keys new --kind signing` printed)")
                    }
                }
                guard Set(parsed.map(\.publicKey)).count == parsed.count else { throw fail("\"changes\" names a public key twice; one entry per validator") }
                return .changeValidatorSet(changes: parsed.sorted { $0.publicKey < $1.publicKey })
            case "revokeCertificate":
                let text = try string("fingerprint")
                guard let fingerprint = Hash32(hex: text.lowercased()) else {
                    throw fail("\"fingerprint\" '\(text)' is not 64 hex digits; use the fingerprint 'citychain pki show CERT.pem' prints")
                }
                return .revokeCertificate(fingerprint: fingerprint, reason: try string("reason"))
            case let other:
                throw fail("\"op\" '\(other)' is not one of \(OperationFile.kinds.joined(separator: ", "))")
            }
        }
    }

    private struct ChangeJSON: Decodable {
        let publicKey: String
        let power: UInt64
        let name: String
    }
}

/// An operation to sign and, for a putRecord, the payload that travels beside it (its SHA-256 is
/// the operation's `payloadHash`).
struct SignableOperation {
    var operation: LedgerOperation
    var payload: [UInt8]?
}
