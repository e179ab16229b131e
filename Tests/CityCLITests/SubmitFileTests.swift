import ArgumentParser
import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityCLI

/// `citychain submit --tx-file`: each operation kind read from JSON, and errors that name the field.
struct SubmitFileTests {
    func op(_ json: String) throws -> LedgerOperation { try SubmitCommand.operation(fromJSON: Data(json.utf8)).operation }

    func error(_ json: String) -> String {
        do { _ = try op(json); return "" } catch { return "\(error)" }
    }

    @Test func operationsFromJSON() throws {
        let put = try SubmitCommand.operation(fromJSON: Data(#"{"op": "putRecord", "dataset": "parking.sessions", "subject": "bay-7", "payload": {"zone": "B", "minutes": 30}}"#.utf8))
        guard case let .putRecord(d, s, hash) = put.operation, let payload = put.payload else {
            Issue.record("not a put"); return
        }
        #expect(d.value == "parking.sessions" && s.value == "bay-7")
        #expect(String(decoding: payload, as: UTF8.self) == #"{"minutes":30,"zone":"B"}"#, "canonical JSON: sorted keys, no spaces")
        #expect(hash == Hash32.sha256(payload))
        #expect(try op(#"{"op": "deleteRecord", "dataset": "land.parcels", "subject": "p-1", "reason": "merged"}"#)
                == .deleteRecord(dataset: try DatasetID("land.parcels"), subject: try SubjectKey("p-1"), reason: "merged"))
        #expect(try op(#"{"op": "eraseRecord", "dataset": "medical.records", "subject": "patient-7", "reason": "erasure request 2026-114"}"#)
                == .eraseRecord(dataset: try DatasetID("medical.records"), subject: try SubjectKey("patient-7"), reason: "erasure request 2026-114"))
        #expect(try op(#"{"op": "grantAccess", "dataset": "medical.records", "grantee": "ambulance-service", "expiresAtHeight": 5000, "purpose": "emergency care"}"#)
                == .grantAccess(dataset: try DatasetID("medical.records"), grantee: try AgencyID("ambulance-service"), expiresAtHeight: 5000, purpose: "emergency care"))
        #expect(try op(#"{"op": "revokeAccess", "dataset": "medical.records", "grantee": "ambulance-service"}"#)
                == .revokeAccess(dataset: try DatasetID("medical.records"), grantee: try AgencyID("ambulance-service")))
    }

    @Test func badFilesNameWhatIsWrong() {
        #expect(error("[1, 2]").contains("one JSON object"))
        #expect(error("not json").contains("one JSON object"))
        #expect(error(#"{"dataset": "x"}"#).contains("\"op\""))
        #expect(error(#"{"op": "transfer"}"#).contains("not one of putRecord"))
        #expect(error(#"{"op": "putRecord", "dataset": "parking.sessions", "subject": "b"}"#).contains("\"payload\""))
        #expect(error(#"{"op": "putRecord", "dataset": 7, "subject": "b", "payload": 1}"#).contains("\"dataset\" must be a string"))
        #expect(error(#"{"op": "putRecord", "dataset": "Not Valid!", "subject": "b", "payload": 1}"#).contains("\"dataset\" 'Not Valid!'"))
        #expect(error(#"{"op": "grantAccess", "dataset": "d.x", "grantee": "a", "purpose": "p"}"#).contains("expiresAtHeight"))
    }
}
