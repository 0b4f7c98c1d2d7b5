import LocalMediaServer
import TapedeckCore

// Wires LocalMediaServer into the application: its shares, metrics, request ids and errors.

extension AppDependencies {
    /// Local media answered in the channel pipeline: with local storage and signed URLs only.
    var localMediaFastPath: LocalMediaFastPath? {
        guard let store = localDiskStore, let signer = mediaSigner else { return nil }
        let revoked = revokedShares
        let route = metrics.routeMetrics(LocalMediaFastPath.route)
        return LocalMediaFastPath(
            signer: signer, store: store, clock: catalog.clock, logger: logger,
            isRevoked: { revoked.contains($0) },
            recordRequest: { route.record(method: $0, status: $1, duration: $2) },
            requestID: { $0.flatMap(RequestIDMiddleware.acceptable) ?? RequestIDs.next() })
    }

    /// The streaming `/media` route, for what the pipeline passes on.
    var mediaController: MediaController? {
        guard let signer = mediaSigner else { return nil }
        let revoked = revokedShares
        return MediaController(store: store, signer: signer, clock: catalog.clock, isRevoked: { revoked.contains($0) })
    }
}

extension APIError {
    /// A refused media request, answered as every other API error.
    init(_ media: MediaError) {
        self.init(media.status, code: media.code, message: media.message, field: media.field, headers: media.headers)
    }
}
