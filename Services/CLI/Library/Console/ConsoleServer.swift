import CityChainAPI
import CityEncoding
import CityLedger
import CityWire
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The console's HTTP side (Hummingbird): every route goes through `ConsoleGuard` (token, CSRF,
/// Host), renders `ConsolePages` from the backend's verified answers, and sends no-store,
/// same-origin-only pages (a Content-Security-Policy that allows only this console's own script).
package struct ConsoleServer: Sendable {
    let backend: ConsoleBackend
    let host: String
    let port: Int
    let logger = Logger(label: "citychain.console.http")

    /// Serves until cancelled; `ready` gets the URL to open (with the token) once the socket is bound.
    package func run(ready: @escaping @Sendable (String) -> Void) async throws {
        let guardBox = GuardBox()
        let router = Router()
        let pages = self
        router.get("/static/console.css") { _, _ in Self.respond(200, ConsolePages.css, type: "text/css; charset=utf-8") }
        router.get("/static/live.js") { _, _ in Self.respond(200, ConsolePages.liveScript, type: "text/javascript; charset=utf-8") }
        for path in ["/", "/datasets", "/dataset", "/record", "/live", "/live/poll", "/write", "/grants", "/audit"] {
            router.get(RouterPath(path)) { request, _ in try await pages.serve(request, guard: guardBox.value, form: [:]) }
        }
        router.post("/write") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 256 * 1024)
            let form = FormData.decode(String(buffer: body))
            return try await pages.serve(request, guard: guardBox.value, form: form)
        }
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { channel in
                                  let bound = channel.localAddress?.port ?? port
                                  let g = ConsoleGuard(hosts: ConsoleGuard.hosts(listening: host, port: bound))
                                  guardBox.set(g)
                                  let shown = host.contains(":") ? "[\(host)]" : host
                                  ready("http://\(shown):\(bound)/?token=\(g.token)")
                              }, logger: quiet)
        try await app.runService()
    }

    /// Checks `request` with the guard, then renders the page for its path.
    func serve(_ request: Request, guard g: ConsoleGuard?, form: [String: String]) async throws -> Response {
        guard let g else { return Self.respond(503, "starting", type: "text/plain; charset=utf-8") }
        let query = FormData.decode(request.uri.query ?? "")
        let decision = g.decide(.init(method: request.method.rawValue, path: request.uri.path, host: request.head.authority,
                                      origin: request.headers[.origin], cookie: request.headers[.cookie], queryToken: query["token"],
                                      formCSRF: form["csrf"]))
        switch decision {
        case .refuse(let status, let message):
            return Self.respond(status, ConsolePages.page("Refused", agency: "", ConsolePages.error(message)))
        case .setCookieAndRedirect(let location):
            var headers = HTTPFields()
            headers[.location] = location
            headers[.setCookie] = g.setCookie
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        case .allow:
            break
        }
        do {
            return try await page(request.uri.path, query: query, form: form, csrf: g.csrf)
        } catch let e as ConsoleError {
            return Self.respond(e.status, ConsolePages.page("Error", agency: backend.agency.value, ConsolePages.error(e.description)))
        } catch let e as WireError {
            let status = switch e.code { case .forbidden: 403; case .notFound: 404; case .invalidRequest: 400; case .rateLimited: 429; default: 502 }
            return Self.respond(status, ConsolePages.page("Refused by the chain's services", agency: backend.agency.value, ConsolePages.error("\(e)")))
        } catch {
            return Self.respond(502, ConsolePages.page("Error", agency: backend.agency.value,
                                                       ConsolePages.error("the gateway \(backend.gateway) could not answer: \(error)")))
        }
    }

    func page(_ path: String, query: [String: String], form: [String: String], csrf: String) async throws -> Response {
        let b = backend
        let me = b.agency
        func html(_ title: String, _ body: String) -> Response { Self.respond(200, ConsolePages.page(title, agency: me.value, body)) }
        func dataset(_ name: String?) throws -> DatasetID {
            guard let name, !name.isEmpty else { throw ConsoleError(status: 400, "name a dataset (d=…)") }
            do { return try DatasetID(name) } catch { throw ConsoleError(status: 400, "'\(name)' is not a dataset id: \(error)") }
        }
        func subject(_ text: String?) throws -> SubjectKey {
            guard let text, !text.isEmpty else { throw ConsoleError(status: 400, "name a subject (s=…)") }
            do { return try SubjectKey(text) } catch { throw ConsoleError(status: 400, "'\(text)' is not a subject key: \(error)") }
        }
        let show: (ProvenTransaction) -> String = { t in
            guard case let .putRecord(_, s, _) = t.transaction.body.operation else {
                if case let .deleteRecord(_, _, reason) = t.transaction.body.operation { return "deleted: " + reason }
                if case let .eraseRecord(_, _, reason) = t.transaction.body.operation { return "erased: " + reason }
                return ""
            }
            return t.transaction.payloadBytes.map { b.show($0, subject: s) } ?? "erased"
        }
        let purpose = query["purpose"] ?? ""
        switch path {
        case "/":
            let (g, i) = try await b.overview()
            let access = try? await b.access()
            return html("Overview", ConsolePages.overview(g, i, access: access))
        case "/datasets":
            let (a, p) = try await b.access()
            return html("Datasets", ConsolePages.datasets(a, p, agency: me))
        case "/dataset":
            let d = try dataset(query["d"])
            if let ask = try await askPurpose(d, purpose, path: "/dataset", fields: [("d", d.value)]) { return html("Dataset \(d)", ask) }
            let after = query["after"].flatMap { ChainCursor(text: $0) } ?? .start
            let q = DatasetQuery(dataset: d, after: after, fromTimeMillis: 0, toTimeMillis: 0, writer: nil, predicates: [], limit: 50, purpose: purpose)
            let (a, p) = try await b.changes(q)
            return html("Dataset \(d)", ConsolePages.changes(dataset: d.value, a, p, show: show, purpose: purpose))
        case "/record":
            let d = try dataset(query["d"]), s = try subject(query["s"])
            let (access, _) = try await b.access()
            let entry = access.datasets.first { $0.entry.id == d }?.entry
            if let entry, entry.sensitivity != .public, purpose.trimmingCharacters(in: .whitespaces).isEmpty {
                return html("Record \(d)/\(s)", ConsolePages.purposeForm(path: "/record", dataset: entry, fields: [("d", d.value), ("s", s.value)]))
            }
            let (r, rp) = try await b.record(RecordQuery(dataset: d, subject: s, purpose: purpose))
            let history = try? await b.history(HistoryQuery(dataset: d, subject: s, afterVersion: 0, limit: 50, purpose: purpose))
            let owner = entry?.owner == me
            let payload = r.entry.map { e in e.erased ? "erased" : e.deleted ? "deleted" : b.show(r.payload, subject: s) } ?? "none"
            return html("Record \(d)/\(s)", ConsolePages.record(dataset: d.value, subject: s.value, r, rp, history: history, payload: payload, show: show,
                                                               owner: owner, purpose: purpose))
        case "/live":
            let d = try dataset(query["d"])
            let (a, _) = try await b.access()
            if let entry = a.datasets.first(where: { $0.entry.id == d })?.entry, entry.sensitivity != .public, purpose.trimmingCharacters(in: .whitespaces).isEmpty {
                return html("Live: \(d)", ConsolePages.purposeForm(path: "/live", dataset: entry, fields: [("d", d.value)]))
            }
            return html("Live: \(d)", ConsolePages.live(dataset: d.value, start: .endOf(height: a.at.height), purpose: purpose))
        case "/live/poll":
            let d = try dataset(query["d"])
            guard let after = query["after"].flatMap({ ChainCursor(text: $0) }) else { throw ConsoleError(status: 400, "after=HEIGHT.INDEX is required") }
            let q = DatasetQuery(dataset: d, after: after, fromTimeMillis: 0, toTimeMillis: 0, writer: nil, predicates: [], limit: 100, purpose: purpose)
            let (a, p) = try await b.changes(q)
            return Self.respond(200, ConsolePages.livePoll(a, p, after: after, show: show), type: "application/json")
        case "/write" where form.isEmpty:
            let (a, _) = try await b.access()
            let writable = a.datasets.map(\.entry).filter { $0.owner == me || $0.writers.contains(me) }
            return html("Write a record", ConsolePages.writeForm(datasets: writable, csrf: csrf, canSign: b.signer != nil, dataset: query["d"] ?? ""))
        case "/write":
            let d = try dataset(form["dataset"]), s = try subject(form["subject"])
            let text = form["payload"] ?? ""
            guard (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil else {
                throw ConsoleError(status: 400, "the payload is not JSON: write a JSON value, e.g. {\"zone\": \"B\"}")
            }
            let (a, _) = try await b.access()
            guard let entry = a.datasets.first(where: { $0.entry.id == d })?.entry else {
                throw ConsoleError(status: 404, "dataset '\(d)' does not exist at block \(a.at.height)")
            }
            let (outcome, proof) = try await b.write(dataset: entry, subject: s, payload: Array(text.utf8))
            return html("Receipt", ConsolePages.receipt(outcome, proof, dataset: d.value, subject: s.value))
        case "/grants":
            let (a, p) = try await b.access()
            return html("Grants", ConsolePages.grants(a, p, agency: me))
        case "/audit":
            let (a, _) = try await b.access()
            let owned = a.datasets.map(\.entry).filter { $0.owner == me }
            var body = ConsolePages.auditForm(datasets: owned, dataset: query["d"] ?? "", subject: query["s"] ?? "")
            if let dq = query["d"], let sq = query["s"], !sq.isEmpty {
                let (answer, p) = try await b.audit(AuditQuery(dataset: try dataset(dq), subject: try subject(sq), afterSequence: 0, limit: 100))
                body += ConsolePages.audit(answer, p)
            }
            return html("Audit trail", body)
        default:
            throw ConsoleError(status: 404, "no page \(path)")
        }
    }

    /// The purpose form when `d` is not public and no purpose is given; nil otherwise.
    func askPurpose(_ d: DatasetID, _ purpose: String, path: String, fields: [(String, String)]) async throws -> String? {
        guard purpose.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let (a, _) = try await backend.access()
        guard let entry = a.datasets.first(where: { $0.entry.id == d })?.entry, entry.sensitivity != .public else { return nil }
        return ConsolePages.purposeForm(path: path, dataset: entry, fields: fields)
    }

    static func respond(_ status: Int, _ text: String, type: String = "text/html; charset=utf-8") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The guard, set once the socket is bound (its Host list names the bound port).
final class GuardBox: @unchecked Sendable {
    private let lock = NSLock()
    private var guardValue: ConsoleGuard?
    var value: ConsoleGuard? { lock.withLock { guardValue } }
    func set(_ g: ConsoleGuard) { lock.withLock { guardValue = g } }
}
