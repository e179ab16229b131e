import CityIndexer

/// The `citychain-indexer` executable: all logic lives in the CityIndexer library.
@main
enum IndexerMain {
    static func main() async {
        // Flags, then CITYCHAIN_* variables, then the --config YAML file (docs/CONFIG.md).
        await IndexerCommand.mainConfigured()
    }
}
