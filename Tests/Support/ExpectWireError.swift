import CityWire
import Testing

/// Expects `body` to fail with a `WireError` of `code` whose message contains `fragment`; records
/// an issue naming `what` if it succeeds, fails otherwise, or says something else.
package func expectWireError(_ code: WireErrorCode, _ fragment: String, _ what: String = "the call",
                             sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("\(what): expected \(code) (\(fragment)) but it was answered", sourceLocation: sourceLocation)
    } catch let e as WireError {
        #expect(e.code == code, "\(what): \(e)", sourceLocation: sourceLocation)
        #expect(e.message.contains(fragment), "\(what): \(e.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(what): unexpected \(error)", sourceLocation: sourceLocation)
    }
}
