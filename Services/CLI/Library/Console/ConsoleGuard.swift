import Crypto
import Foundation

/// Who may use the console: the person who started it. Pure decisions (no sockets), tested alone.
///
/// - **Token**: the console prints a URL with a random token; a GET carrying `?token=` sets it as a
///   cookie (HttpOnly, SameSite=Strict) and redirects to the same page without it. Every other
///   request must carry the cookie (or the token); anything else is refused (401).
/// - **CSRF**: every form carries a second random value; a POST without it (or another) is refused
///   (403), and so is a POST whose Origin is not the console's own.
/// - **Host**: the Host header must name the address the console listens on (or localhost at its
///   port): a page on another site that resolves its name to 127.0.0.1 (DNS rebinding) is refused.
package struct ConsoleGuard: Sendable {
    package static let cookieName = "citychain_console"

    package let token: String
    package let csrf: String
    /// Host header values accepted (lowercased), e.g. `127.0.0.1:8480`, `localhost:8480`.
    package var hosts: Set<String>

    package init(token: String? = nil, csrf: String? = nil, hosts: Set<String> = []) {
        self.token = token ?? Self.randomToken()
        self.csrf = csrf ?? Self.randomToken()
        self.hosts = Set(hosts.map { $0.lowercased() })
    }

    /// 32 random bytes, hex.
    package static func randomToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    /// The Host header values that mean this console when it listens on `host:port`.
    package static func hosts(listening host: String, port: Int) -> Set<String> {
        var out: Set<String> = ["\(host):\(port)", "localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)"]
        if host.contains(":") { out.insert("[\(host)]:\(port)") }
        return out
    }

    package struct Request: Sendable {
        package var method: String
        package var path: String
        package var host: String?
        package var origin: String?
        package var cookie: String?
        package var queryToken: String?
        /// The form's `csrf` field (POST).
        package var formCSRF: String?

        package init(method: String, path: String, host: String?, origin: String? = nil, cookie: String? = nil, queryToken: String? = nil,
                     formCSRF: String? = nil) {
            self.method = method
            self.path = path
            self.host = host
            self.origin = origin
            self.cookie = cookie
            self.queryToken = queryToken
            self.formCSRF = formCSRF
        }
    }

    package enum Decision: Equatable, Sendable {
        /// Serve the request.
        case allow
        /// Set the cookie and redirect to `location` (the page without the token).
        case setCookieAndRedirect(location: String)
        /// Refuse with this HTTP status and a message saying what to do.
        case refuse(status: Int, message: String)
    }

    /// The decision for `r`. `/static/` (the live view's script and the style sheet) needs no token.
    package func decide(_ r: Request) -> Decision {
        guard let host = r.host?.lowercased(), hosts.isEmpty || hosts.contains(host) else {
            return .refuse(status: 403, message: "this console answers only to the address it listens on (Host '\(r.host ?? "")' is not one of \(hosts.sorted().joined(separator: ", ")))")
        }
        if r.path.hasPrefix("/static/") && r.method == "GET" { return .allow }
        let tokenOK = Self.same(r.cookieToken, token)
        if r.method == "GET" || r.method == "HEAD" {
            if let q = r.queryToken {
                guard Self.same(q, token) else { return .refuse(status: 401, message: "the token in this URL is not this console's; open the URL the console printed when it started") }
                return .setCookieAndRedirect(location: r.path)
            }
            return tokenOK ? .allow : .refuse(status: 401, message: "no console token: open the URL `citychain console` printed when it started (it carries ?token=…)")
        }
        guard r.method == "POST" else { return .refuse(status: 405, message: "\(r.method) is not served here") }
        guard tokenOK else { return .refuse(status: 401, message: "no console token: open the URL `citychain console` printed when it started, then post the form again") }
        if let origin = r.origin, origin != "null" {
            let stripped = origin.lowercased().replacingOccurrences(of: "http://", with: "")
            guard hosts.isEmpty || hosts.contains(stripped) else {
                return .refuse(status: 403, message: "a form posted from '\(origin)', not from this console, is refused")
            }
        }
        guard Self.same(r.formCSRF, csrf) else {
            return .refuse(status: 403, message: "the form carries no valid CSRF token (a page of another site cannot post here): reload the form from the console and submit it again")
        }
        return .allow
    }

    /// The cookie header that keeps the token.
    package var setCookie: String { "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict" }

    /// Constant-time equality of two tokens.
    static func same(_ a: String?, _ b: String) -> Bool {
        guard let a else { return false }
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

extension ConsoleGuard.Request {
    /// The console's cookie from a Cookie header (`a=1; citychain_console=…`).
    var cookieToken: String? {
        guard let cookie else { return nil }
        for part in cookie.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2, kv[0] == ConsoleGuard.cookieName { return kv[1] }
        }
        return nil
    }
}

/// `application/x-www-form-urlencoded` bodies and query strings.
package enum FormData {
    /// The fields of `text` (`a=1&b=x+y`), percent-decoded, `+` as space; the first of a repeated name wins.
    package static func decode(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = unescape(kv[0])
            if out[name] == nil { out[name] = kv.count > 1 ? unescape(kv[1]) : "" }
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }

    /// `value` escaped for a query string.
    package static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
