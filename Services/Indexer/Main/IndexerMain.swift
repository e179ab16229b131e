import CityIndexer

/// The `citychain-indexer` executable: all logic lives in the CityIndexer library.
@main
enum IndexerMain {
    static func main() async {
        await IndexerCommand.main()
    }
}
