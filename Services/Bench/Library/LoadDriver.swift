import CityChainAPI
import CityLedger
import CityPKI
import CityWire
import Foundation
import Synchronization

/// Offers pre-signed transactions to validators and follows one validator's commit stream.
/// Closed loop (`ratePerSecond == 0`): every worker sends its next transaction as soon as the
/// previous one is answered. Open loop: transaction `i` is sent at `start + i / rate` by whichever
/// worker is free, so the offered rate does not depend on how fast the validators answer (unless
/// every worker is busy; `late` counts sends more than 10 ms behind their schedule).
struct LoadDriver: Sendable {
    let client: WireClient
    let validators: [ValidatorAddress]
    let requests: [[UInt8]]
    let recorder: LoadRecorder
    /// Offered transactions per second; 0 for closed loop.
    let ratePerSecond: Double
    let connectionsPerValidator: Int
    /// Workers (requests in flight) per connection, at most the wire's 64.
    let inFlightPerConnection: Int
    /// Send nothing after this (monotonic nanoseconds).
    let deadlineNanos: UInt64
    let startNanos: UInt64
    let late = LateCounter()

    /// Runs every connection's workers until the deadline passes or the transactions run out.
    func offer() async {
        await withDiscardingTaskGroup { group in
            for v in validators {
                for _ in 0..<connectionsPerValidator { group.addTask { await self.connection(to: v) } }
            }
        }
    }

    /// One connection with `inFlightPerConnection` workers; a connection that cannot be made or
    /// breaks is reported once and not replaced (the run's `failed` count shows it).
    private func connection(to v: ValidatorAddress) async {
        do {
            try await client.withConnection(host: v.host, port: v.port, expecting: .validator) { conn in
                await withDiscardingTaskGroup { group in
                    for _ in 0..<inFlightPerConnection { group.addTask { await self.worker(conn) } }
                }
            }
        } catch {
            FileHandle.standardError.write(Data("bench load: connection to \(v) ended: \(error)\n".utf8))
        }
    }

    private func worker(_ conn: WireConnection) async {
        while let i = recorder.take() {   // bounded by the number of pre-signed transactions
            if ratePerSecond > 0 {
                let due = startNanos + UInt64(Double(i) * 1e9 / ratePerSecond)
                guard due < deadlineNanos else { return }
                let now = LoadClock.now()
                if due > now {
                    guard (try? await Task.sleep(for: .nanoseconds(Int64(due - now)))) != nil else { return }
                } else if now - due > 10_000_000 {
                    late.add()
                }
            }
            guard await send(i, on: conn) else { return }
        }
    }

    /// Sends transaction `i`, again after the hinted delay while the mempool is full (at most
    /// `maxBusyRetries` times; its send time is the last attempt's). False when this worker should stop.
    private func send(_ i: Int, on conn: WireConnection) async -> Bool {
        for attempt in 0...Self.maxBusyRetries {
            let sentAt = LoadClock.now()
            guard sentAt < deadlineNanos else { return false }
            recorder.sent(i, at: sentAt)
            let (answer, connectionLost) = await submit(requests[i], on: conn)
            if case .busy(let retryMillis) = answer, attempt < Self.maxBusyRetries {
                recorder.busyRetry()
                guard (try? await Task.sleep(for: .milliseconds(Int64(min(retryMillis, 1000))))) != nil else { return false }
                continue
            }
            recorder.answered(i, answer)
            return !connectionLost   // every later request on a lost connection would fail at once
        }
        return true
    }

    /// Times one transaction is re-sent while the mempool answers `rateLimited`.
    static let maxBusyRetries = 20

    /// The answer, and whether the connection is gone (the wire fails its waiters with `unavailable`).
    private func submit(_ request: [UInt8], on conn: WireConnection) async -> (LoadRecorder.Answer, connectionLost: Bool) {
        do {
            let response = try SubmitResponse(canonicalBytes: try await conn.request(ValidatorAPI.submit, request, timeout: .seconds(20)))
            switch response.status {
            case .pending, .committed: return (.accepted, false)
            case .rejected(let r): return (.rejected("\(r)"), false)
            case .unknown: return (.failed("the validator answered 'unknown' to a submission"), false)
            }
        } catch let e as WireError {
            if case .rateLimited(let ms) = e.code { return (.busy(retryMillis: ms), false) }
            return (.failed("\(e.code)"), e.code == .unavailable)
        } catch {
            return (.failed("\(error)"), false)
        }
    }

    /// Follows the commit stream of `v` from the recorder's next height until cancelled,
    /// reconnecting after a failure (at most `maxReconnects` times).
    static func followCommits(client: WireClient, from v: ValidatorAddress, recorder: LoadRecorder, maxReconnects: Int = 10) async {
        for attempt in 0...maxReconnects where !Task.isCancelled {
            do {
                try await client.withConnection(host: v.host, port: v.port, expecting: .validator) { conn in
                    let request = CommitsRequest(from: recorder.nextHeight).canonicalBytes
                    for try await item in conn.stream(ValidatorAPI.commits, request) {
                        let seen = LoadClock.now()
                        recorder.blockCommitted(try CertifiedBlock(canonicalBytes: item).block, at: seen)
                    }
                }
                return
            } catch {
                if Task.isCancelled { return }
                FileHandle.standardError.write(Data("bench load: commit stream from \(v) failed (attempt \(attempt + 1)): \(error)\n".utf8))
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// Counts sends that left later than their open-loop schedule.
final class LateCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
