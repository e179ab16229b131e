import CityChainAPI
import CityEncoding
import CityLedger
import Foundation

/// The console's pages, rendered on the server from verified answers (pure: data in, HTML out).
/// Every page that shows an answer shows its proof status beside it.
package enum ConsolePages {
    /// `text` escaped for HTML text and attribute values.
    package static func h(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A page: the navigation, the agency's name, `body`.
    package static func page(_ title: String, agency: String, _ body: String) -> String {
        let nav = [("/", "Overview"), ("/datasets", "Datasets"), ("/write", "Write"), ("/grants", "Grants"), ("/audit", "Audit")]
            .map { "<a href=\"\($0.0)\">\($0.1)</a>" }.joined(separator: " ")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(h(title)) — CityChain console</title>
            <link rel="stylesheet" href="/static/console.css"></head>
            <body><header><strong>CityChain console</strong> · agency <code id="agency">\(h(agency))</code><nav>\(nav)</nav></header>
            <main><h1>\(h(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    /// The proof status of an answer: a green "verified" with what was checked, or a red "NOT verified" with why.
    package static func proof(_ p: ConsoleBackend.Proof) -> String {
        switch p {
        case .verified(let what): "<p class=\"proof ok\" data-proof=\"verified\">proofs: verified — \(h(what))</p>"
        case .failed(let why): "<p class=\"proof bad\" data-proof=\"failed\">proofs: NOT verified — \(h(why))</p>"
        }
    }

    package static func table(_ headers: [String], _ rows: [[String]], id: String? = nil) -> String {
        let head = headers.allSatisfy(\.isEmpty) ? "" : "<thead><tr>" + headers.map { "<th>\(h($0))</th>" }.joined() + "</tr></thead>"
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table\(id.map { " id=\"\($0)\"" } ?? "")>\(head)<tbody>\n\(body)\n</tbody></table>"
    }

    package static func error(_ message: String) -> String { "<p class=\"error\">\(h(message))</p>" }

    package static func link(_ path: String, _ query: [(String, String)], _ text: String) -> String {
        let q = query.map { "\($0.0)=\(FormData.escape($0.1))" }.joined(separator: "&")
        return "<a href=\"\(h(path + (q.isEmpty ? "" : "?" + q)))\">\(h(text))</a>"
    }

    // MARK: - Pages

    package static func overview(_ g: GatewayStatus, _ i: IndexerStatus?, access: (AccessAnswer, ConsoleBackend.Proof)?) -> String {
        var rows: [[String]] = [["chain", h(g.chainID)], ["head (gateway)", "\(g.headHeight)"]]
        if let i {
            rows += [["indexed height", "\(i.indexedHeight)"], ["proven height", "\(i.provenHeight)"], ["indexer lag", "\(i.lag) blocks"]]
        } else {
            rows.append(["indexer", "<span class=\"bad\">no indexer answered</span>"])
        }
        var out = table(["", ""], rows, id: "head")
        let upstreams = (g.validators.map { ("validator", $0) } + g.indexers.map { ("indexer", $0) }).map { kind, u in
            [kind, h(u.address), u.healthy ? "<span class=\"ok\">healthy</span>" : "<span class=\"bad\">unhealthy</span>", "\(u.height)", h(u.detail)]
        }
        out += "<h2>Health</h2>" + table(["role", "address", "state", "height", "detail"], upstreams, id: "health")
        if let (a, p) = access {
            out += "<h2>Certified head</h2><p>block \(a.at.height), hash <code>\(h("\(a.at.header.hash)"))</code>, time \(h(ReadDecision.isoTime(a.at.header.timeMillis)))</p>" + proof(p)
        }
        return out
    }

    package static func datasets(_ a: AccessAnswer, _ p: ConsoleBackend.Proof, agency: AgencyID) -> String {
        let rows = a.datasets.map { d -> [String] in
            let readable = a.canRead(agency, d.entry)
            let role = d.entry.owner == agency ? "owner" : d.entry.writers.contains(agency) ? "writer" : readable ? (d.entry.sensitivity == .public ? "public" : "grant") : "no grant"
            let actions = readable
                ? link("/dataset", [("d", d.entry.id.value)], "changes") + " · " + link("/live", [("d", d.entry.id.value)], "live")
                : "ask \(h(d.entry.owner.value)) for a grant"
            return [h(d.entry.id.value), h(d.entry.owner.value), d.entry.sensitivity.jsonName, h(d.entry.writers.map(\.value).joined(separator: ", ")),
                    readable ? "<span class=\"ok\">yes</span> (\(role))" : "<span class=\"bad\">no</span>", actions]
        }
        return "<p>The datasets of the chain at block \(a.at.height), and whether you may read each.</p>"
            + table(["dataset", "owner", "sensitivity", "writers", "you may read", ""], rows, id: "datasets") + proof(p)
            + lookupForm(datasets: a.datasets.filter { a.canRead(agency, $0.entry) }.map(\.entry))
    }

    static func lookupForm(datasets: [DatasetEntry], dataset: String = "", subject: String = "", purpose: String = "") -> String {
        let options = datasets.map { "<option value=\"\(h($0.id.value))\"\($0.id.value == dataset ? " selected" : "")>\(h($0.id.value))</option>" }.joined()
        return """
            <h2>Look up a record</h2>
            <form method="get" action="/record" id="lookup">
            <label>dataset <select name="d">\(options)</select></label>
            <label>subject <input name="s" value="\(h(subject))" required></label>
            <label>purpose <input name="purpose" id="purpose" value="\(h(purpose))" placeholder="why you read (internal and restricted datasets)"></label>
            <button type="submit">Read</button></form>
            """
    }

    /// Asks for the purpose of a read of a non-public dataset (recorded in its owner's audit trail),
    /// then repeats the GET of `path` with `fields` and the purpose.
    package static func purposeForm(path: String, dataset: DatasetEntry, fields: [(String, String)]) -> String {
        let hidden = fields.map { "<input type=\"hidden\" name=\"\(h($0.0))\" value=\"\(h($0.1))\">" }.joined()
        return """
            <p>Reading the \(dataset.sensitivity.jsonName) dataset <code>\(h(dataset.id.value))</code> is recorded in its owner's audit trail with your purpose: state it.</p>
            <form method="get" action="\(h(path))" id="purpose-form">\(hidden)
            <label>purpose <input name="purpose" id="purpose" required placeholder="why you read"></label>
            <button type="submit">Read</button></form>
            """
    }

    package static func changes(dataset: String, _ a: ChangesAnswer, _ p: ConsoleBackend.Proof, show: (ProvenTransaction) -> String, purpose: String) -> String {
        let rows = a.items.map { changeRow($0, show: show) }
        var out = table(["cursor", "signer", "record", "operation", "payload"], rows, id: "changes") + proof(p)
        if a.more, let last = a.items.last {
            out += "<p>" + link("/dataset", [("d", dataset), ("after", "\(last.cursor)"), ("purpose", purpose)], "next page") + "</p>"
        }
        return "<p>Changes of <code>\(h(dataset))</code> in chain order, as of block \(a.at.height). "
            + link("/live", [("d", dataset), ("purpose", purpose)], "Live view") + "</p>" + out
    }

    static func changeRow(_ t: ProvenTransaction, show: (ProvenTransaction) -> String) -> [String] {
        let body = t.transaction.body
        var record = ""
        switch body.operation {
        case let .putRecord(d, s, _), let .deleteRecord(d, s, _), let .eraseRecord(d, s, _):
            record = link("/record", [("d", d.value), ("s", s.value)], "\(d)/\(s)")
        default: break
        }
        return ["\(t.cursor)", h(body.signer.agency.value), record, h(body.operation.name), h(show(t))]
    }

    package static func record(dataset: String, subject: String, _ r: RecordAnswer, _ rp: ConsoleBackend.Proof,
                               history: (ChangesAnswer, ConsoleBackend.Proof)?, payload: String, show: (ProvenTransaction) -> String,
                               owner: Bool, purpose: String) -> String {
        var rows: [[String]] = [["record", "<code>\(h(dataset))/\(h(subject))</code>"], ["as of block", "\(r.at.height)"]]
        if let e = r.entry {
            rows += [["version", "\(e.version)"], ["state", e.erased ? "erased" : e.deleted ? "deleted" : "written"], ["writer", h(e.writer.agency.value)],
                     ["height", "\(e.height)"], ["transaction", "<code>\(h("\(e.transactionID)"))</code>"], ["payload", "<pre id=\"payload\">\(h(payload))</pre>"]]
        } else {
            rows.append(["state", "absent (never written)"])
        }
        var out = table(["", ""], rows, id: "record") + proof(rp)
        if let (hist, hp) = history {
            out += "<h2>History</h2>" + table(["cursor", "signer", "record", "operation", "payload"], hist.items.map { changeRow($0, show: show) }, id: "history") + proof(hp)
        }
        if owner {
            out += "<p>" + link("/audit", [("d", dataset), ("s", subject)], "Who read this record") + "</p>"
        }
        return out
    }

    package static func writeForm(datasets: [DatasetEntry], csrf: String, canSign: Bool, dataset: String = "", subject: String = "", json: String = "") -> String {
        guard canSign else {
            return error("This console was started without --signing-key: it can read, not write. Restart it with the agency's signing key file to write records.")
        }
        guard !datasets.isEmpty else { return "<p>You may write to no dataset (you own none and are a writer of none).</p>" }
        let options = datasets.map { d in
            "<option value=\"\(h(d.id.value))\"\(d.id.value == dataset ? " selected" : "")>\(h(d.id.value)) (\(d.sensitivity.jsonName)\(d.sensitivity == .restricted ? ", sealed" : ""))</option>"
        }.joined()
        return """
            <p>Signed with your agency's key; payloads of restricted datasets are sealed (HPKE) to you and the dataset's owner before they leave this machine.</p>
            <form method="post" action="/write" id="write">
            <input type="hidden" name="csrf" value="\(h(csrf))">
            <label>dataset <select name="dataset" id="dataset">\(options)</select></label>
            <label>subject <input name="subject" id="subject" value="\(h(subject))" required></label>
            <label>payload (JSON) <textarea name="payload" id="payload" rows="6" required>\(h(json))</textarea></label>
            <button type="submit" id="submit">Sign and submit</button></form>
            """
    }

    package static func receipt(_ o: GatewayOutcome, _ p: ConsoleBackend.Proof?, dataset: String, subject: String) -> String {
        let (status, detail): (String, String) = switch o.state {
        case .pending: ("pending", "admitted, not final yet")
        case .committed(let r): ("committed", "height \(r.height), index \(r.index), block \(r.blockHash)")
        case .rejected(let why): ("rejected", "\(why)")
        }
        var out = table(["", ""], [["transaction", "<code>\(h("\(o.id)"))</code>"], ["status", "<span id=\"status\" class=\"\(status == "committed" ? "ok" : "bad")\">\(status)</span>"],
                                   ["detail", h(detail)]], id: "receipt")
        if let p { out += "<h2>Receipt</h2>" + proof(p) }
        return out + "<p>" + link("/record", [("d", dataset), ("s", subject)], "Read the record back") + " · " + link("/write", [], "Write another") + "</p>"
    }

    package static func grants(_ a: AccessAnswer, _ p: ConsoleBackend.Proof, agency: AgencyID) -> String {
        func row(_ g: ProvenGrant) -> [String] {
            let live = g.entry.isLive(atHeight: a.at.height, timeMillis: a.at.header.timeMillis)
            return [h(g.dataset.value), h(g.grantee.value), "\(g.entry.grantedAtHeight)", "\(g.entry.expiresAtHeight)",
                    g.entry.expiresAtMillis == 0 ? "—" : h(ReadDecision.isoTime(g.entry.expiresAtMillis)), h(g.entry.purpose),
                    live ? "<span class=\"ok\">live</span>" : "<span class=\"bad\">expired</span>"]
        }
        let owned = Set(a.datasets.filter { $0.entry.owner == agency }.map(\.entry.id))
        let given = a.grants.filter { owned.contains($0.dataset) && $0.grantee != agency }.map(row)
        let held = a.grants.filter { $0.grantee == agency }.map(row)
        let headers = ["dataset", "grantee", "granted at", "expires at height", "expires at time", "purpose", "state"]
        return "<h2>Grants you gave</h2>" + table(headers, given, id: "given") + "<h2>Grants you hold</h2>" + table(headers, held, id: "held") + proof(p)
    }

    package static func auditForm(datasets: [DatasetEntry], dataset: String = "", subject: String = "") -> String {
        let options = datasets.map { "<option value=\"\(h($0.id.value))\"\($0.id.value == dataset ? " selected" : "")>\(h($0.id.value))</option>" }.joined()
        return """
            <form method="get" action="/audit" id="audit-form">
            <label>dataset <select name="d">\(options)</select></label>
            <label>subject <input name="s" value="\(h(subject))" required></label>
            <button type="submit">Show reads</button></form>
            """
    }

    package static func audit(_ a: AuditAnswer, _ p: ConsoleBackend.Proof) -> String {
        let rows = a.items.map { i in
            ["\(i.record.sequence)", h(i.record.reader.value), h(ReadDecision.isoTime(i.record.timeMillis)), i.anchor == nil ? "not yet" : "yes", h(i.record.purpose)]
        }
        return "<p>Every read of the record by another agency, as of block \(a.at.height).</p>"
            + table(["sequence", "reader", "time", "anchored on chain", "purpose"], rows, id: "audit") + proof(p)
    }

    /// The live view: the first page of changes after `start`, then `/static/live.js` polls for more.
    package static func live(dataset: String, start: ChainCursor, purpose: String) -> String {
        """
        <p>New changes of <code>\(h(dataset))</code> appear here as they are committed, each checked against the chain (proofs verified by the console before it shows them).</p>
        <div id="live" data-dataset="\(h(dataset))" data-after="\(start)" data-purpose="\(h(purpose))">
        <p id="live-status">waiting for changes after \(start)…</p>
        \(table(["cursor", "signer", "record", "operation", "payload"], [], id: "live-rows"))
        </div>
        <script src="/static/live.js"></script>
        """
    }

    /// One poll of the live view, as JSON: the rows (already escaped HTML cells), the next cursor, the proof status.
    package static func livePoll(_ a: ChangesAnswer, _ p: ConsoleBackend.Proof, after: ChainCursor, show: (ProvenTransaction) -> String) -> String {
        let rows = a.items.map { changeRow($0, show: show) }
        let next = a.items.last?.cursor ?? after
        let (ok, text): (Bool, String) = switch p {
        case .verified(let w): (true, "verified — " + w)
        case .failed(let w): (false, "NOT verified — " + w)
        }
        let obj: [String: Any] = ["rows": rows, "next": "\(next)", "verified": ok, "proof": text, "height": a.at.height, "more": a.more]
        guard let data = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    package static let css = """
        body { font-family: system-ui, sans-serif; margin: 0; color: #1b1f24; }
        header { background: #12355b; color: white; padding: 0.6em 1em; }
        header nav { display: inline; margin-left: 2em; }
        header a { color: #dfe9f5; margin-right: 1em; }
        main { padding: 1em 2em; }
        table { border-collapse: collapse; margin: 0.5em 0; }
        th, td { border: 1px solid #c8d0d8; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        th { background: #eef2f6; }
        .ok { color: #1a7f37; font-weight: 600; }
        .bad, .error { color: #b42318; font-weight: 600; }
        .proof { padding: 0.4em 0.6em; border-radius: 4px; }
        .proof.ok { background: #e6f4ea; }
        .proof.bad { background: #fdecea; }
        form label { display: block; margin: 0.4em 0; }
        textarea, input, select { font-family: ui-monospace, monospace; }
        pre { margin: 0; white-space: pre-wrap; }
        """

    /// The live view's script: polls `/live/poll` once a second and appends the new rows (cells are
    /// escaped on the server).
    package static let liveScript = """
        (function () {
          var box = document.getElementById('live');
          if (!box) return;
          var after = box.dataset.after, dataset = box.dataset.dataset, purpose = box.dataset.purpose;
          var rows = document.querySelector('#live-rows tbody'), status = document.getElementById('live-status');
          function poll() {
            var url = '/live/poll?d=' + encodeURIComponent(dataset) + '&after=' + encodeURIComponent(after) + '&purpose=' + encodeURIComponent(purpose);
            fetch(url, { credentials: 'same-origin' }).then(function (r) {
              if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
              return r.json();
            }).then(function (a) {
              a.rows.forEach(function (cells) {
                var tr = document.createElement('tr');
                cells.forEach(function (c) { var td = document.createElement('td'); td.innerHTML = c; tr.appendChild(td); });
                rows.appendChild(tr);
              });
              after = a.next;
              status.textContent = rows.children.length + ' changes shown; last answer as of block ' + a.height + ', proofs ' + a.proof;
              status.className = a.verified ? 'proof ok' : 'proof bad';
              setTimeout(poll, a.more ? 0 : 1000);
            }).catch(function (e) {
              status.textContent = 'live view paused: ' + e.message + ' (retrying)';
              status.className = 'proof bad';
              setTimeout(poll, 2000);
            });
          }
          poll();
        })();
        """
}
