import Foundation
import Testing
@testable import CityCLI

/// The console's guard (token cookie, CSRF, Host) and its form decoding and escaping, without sockets.
struct ConsoleGuardTests {
    let g = ConsoleGuard(token: "t0k", csrf: "c5rf", hosts: ConsoleGuard.hosts(listening: "127.0.0.1", port: 8480))
    let host = "127.0.0.1:8480"
    var cookie: String { "other=1; citychain_console=t0k" }

    @Test func aGetWithTheTokenSetsTheCookieAndRedirectsWithoutIt() {
        #expect(g.decide(.init(method: "GET", path: "/datasets", host: host, queryToken: "t0k")) == .setCookieAndRedirect(location: "/datasets"))
        #expect(g.setCookie.contains("citychain_console=t0k") && g.setCookie.contains("HttpOnly") && g.setCookie.contains("SameSite=Strict"))
    }

    @Test func requestsWithoutTheTokenAreRefused() {
        #expect(g.decide(.init(method: "GET", path: "/", host: host)).status == 401)
        #expect(g.decide(.init(method: "GET", path: "/", host: host, cookie: "citychain_console=wrong")).status == 401)
        #expect(g.decide(.init(method: "GET", path: "/", host: host, queryToken: "t0kx")).status == 401)
        #expect(g.decide(.init(method: "POST", path: "/write", host: host, formCSRF: "c5rf")).status == 401)
        #expect(g.decide(.init(method: "GET", path: "/", host: host, cookie: cookie)) == .allow)
        // The style sheet and the live view's script carry nothing secret.
        #expect(g.decide(.init(method: "GET", path: "/static/live.js", host: host)) == .allow)
    }

    @Test func aPostNeedsTheCSRFTokenAndTheConsolesOwnOrigin() {
        #expect(g.decide(.init(method: "POST", path: "/write", host: host, cookie: cookie)).status == 403)
        #expect(g.decide(.init(method: "POST", path: "/write", host: host, cookie: cookie, formCSRF: "guess")).status == 403)
        #expect(g.decide(.init(method: "POST", path: "/write", host: host, origin: "http://evil.example", cookie: cookie, formCSRF: "c5rf")).status == 403)
        #expect(g.decide(.init(method: "POST", path: "/write", host: host, origin: "http://127.0.0.1:8480", cookie: cookie, formCSRF: "c5rf")) == .allow)
        #expect(g.decide(.init(method: "POST", path: "/write", host: host, cookie: cookie, formCSRF: "c5rf")) == .allow)
        #expect(g.decide(.init(method: "DELETE", path: "/write", host: host, cookie: cookie)).status == 405)
    }

    @Test func aForeignHostIsRefusedEvenWithTheToken() {
        // DNS rebinding: a page of evil.example whose name resolves to 127.0.0.1.
        #expect(g.decide(.init(method: "GET", path: "/", host: "evil.example:8480", cookie: cookie)).status == 403)
        #expect(g.decide(.init(method: "GET", path: "/", host: nil, cookie: cookie)).status == 403)
        #expect(g.decide(.init(method: "GET", path: "/", host: "localhost:8480", cookie: cookie)) == .allow)
    }

    @Test func tokensAreRandomAndLong() {
        let a = ConsoleGuard(), b = ConsoleGuard()
        #expect(a.token.count == 64 && a.token != b.token && a.csrf != a.token)
    }

    @Test func formsDecodeAndPagesEscape() {
        let f = FormData.decode("dataset=parking.sessions&payload=%7B%22zone%22%3A+%22B%22%7D&subject=bay+12&subject=again")
        #expect(f["dataset"] == "parking.sessions" && f["payload"] == #"{"zone": "B"}"# && f["subject"] == "bay 12")
        #expect(FormData.unescape(FormData.escape("a b&c=d/é+")) == "a b&c=d/é+")
        #expect(ConsolePages.h(#"<script>alert("x")</script>&'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;")
        #expect(ConsoleCommand.listenAddress("127.0.0.1:0")! == ("127.0.0.1", 0))
        #expect(ConsoleCommand.listenAddress("[::1]:8480")! == ("::1", 8480))
        #expect(ConsoleCommand.listenAddress("nohost") == nil && ConsoleCommand.listenAddress(":80") == nil && ConsoleCommand.listenAddress("h:70000") == nil)
    }
}

extension ConsoleGuard.Decision {
    var status: Int? { if case .refuse(let s, _) = self { s } else { nil } }
}
