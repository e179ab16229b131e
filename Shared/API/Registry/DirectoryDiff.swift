/// The changes between two views of the directory, as watch events: a pure function, so the
/// watch (server) and its tests share one definition of "added", "updated" and "removed".
package enum DirectoryDiff {
    /// Events turning `old` into `new`, ordered by key. An entry missing from `new` is `expired`
    /// when its known expiry is at or before `nowMillis`, `deregistered` otherwise. An entry
    /// whose only change is its expiry (a heartbeat) yields nothing.
    package static func events(from old: [ServiceKey: ServiceEntry], to new: [ServiceKey: ServiceEntry],
                               nowMillis: UInt64) -> [WatchEvent] {
        var out: [WatchEvent] = []
        for key in Set(old.keys).union(new.keys).sorted() {
            switch (old[key], new[key]) {
            case (nil, let n?): out.append(.added(n))
            case (let o?, nil): out.append(.removed(key, o.expiresAtMillis <= nowMillis ? .expired : .deregistered))
            case (let o?, let n?) where n.differsBeyondExpiry(from: o): out.append(.updated(n))
            default: break
            }
        }
        return out
    }

    /// `state` after `event` (the client side of the stream). A keepalive changes nothing.
    package static func apply(_ event: WatchEvent, to state: inout [ServiceKey: ServiceEntry]) {
        switch event {
        case .snapshot(let a): state = Dictionary(a.entries.map { ($0.key, $0) }, uniquingKeysWith: { _, b in b })
        case .added(let e), .updated(let e): state[e.key] = e
        case .removed(let k, _): state[k] = nil
        case .keepalive: break
        }
    }
}
