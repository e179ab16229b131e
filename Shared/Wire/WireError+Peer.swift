import CityEncoding

extension WireError {
    /// The one place that decides what a peer may see of a failure: `WireError`s pass as they
    /// are (except `internal`, whose text is replaced), decoding failures become `invalidRequest`
    /// (they describe the peer's own bytes), cancellation becomes `cancelled`, anything else
    /// becomes a generic `internal` error; the details stay in the server's log.
    package static func forPeer(_ error: any Error) -> WireError {
        switch error {
        case let wire as WireError where wire.code == .internal:
            return .internalFailure
        case let wire as WireError:
            return wire
        case let codec as CodecError:
            return WireError(.invalidRequest, "\(codec); re-encode the payload as docs/protocol/wire.md describes")
        case is CancellationError:
            return WireError(.cancelled, "the request was cancelled before it finished")
        default:
            return .internalFailure
        }
    }

    /// The only `internal` error a peer ever sees.
    package static var internalFailure: WireError { WireError(
        .internal, "the server failed to handle this request; the details are in its log; retry later or report it") }

    /// The length field announced more bytes than the receiver accepts.
    package static func frameTooLarge(length: UInt32, max: Int) -> WireError {
        WireError(.frameTooLarge, "frame length \(length) is over the limit of \(max) bytes; split the payload; closing the connection")
    }

    /// The length field announced fewer bytes than a header.
    package static func frameTooShort(length: UInt32) -> WireError {
        WireError(.badFrame, "frame length \(length) is shorter than the 8-byte header; the stream is out of sync; closing the connection")
    }

    /// The version byte is not 1.
    package static func unsupportedVersion(_ version: UInt8) -> WireError {
        WireError(.unsupportedVersion, "frame version \(version) is not supported; this server speaks version \(Frame.version) only; closing the connection")
    }
}
