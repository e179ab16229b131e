import CityEncoding
/// A `HOST:PORT` address (`[::1]:7101` for IPv6): the one parser every service and the CLI use.
@MemberwiseInit
package struct HostPort: Hashable, Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int

    /// Parses `HOST:PORT`; nil unless the port is 1…65535 (0 too when `allowZero`, for listeners).
    package init?(_ text: String, allowZero: Bool = false) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (allowZero ? 0 : 1)...65535 ~= port else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
