import ArgumentParser
import Foundation
import NIOPosix
import SMTP
import TapedeckRecording

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Email delivery.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send one message with the configured SMTP settings and print the server's answer.",
            discussion: """
                Reads TAPEDECK_SMTP_URL, TAPEDECK_SMTP_CA_FILE and TAPEDECK_MAIL_FROM like the server does. \
                Exit status: 0 sent, 1 refused or unreachable (the error says whether a retry may help), \
                78 a bad setting.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "The address to send the test message to.")
        var to: String

        @Option(help: "Sender, overriding TAPEDECK_MAIL_FROM (address, or \"Name <address>\").")
        var from: String?

        func run() async throws {
            try await reportingFailures {
                let values = try await ConfigurationSources.load(flags: common.flags, configFile: common.config)
                let configuration: SMTPConfiguration
                do {
                    guard
                        let parsed = try SMTPConfiguration(
                            environment: [
                                SMTPConfiguration.urlVariable: values.string(SMTPConfiguration.urlVariable) ?? "",
                                SMTPConfiguration.caFileVariable: values.string(SMTPConfiguration.caFileVariable) ?? "",
                            ])
                    else {
                        throw SettingsError(SMTPConfiguration.urlVariable, "not set: no SMTP server to send with")
                    }
                    configuration = parsed
                } catch let error as SMTPError {
                    // The reason starts with the setting's name: report it as a bad setting (exit 78).
                    guard case .configuration(let reason) = error, let colon = reason.range(of: ": ") else { throw error }
                    throw SettingsError(String(reason[..<colon.lowerBound]), String(reason[colon.upperBound...]))
                }
                guard let sender = from ?? values.string("TAPEDECK_MAIL_FROM") else {
                    throw SettingsError("TAPEDECK_MAIL_FROM", "not set (or pass --from)")
                }
                let message: MailMessage
                do {
                    message = try MailMessage(
                        from: MailAddress(parsing: sender), to: MailAddress(parsing: to),
                        subject: "Tapedeck test message",
                        textBody: "This message was sent by `tapedeck mail test` to check the SMTP settings.\n",
                        htmlBody: "<p>This message was sent by <code>tapedeck mail test</code> to check the SMTP settings.</p>\n")
                } catch {
                    throw Failure.message("cannot build the message: \(error)")
                }
                print("Sending to \(message.to[0].address) via \(configuration)")
                let client = SMTPClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
                do throws(SMTPError) {
                    let receipt = try await client.send(message)
                    print("Sent: \(receipt)")
                } catch {
                    let advice = error.isRetryable ? "temporary: a later attempt may succeed" : "permanent: fix the cause first"
                    throw Failure.message("mail not sent (\(advice)): \(error)")
                }
            }
        }
    }
}
