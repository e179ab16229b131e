import Testing
@testable import CityNode

/// `CITYCHAIN_EXECUTOR`: only `nio` installs NIO's event loops as the global executor (the hook can
/// be installed once per process, so this test only checks that other values leave it alone).
struct ConcurrencyExecutorTests {
    @Test func onlyNioInstallsTheHook() {
        #expect(ConcurrencyExecutor.installFromEnvironment([:]) == false)
        #expect(ConcurrencyExecutor.installFromEnvironment(["CITYCHAIN_EXECUTOR": "default"]) == false)
        #expect(ConcurrencyExecutor.installFromEnvironment(["CITYCHAIN_EXECUTOR": "NIO"]) == false)
    }
}
