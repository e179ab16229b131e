import CityLedger

extension ValidatorNode {
    /// Where the erasures still owed are kept (`PendingErasures`).
    var pendingErasuresPath: String { log.path + ".erasures" }

    /// Notes the `eraseRecord`s a committed block holds: from its height the payloads of that
    /// record's versions leave this node's block log (docs/STORAGE.md, "Erasure"). The list is
    /// written before the work starts, so a crash redoes it.
    func noteErasures(_ executed: ExecutedBlock) {
        var added = false
        for outcome in executed.outcomes {
            guard case .success(.recordErased(let dataset, let subject, _)) = outcome.result else { continue }
            pendingErasures.items.append(.init(dataset: dataset, subject: subject, height: executed.block.header.height))
            added = true
        }
        guard added else { return }
        do { try pendingErasures.save(pendingErasuresPath) } catch {
            halt("writing the list of pending erasures failed (\(error)); restart the validator: the erasure committed and is redone from the chain only if the list is written")
        }
        // Cached encodings of recent blocks may hold those payloads: serve them from the log from now on.
        recentBlocks.removeAll()
    }

    /// Starts the next owed erasure when none runs and its block is durable: the search for the
    /// blocks holding the record's payloads runs off the actor with its own file handle; the
    /// rewrites run here (`erasureFound`), one record at a time, each journaled and synced.
    func runErasures() {
        guard halted == nil, !closed, !erasureRunning, let item = pendingErasures.items.first, item.height <= log.durableHeight else { return }
        erasureRunning = true
        let reader = log.reader(below: item.height)
        erasureQueue.async {
            let found: Result<[UInt64], BlockStoreError>
            do throws(BlockStoreError) { found = .success(try reader.heights(where: item.covers)) } catch { found = .failure(error) }
            Task { await self.erasureFound(item, found) }
        }
    }

    /// Drops the payloads the search found, then forgets the erasure and starts the next one.
    func erasureFound(_ item: PendingErasures.Item, _ found: Result<[UInt64], BlockStoreError>) {
        erasureRunning = false
        guard halted == nil, !closed else { return }
        do throws(BlockStoreError) {
            var dropped = 0
            for height in try found.get() where log.holds(height) {
                dropped += try log.erasePayloads(at: height, where: item.covers)
            }
            recentBlocks.removeAll()
            pendingErasures.items.removeAll { $0 == item }
            try pendingErasures.save(pendingErasuresPath)
            ValidatorMetrics.erased(payloads: dropped)
            logger.notice("erased a record's payloads from the block log", metadata: [
                "dataset": "\(item.dataset)", "subject": "\(item.subject)", "chain.height": "\(item.height)",
                "storage.payloadsDropped": "\(dropped)"])
        } catch {
            halt("erasing the payloads of \(item.dataset)/\(item.subject) from the block log failed (\(error)); restart the validator: it finishes the erasure at start")
            return
        }
        runErasures()
    }
}
