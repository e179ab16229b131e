import CityWire

extension WireClient {
    /// The certified block at `height` from the first of `validators` that sends it (block sync,
    /// `validator.blocks`), or nil with each validator's reason: what a node starting from a
    /// snapshot asks for the blocks it does not hold.
    package func certifiedBlock(_ height: UInt64, from validators: [HostPort], timeout: Duration) async -> (block: CertifiedBlock?, failures: [String]) {
        var failures: [String] = []
        for v in validators {
            do {
                let r = try await withConnection(host: v.host, port: v.port, expecting: .validator) { conn in
                    try BlocksResponse(canonicalBytes: try await conn.request(ValidatorAPI.blocks, BlocksRequest(from: height, maxCount: 1).canonicalBytes,
                                                                             timeout: timeout))
                }
                if let b = r.blocks.first, b.height == height { return (b, failures) }
                failures.append("\(v): no block \(height)")
            } catch {
                failures.append("\(v): \(error)")
            }
        }
        return (nil, failures)
    }
}
