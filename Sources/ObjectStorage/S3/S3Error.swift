import Foundation

/// Turns S3's error responses into errors that say which setting to check.
enum S3ErrorMapping {
    /// - Parameter settings: the prefix of the backend's setting names, e.g. `TAPEDECK_S3_`.
    static func error(status: Int, body: Data, key: String?, settings: String) -> ObjectStoreError {
        let document = XMLNode.parse(body)
        let code = document?.value("Code") ?? ""
        let message = document?.value("Message") ?? ""
        let detail = message.isEmpty ? "" : ": \(message)"
        switch code {
        case "NoSuchKey":
            return .notFound(key ?? "")
        case "InvalidRange":
            return .rangeNotSatisfiable(size: Int64(document?.value("ActualObjectSize") ?? "") ?? 0)
        case "SignatureDoesNotMatch":
            return .backend(
                message: "the storage service rejected the request signature\(detail)",
                setting: "\(settings)SECRET_ACCESS_KEY and \(settings)REGION")
        case "InvalidAccessKeyId":
            return .backend(message: "the storage service does not know this access key\(detail)", setting: "\(settings)ACCESS_KEY_ID")
        case "NoSuchBucket":
            return .backend(message: "the bucket does not exist\(detail)", setting: "\(settings)BUCKET")
        case "AccessDenied", "AllAccessDisabled":
            return .backend(
                message: "access denied: the key lacks permission for this bucket or object\(detail)",
                setting: "the permissions of \(settings)ACCESS_KEY_ID")
        case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
            return .backend(message: "the bucket is in another region or behind another endpoint\(detail)",
                            setting: "\(settings)REGION and \(settings)ENDPOINT")
        case "InvalidToken", "ExpiredToken", "TokenRefreshRequired":
            return .backend(message: "the session token is invalid or expired\(detail)", setting: "\(settings)SESSION_TOKEN")
        case "RequestTimeTooSkewed":
            return .backend(message: "this machine's clock is too far from the storage service's\(detail)", setting: nil)
        default:
            if status == 404 && key != nil { return .notFound(key!) }
            if status == 416 { return .rangeNotSatisfiable(size: 0) }
            if status == 403 {
                return .backend(
                    message: "access denied (HTTP 403)\(detail)",
                    setting: "\(settings)ACCESS_KEY_ID, \(settings)SECRET_ACCESS_KEY and the key's permissions")
            }
            let name = code.isEmpty ? "HTTP \(status)" : "\(code) (HTTP \(status))"
            return .backend(message: "the storage service answered \(name)\(detail)", setting: nil)
        }
    }

    /// Errors worth retrying: throttling and server-side failures.
    static func isRetryable(status: Int) -> Bool {
        status == 429 || status == 500 || status == 502 || status == 503 || status == 504
    }
}
