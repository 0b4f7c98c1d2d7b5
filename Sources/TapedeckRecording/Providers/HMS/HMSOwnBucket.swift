import ObjectStorage

/// Tapedeck's own bucket, as 100ms names objects in it (`s3://bucket/key`, `gs://bucket/key`).
/// When the customer's 100ms template uploads into the very bucket Tapedeck stores in, the
/// finished file is already where it belongs: the copy-in checks it with HEAD instead of
/// downloading and uploading it again.
package struct HMSOwnBucket: Sendable, Equatable {
    package var scheme: String
    package var bucket: String
    /// What the store prepends to every key (`tapedeck/`): a file outside it is not the store's.
    package var keyPrefix: String

    package init(scheme: String, bucket: String, keyPrefix: String) {
        self.scheme = scheme
        self.bucket = bucket
        self.keyPrefix = keyPrefix
    }

    /// S3 and GCS stores; Supabase and local disk cannot be a 100ms upload target.
    package init?(storage: StorageSettings) {
        switch storage {
        case .s3(let c): self.init(scheme: "s3", bucket: c.bucket, keyPrefix: c.keyPrefix)
        case .gcs(let c, _): self.init(scheme: "gs", bucket: c.bucket, keyPrefix: c.keyPrefix)
        case .local, .supabase: return nil
        }
    }

    /// The store's key for the object 100ms reports at `path`, or nil when it lies elsewhere
    /// (another bucket, outside the key prefix, or a name the store would not accept).
    package func key(of path: String?) -> ObjectKey? {
        // Bytes, not characters: a combining mark after the prefix must not blur where it ends.
        let prefix = Array("\(scheme)://\(bucket)/\(keyPrefix)".utf8)
        guard let path, path.utf8.starts(with: prefix) else { return nil }
        return try? ObjectKey(String(decoding: path.utf8.dropFirst(prefix.count), as: UTF8.self))
    }
}
