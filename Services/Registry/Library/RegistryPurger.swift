import Logging
import ServiceLifecycle

/// Deletes entries whose lease ran out more than `grace` ago, every `period`, until graceful
/// shutdown. Every replica runs one; the deletes are idempotent. Expired entries are already out
/// of lookups and watches: purging only keeps the table small (and `listAll` short).
package struct RegistryPurger: Service {
    let store: RegistryStore
    let period: Duration
    let grace: Duration
    let logger: Logger

    package init(store: RegistryStore, period: Duration = .seconds(30), grace: Duration = .seconds(60), logger: Logger) {
        precondition(period > .zero && grace >= .zero)
        self.store = store
        self.period = period
        self.grace = grace
        self.logger = logger
    }

    package func run() async throws {
        let graceMillis = UInt64(grace.components.seconds) * 1000 + UInt64(grace.components.attoseconds / 1_000_000_000_000_000)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: period) } catch { return }
                do {
                    let n = try await store.purgeExpired(graceMillis: graceMillis)
                    if n > 0 { logger.info("purged expired registrations", metadata: ["registry.purged": "\(n)"]) }
                } catch {
                    logger.warning("purging expired registrations failed; retrying next period", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
