import Foundation

/// 100ms' post-call transcript (`transcript_json`): its `sentences`, each with the sentence, the
/// speaker's `name` and `start_time`/`end_time` in milliseconds from the recording's start. The
/// documented sample writes the times as strings (`"1010"`); numbers are taken too. `words` and
/// `peer_id` (an id of one join, not the participant's identity) are not used.
enum HMSTranscriptReader {
    private struct Transcript: Decodable {
        var sentences: [Sentence]
    }

    private struct Sentence: Decodable {
        var sentence: String?
        var name: String?
        var startTime: Milliseconds?
        var endTime: Milliseconds?
        enum CodingKeys: String, CodingKey { case sentence, name, startTime = "start_time", endTime = "end_time" }
    }

    /// A whole number of milliseconds, written as a JSON number or a string of digits.
    private struct Milliseconds: Decodable {
        var value: Int64?
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) {
                value = Int64(text.trimmingCharacters(in: .whitespaces))
            } else if let number = try? c.decode(Double.self), number.isFinite, abs(number) < 9e15 {
                value = Int64(number.rounded())
            }
        }
    }

    static func parse(_ text: String) throws(CaptionFileError) -> [ParsedCaption] {
        let transcript: Transcript
        do {
            transcript = try JSONDecoder().decode(Transcript.self, from: Data(text.utf8))
        } catch {
            throw CaptionFileError(
                reason: .malformed, line: 0, detail: "not a 100ms transcript (an object with a sentences list): \(describe(error))")
        }
        guard transcript.sentences.count <= CaptionFileParser.maximumCues else { throw CaptionFileParser.tooManyCues(at: 0) }
        var cues: [ParsedCaption] = []
        for (index, sentence) in transcript.sentences.enumerated() {
            func fail(_ detail: String) -> CaptionFileError {
                CaptionFileError(reason: .malformed, line: 0, detail: "sentences[\(index)] \(detail)")
            }
            guard let start = sentence.startTime?.value, let end = sentence.endTime?.value, start >= 0 else {
                throw fail("needs start_time and end_time in whole milliseconds, not negative")
            }
            guard end >= start else { throw fail("ends before it starts") }
            let words = sentence.sentence ?? ""
            if CueText.isBlank(words) { continue }
            let name = sentence.name.map { ProviderText.cleaned($0).trimmingCharacters(in: .whitespaces) }
            cues.append(
                ParsedCaption(startMs: start, endMs: end, text: CueText.withoutControls(words), speaker: name?.isEmpty == false ? name : nil))
        }
        return cues
    }

    /// A decoding failure in a sentence: where it is and what was wrong.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "unreadable JSON" }
        switch error {
        case .keyNotFound(let key, _): return "\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? context.debugDescription : "\(path.drop { $0 == "." }): \(context.debugDescription)"
        @unknown default: return "unreadable JSON"
        }
    }
}
