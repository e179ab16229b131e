import CityChainAPI
import CityWire

/// The live directory (all kinds) as every watch of this replica sees it: read from the store at
/// most once per `maxAge` however many watches ask, and reloaded in full only when the revision
/// changed or a known lease passed its expiry (the database clock decides). `generation` counts
/// the reloads, so a watch skips the diff when nothing was reloaded.
actor DirectoryFeed {
    struct View: Sendable {
        var answer: LookupAnswer
        var generation: UInt64
    }

    let store: RegistryStore
    let maxAge: Duration
    private let clock: MonotonicClock
    private var cached: (at: Duration, view: View)?

    init(store: RegistryStore, maxAge: Duration, clock: MonotonicClock = .system) {
        self.store = store
        self.maxAge = maxAge
        self.clock = clock
    }

    /// The directory, at most `maxAge` old.
    func view() async throws -> View {
        if let c = cached, clock.now - c.at < maxAge { return c.view }
        let started = clock.now
        let head = try await store.head()
        if let c = cached, c.view.answer.revision == head.revision,
           !c.view.answer.entries.contains(where: { $0.expiresAtMillis <= head.nowMillis }) {
            var v = c.view
            v.answer.registryTimeMillis = head.nowMillis   // the same entries, read at this time
            cached = (started, v)
            return v
        }
        let answer = try await store.live(kind: nil)
        // Another caller may have reloaded meanwhile (actor reentrancy): keep the newer one.
        if let c = cached, c.at > started { return c.view }
        let view = View(answer: answer, generation: (cached?.view.generation ?? 0) + 1)
        cached = (started, view)
        return view
    }
}
