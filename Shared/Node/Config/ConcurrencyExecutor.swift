import Foundation
import NIOCore
import NIOPosix

/// Where Swift concurrency's jobs run in a service process. By default on Swift's own cooperative
/// pool, while every socket is served by NIO's event loops (`MultiThreadedEventLoopGroup.singleton`),
/// so each request hops between the two sets of threads (a futex wake-up each way). With
/// `CITYCHAIN_EXECUTOR=nio` the event loops run the jobs too (`NIOSingletons`'s global-executor
/// hook): no hop, but a CPU-heavy job holds up the sockets of its loop while it runs.
package enum ConcurrencyExecutor {
    /// Installs NIO's event loops as the global executor when `CITYCHAIN_EXECUTOR` is `nio`;
    /// returns whether it did. Call first thing in `main`, once.
    @discardableResult
    package static func installFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard environment["CITYCHAIN_EXECUTOR"] == "nio" else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
