import Foundation
import LiveKit
import TapedeckCore

/// How Tapedeck reaches LiveKit and where egress puts files.
public struct LiveKitSettings: Sendable, Equatable {
    /// The server's URL (`https://...` or the clients' `wss://...`).
    public var url: String
    public var credentials: LiveKitCredentials
    /// Keys whose webhooks are accepted: the main one plus any from `TAPEDECK_LIVEKIT_WEBHOOK_KEYS` (rotation).
    public var webhookKeys: [LiveKitCredentials]
    /// Where egress output appears on Tapedeck's side, when egress writes local files.
    public var egressDirectory: String?
    /// The same folder as egress sees it (if mounted elsewhere there).
    public var egressDirectoryRemote: String?
    /// How often the reconciler runs, and how long a recording may go without news before it checks.
    public var reconcileIntervalS: Int
    public var staleAfterS: Int

    static package func parse(_ values: SettingValues, storage: StorageSettings) throws(SettingsError) -> LiveKitSettings? {
        let key = values.string("LIVEKIT_API_KEY")
        let secret = values.string("LIVEKIT_API_SECRET")
        guard key != nil || secret != nil || values.string("LIVEKIT_URL") != nil else { return nil }
        guard let key else { throw SettingsError("LIVEKIT_API_KEY", "is required when LIVEKIT_URL or LIVEKIT_API_SECRET is set") }
        guard let secret else { throw SettingsError("LIVEKIT_API_SECRET", "is required with LIVEKIT_API_KEY") }
        guard let url = values.string("LIVEKIT_URL") else {
            throw SettingsError("LIVEKIT_URL", "is required with LIVEKIT_API_KEY (e.g. https://livekit.example.com)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["http", "https", "ws", "wss"].contains(scheme), components.host?.isEmpty == false
        else { throw SettingsError("LIVEKIT_URL", "must be an http(s):// or ws(s):// URL, got \"\(url)\"") }
        let main = LiveKitCredentials(apiKey: key, apiSecret: secret)
        var webhookKeys = [main]
        if let extra = values.string("TAPEDECK_LIVEKIT_WEBHOOK_KEYS") {
            for pair in extra.split(separator: ",") {
                let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw SettingsError("TAPEDECK_LIVEKIT_WEBHOOK_KEYS", "must be key:secret pairs separated by commas")
                }
                webhookKeys.append(LiveKitCredentials(apiKey: parts[0], apiSecret: parts[1]))
            }
        }
        let egressDirectory = values.string("TAPEDECK_EGRESS_DIR")
        switch storage {
        case .local, .supabase:
            guard egressDirectory != nil else {
                throw SettingsError(
                    "TAPEDECK_EGRESS_DIR",
                    "is required with LiveKit and \(storage.backendName) storage: egress writes recordings into this folder (shared with the egress service) and Tapedeck brings them into storage")
            }
        case .s3, .gcs:
            break
        }
        return LiveKitSettings(
            url: url, credentials: main, webhookKeys: webhookKeys, egressDirectory: egressDirectory,
            egressDirectoryRemote: values.string("TAPEDECK_EGRESS_DIR_REMOTE"),
            reconcileIntervalS: try values.int("TAPEDECK_RECONCILE_INTERVAL_S", default: 30, in: 1...3600),
            staleAfterS: try values.int("TAPEDECK_RECONCILE_AFTER_S", default: 90, in: 5...86_400))
    }
}

package extension RecordingPolicy {
    /// The default policy of rooms without their own, from `TAPEDECK_POLICY_*`.
    static package func defaults(_ values: SettingValues) throws(SettingsError) -> RecordingPolicy {
        var policy = RecordingPolicy()
        policy.start = try values.choice("TAPEDECK_POLICY_START", default: RecordingPolicy.StartRule.always)
        policy.stop = try values.choice("TAPEDECK_POLICY_STOP", default: RecordingPolicy.StopRule.roomEmpty)
        if let outputs = values.string("TAPEDECK_POLICY_OUTPUTS") {
            var parsed: [RecordingPolicy.Output] = []
            for name in outputs.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
                guard let output = RecordingPolicy.Output(rawValue: name) else {
                    throw SettingsError("TAPEDECK_POLICY_OUTPUTS", "must be hls, mp4 or hls,mp4, got \"\(outputs)\"")
                }
                if !parsed.contains(output) { parsed.append(output) }
            }
            policy.outputs = parsed
        }
        if let layout = values.string("TAPEDECK_POLICY_LAYOUT") { policy.layout = layout }
        policy.maxDurationS = try values.optionalInt("TAPEDECK_POLICY_MAX_DURATION", in: 10...(7 * 86_400))
        policy.segmentDurationS = try values.int("TAPEDECK_POLICY_SEGMENT_DURATION", default: 6, in: 1...30)
        if let roles = values.string("TAPEDECK_POLICY_HOST_ROLES") {
            policy.hostRoles = roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        policy.retainDays = try values.optionalInt("TAPEDECK_RETAIN_DAYS", in: 1...36_500)
        policy.notify = try values.choice("TAPEDECK_POLICY_NOTIFY", default: RecordingPolicy.Notify.invitees)
        policy.inviteLinkTTLS = try values.int(
            "TAPEDECK_INVITE_LINK_TTL_S", default: RecordingPolicy.defaultInviteLinkTTLS, in: 3600...(366 * 86_400))
        if let problem = policy.validationError() {
            let setting = [
                "layout": "TAPEDECK_POLICY_LAYOUT", "outputs": "TAPEDECK_POLICY_OUTPUTS",
                "host_roles": "TAPEDECK_POLICY_HOST_ROLES",
            ][problem.field] ?? "TAPEDECK_POLICY_*"
            throw SettingsError(setting, problem.message)
        }
        return policy
    }
}
