import Foundation
import TapedeckCore

/// How Tapedeck reaches 100ms and checks its webhooks.
public struct HMSSettings: Sendable, Equatable {
    /// `HMS_ACCESS_KEY` and `HMS_SECRET`, the names 100ms' own server SDK reads.
    public var accessKey: String
    public var secret: String
    /// `TAPEDECK_HMS_API_URL`.
    public var apiURL: String
    /// `TAPEDECK_HMS_WEBHOOK_SECRET`; generated into the data dir when unset (see start-up).
    public var webhookSecret: String?
    /// `TAPEDECK_HMS_MEETING_URL`: the recorder's join URL, with `{room_id}`.
    public var meetingURLTemplate: String?
    /// `TAPEDECK_HMS_SOURCE_IPS`: when set, webhooks from elsewhere are refused (403).
    public var sourceIPs: TrustedProxies?
    public var reconcileIntervalS: Int
    public var staleAfterS: Int
    /// `TAPEDECK_HMS_TRANSCRIPT_LANGUAGE`: the language of 100ms' transcripts (they do not say).
    public var transcriptLanguage = LanguageTag("en")!

    /// The header 100ms is configured to send the secret in.
    public static let secretHeader = "Tapedeck-Webhook-Secret"
    public static let defaultAPIURL = "https://api.100ms.live/v2"

    static package func parse(_ values: SettingValues) throws(SettingsError) -> HMSSettings? {
        let key = values.string("HMS_ACCESS_KEY")
        let secret = values.string("HMS_SECRET")
        guard key != nil || secret != nil else { return nil }
        guard let key else { throw SettingsError("HMS_ACCESS_KEY", "is required with HMS_SECRET") }
        guard let secret else { throw SettingsError("HMS_SECRET", "is required with HMS_ACCESS_KEY") }
        let apiURL = try values.url("TAPEDECK_HMS_API_URL") ?? defaultAPIURL
        let webhookSecret = values.string("TAPEDECK_HMS_WEBHOOK_SECRET")
        if let webhookSecret, webhookSecret.utf8.count < 16 {
            throw SettingsError("TAPEDECK_HMS_WEBHOOK_SECRET", "must be at least 16 characters (anyone who guesses it can send webhooks)")
        }
        let meetingURL = values.string("TAPEDECK_HMS_MEETING_URL")
        if let meetingURL {
            guard meetingURL.contains("{room_id}"), let url = URL(string: meetingURL.replacingOccurrences(of: "{room_id}", with: "x")),
                ["http", "https"].contains(url.scheme?.lowercased() ?? "")
            else {
                throw SettingsError("TAPEDECK_HMS_MEETING_URL", "must be an http(s) URL containing {room_id}, got \"\(meetingURL)\"")
            }
        }
        var sourceIPs: TrustedProxies?
        if let list = values.string("TAPEDECK_HMS_SOURCE_IPS") {
            do {
                sourceIPs = try TrustedProxies(parsing: list)
            } catch {
                throw SettingsError("TAPEDECK_HMS_SOURCE_IPS", "must be comma-separated IP addresses or CIDR networks: \(error)")
            }
        }
        var transcriptLanguage = LanguageTag("en")!
        if let raw = values.string("TAPEDECK_HMS_TRANSCRIPT_LANGUAGE") {
            guard let tag = LanguageTag(raw) else {
                throw SettingsError("TAPEDECK_HMS_TRANSCRIPT_LANGUAGE", "must be a BCP 47 language tag such as en or pt-BR, got \"\(raw)\"")
            }
            transcriptLanguage = tag
        }
        var settings = HMSSettings(
            accessKey: key, secret: secret, apiURL: apiURL, webhookSecret: webhookSecret, meetingURLTemplate: meetingURL,
            sourceIPs: sourceIPs,
            reconcileIntervalS: try values.int("TAPEDECK_RECONCILE_INTERVAL_S", default: 30, in: 1...3600),
            staleAfterS: try values.int("TAPEDECK_RECONCILE_AFTER_S", default: 90, in: 5...86_400))
        settings.transcriptLanguage = transcriptLanguage
        return settings
    }
}
