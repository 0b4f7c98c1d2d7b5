import Foundation
import TapedeckCore
import TapedeckStore

/// The text and HTML of the emails Tapedeck sends. Every value a user or provider controls
/// (names, room names, titles) goes into the HTML through ``HTMLEscaping`` (the pages' escaping),
/// and into the subject with line breaks and controls replaced by spaces; the SMTP client
/// encodes the subject for the header. The link is the only URL in a message.
package enum MailTemplates {
    package struct Rendered: Sendable, Equatable {
        package var subject: String
        package var text: String
        package var html: String
    }

    /// What is shown instead of the personal link wherever the outbox is listed.
    package static let linkPlaceholder = "(personal link: only in the message itself)"

    package static func render(
        _ kind: EmailKind, recording: Recording, recipientName: String?, recipientEmail: String, link: String, expiresAt: Date
    ) -> Rendered {
        let what = recording.title.flatMap { $0.isEmpty ? nil : $0 } ?? recording.roomName
        let when = recording.startedAt.map(Self.day) ?? Self.day(recording.createdAt)
        let duration = recording.durationMs.map { Self.duration(ms: $0) }
        let name = recipientName.map(oneLine).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        let greeting = name.map { "Hello \($0)," } ?? "Hello,"
        let opening =
            switch kind {
            case .invite: "The recording of \(oneLine(what)) (\(when)\(duration.map { ", \($0)" } ?? "")) is ready."
            case .accessLink: "Here is a fresh link to the recording of \(oneLine(what)) (\(when)), as you asked."
            }
        let subject =
            switch kind {
            case .invite: "Recording ready: \(oneLine(what))"
            case .accessLink: "Your link to the recording of \(oneLine(what))"
            }
        let validity = "The link is personal: it is for \(recipientEmail) and works until \(expiresAt.rfc3339)."
        let text = """
            \(greeting)

            \(opening) Watch it here:

            \(link)

            \(validity)
            If you did not expect this email, you can ignore it.
            """
        let e = HTMLEscaping.escape
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(e(subject))</title></head>
            <body style="font-family: sans-serif; line-height: 1.5">
            <p>\(e(greeting))</p>
            <p>\(e(opening))</p>
            <p><a href="\(e(link))">Watch the recording</a></p>
            <p style="color: #555">\(e(validity))<br>If you did not expect this email, you can ignore it.</p>
            </body></html>
            """
        return Rendered(subject: String(subject.prefix(200)), text: text, html: html)
    }

    /// One line of plain text: every control character and line separator becomes a space.
    package static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { PlainText.hasControlCharacters(String($0)) ? " " : $0 }))
    }

    static func day(_ date: Date) -> String { String(date.rfc3339.prefix(10)) }

    static func duration(ms: Int64) -> String {
        let seconds = max(0, ms / 1000)
        return seconds >= 3600
            ? String(format: "%d h %02d min", seconds / 3600, (seconds % 3600) / 60)
            : String(format: "%d min %02d s", seconds / 60, seconds % 60)
    }
}
