import CityEncoding
import CityPKI
import CityWire
import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// Reloads the service's certificate, key and CA on SIGHUP: new inbound connections (and new
/// outgoing ones of the clients registered with `NodeOps.reloads`) use the new identity, open
/// connections keep theirs. A file that cannot be used leaves the old identity in place and is
/// logged with what to fix.
struct CertificateReloader: Service {
    let files: TLSIdentityFiles
    let role: Role
    let name: String
    let server: WireServer
    let clients: @Sendable () -> [WireClient]
    /// Told of each successful reload, after the server and clients switched.
    var reloaded: @Sendable (TLSIdentity) -> Void = { _ in }
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// One reload; returns the new identity, or nil when it failed (and was logged).
    @discardableResult
    func reload() -> TLSIdentity? {
        do {
            let tls = try Self.load(files: files, role: role, name: name)
            try server.replaceTLS(TLSSetup.server(tls))
            for client in clients() { try client.replaceTLS(TLSSetup.client(tls)) }
            reloaded(tls)
            let leaf = tls.certificateChain[0]
            logger.notice("certificate reloaded on SIGHUP: new connections use it", metadata: [
                "tls.subject": "\(role) '\(name)'",
                "tls.serial": "\(Hex.encode(leaf.serialNumber))",
                "tls.not_after": "\(Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)))",
                "tls.cert": "\(files.certificatePath)",
            ])
            return tls
        } catch {
            logger.error("certificate reload on SIGHUP failed; still serving with the previous certificate", metadata: [
                "tls.error": "\(error)", "tls.cert": "\(files.certificatePath)", "tls.key": "\(files.privateKeyPath)",
                "tls.ca": "\(files.caCertificatePath)",
            ])
            return nil
        }
    }

    /// Loads and checks the files: readable PEM, the key matches the certificate, the same role and
    /// name as the running service, and currently valid.
    static func load(files: TLSIdentityFiles, role: Role, name: String) throws -> TLSIdentity {
        let tls = try TLSIdentity(files: files)
        let identity = try PeerIdentity(certificate: tls.certificateChain[0])
        guard identity.role == role, identity.name == name else {
            throw PKIError(.invalidRole, "\(files.certificatePath) is for \(identity.role) '\(identity.name)' but this process is \(role) '\(name)'; "
                           + "issue one with 'citychain pki issue --role \(role) --name \(name)'")
        }
        let now = time(nil)
        let leaf = tls.certificateChain[0]
        guard leaf.notValidBefore <= now, now < leaf.notValidAfter else {
            throw PKIError(.malformed, "\(files.certificatePath) is not valid now (valid \(Date(timeIntervalSince1970: TimeInterval(leaf.notValidBefore))) to "
                           + "\(Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)))); issue a current one")
        }
        // NIOSSL checks that the key belongs to the certificate when it builds a context.
        do { _ = try NIOSSLContext(configuration: TLSSetup.server(tls)) } catch {
            throw PKIError(.malformed, "the key \(files.privateKeyPath) does not fit the certificate \(files.certificatePath) (\(error)); write the matching pair")
        }
        return tls
    }
}
