import CityEncoding
import CityLedger
import CityWire
import Logging

/// Where a `CertifiedChainFollower` reads commit streams from: each attempt runs `body` on one
/// upstream's connection (the indexer dials validators by address, the gateway borrows a pooled one).
package protocol CommitStreamSource: Sendable {
    /// Attempts per round of failover; the follower backs off after each full round that failed.
    var upstreamsPerRound: Int { get }
    /// Runs `body` with a connection to the upstream for `attempt` (counting from 0) and its name;
    /// returns false without calling it when no upstream can be tried now.
    func withConnection(attempt: Int, _ body: (_ name: String, _ connection: WireConnection) async throws -> Void) async throws -> Bool
}

/// Validators dialled by address in turn (the indexer).
package struct DialedValidators: CommitStreamSource {
    /// The client that dials them (mutual TLS; the far end must have the validator role).
    package let client: WireClient
    /// Their addresses, tried in this order.
    package let addresses: [HostPort]

    /// A source over `addresses` (at least one).
    package init(client: WireClient, addresses: [HostPort]) {
        precondition(!addresses.isEmpty, "a follower needs at least one validator to follow")
        self.client = client
        self.addresses = addresses
    }

    package var upstreamsPerRound: Int { addresses.count }

    package func withConnection(attempt: Int, _ body: (String, WireConnection) async throws -> Void) async throws -> Bool {
        let address = addresses[attempt % addresses.count]
        try await client.withConnection(host: address.host, port: address.port, expecting: .validator) { conn in
            try await body("\(address)", conn)
        }
        return true
    }
}

/// The one follower of the committed chain: it reads a validator's commit stream from the height
/// after `start`, checks every block as the next one (`ChainTracker.accept`: height, chain, parent,
/// the validator set in force with its scheduled changes, the commit certificate, the roots) and
/// hands on only blocks that verify. A stream that breaks, or sends a block that does not verify,
/// is dropped and the next upstream is tried, with bounded backoff after each full round. Used by
/// the indexer (blocks into PostgreSQL) and the gateway (receipts and agency keys).
package struct CertifiedChainFollower: Sendable {
    /// What happened, for status, metrics and readiness.
    package enum Event: Sendable {
        /// A stream opened on the named upstream, from this height.
        case following(String, from: UInt64)
        /// An upstream reported its head height.
        case head(UInt64)
        /// The named upstream sent a block that does not verify; it was not handed on.
        case refused(String, ChainVerificationError)
        /// The named upstream's stream ended or failed (the follower tries another).
        case lost(String, String)
    }

    let source: any CommitStreamSource
    let logger: Logger
    let firstDelay: Duration
    let maxDelay: Duration
    let clock: MonotonicClock

    /// A follower over `source`; after a round of failures it waits `firstDelay`, doubling to `maxDelay`.
    package init(source: any CommitStreamSource, firstDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(2),
                clock: MonotonicClock = .system, logger: Logger) {
        self.clock = clock
        precondition(firstDelay > .zero && maxDelay >= firstDelay, "backoff bounds must be positive and ordered")
        self.source = source
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
        self.logger = logger
    }

    /// Follows from `start` until cancelled (then throws `CancellationError`) or until `accept`
    /// throws (that error is rethrown). `accept` gets each verified block with the tracker after it.
    package func follow(from start: ChainTracker, events: (Event) async -> Void = { _ in },
                        accept: (CertifiedBlock, ChainTracker) async throws -> Void) async throws {
        var tracker = start
        var attempt = 0
        var backoff = Backoff(first: firstDelay, cap: maxDelay)
        while true {
            try Task.checkCancellation()
            let thisAttempt = attempt
            attempt += 1
            var tried = false
            var current = "upstream \(thisAttempt)"
            do {
                tried = try await source.withConnection(attempt: thisAttempt) { name, conn in
                    current = name
                    if let s = try? ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(5))) {
                        await events(.head(s.height))
                    }
                    await events(.following(name, from: tracker.height + 1))
                    for try await payload in conn.stream(ValidatorAPI.commits, CommitsRequest(from: tracker.height + 1).canonicalBytes) {
                        tracker = try await step(tracker, payload, from: name, accept: accept)
                        backoff.reset()
                    }
                    throw StreamEnded()
                }
            } catch let refused as Refused {
                logger.error("REFUSED a block that does not verify; it is not used. Failing over to another upstream",
                             metadata: ["upstream": "\(refused.name)", "error": "\(refused.error.message)"])
                await events(.refused(refused.name, refused.error))
            } catch let failure as AcceptFailed {
                throw failure.error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.notice("commit stream lost; trying another upstream", metadata: ["upstream": "\(current)", "error": "\(error)"])
                await events(.lost(current, "\(error)"))
            }
            if !tried {
                try await clock.sleep(for: firstDelay)   // no upstream to try yet: look again soon
            } else if attempt % max(1, source.upstreamsPerRound) == 0 {
                _ = try await backoff.wait(on: clock)
            }
        }
    }

    /// Decodes and checks one streamed block, hands it on, and returns the tracker after it.
    private func step(_ tracker: ChainTracker, _ payload: [UInt8], from name: String,
                      accept: (CertifiedBlock, ChainTracker) async throws -> Void) async throws -> ChainTracker {
        var next = tracker
        do {
            let cb = try CertifiedBlock(canonicalBytes: payload)
            try next.accept(cb)
            do { try await accept(cb, next) } catch { throw AcceptFailed(error: error) }
            return next
        } catch let e as ChainVerificationError {
            throw Refused(name: name, error: e)
        } catch let e as CodecError {
            throw Refused(name: name, error: ChainVerificationError(.refusedBlock, "block \(tracker.height + 1) does not decode: \(e)"))
        }
    }

    private struct Refused: Error { var name: String; var error: ChainVerificationError }
    private struct AcceptFailed: Error { var error: any Error }
    private struct StreamEnded: Error, CustomStringConvertible { var description: String { "the commit stream ended" } }
}
