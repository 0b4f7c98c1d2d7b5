import LocalMediaServer
import TapedeckCore
import TapedeckRecording

// Wires LocalMediaServer into the application: its shares, metrics, request ids and errors.

extension AppDependencies {
    /// Local media answered in the channel pipeline: with local storage and signed URLs only.
    var localMediaFastPath: LocalMediaFastPath? {
        guard let store = self.localDiskStore, let signer = mediaSigner else { return nil }
        let revoked = revokedShares
        let route = self.metrics.routeMetrics(LocalMediaFastPath.route)
        return LocalMediaFastPath(
            signer: signer, store: store, clock: self.catalog.clock, logger: self.logger,
            isRevoked: { revoked.contains($0) },
            recordRequest: { route.record(method: $0, status: $1, duration: $2) },
            requestID: { $0.flatMap(RequestIDMiddleware.acceptable) ?? RequestIDs.next() })
    }

    /// The streaming `/media` route, for what the pipeline passes on.
    var mediaController: MediaController? {
        guard let signer = mediaSigner else { return nil }
        let revoked = revokedShares
        return MediaController(store: self.store, signer: signer, clock: self.catalog.clock, isRevoked: { revoked.contains($0) })
    }
}

extension APIError {
    /// A refused media request, answered as every other API error.
    init(_ media: MediaError) {
        self.init(media.status, code: media.code, message: media.message, field: media.field, headers: media.headers)
    }
}
