/// Why a posted cue was refused: the field (`cues[3].language`), a stable code for programs and
/// a sentence for people that starts with the field's name.
public struct CueInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// A required field is absent (or null).
        case missingField = "missing_field"
        /// Two fields that exclude each other were both sent (`start_at` and `start_ms`), or the
        /// end is in another form than the start.
        case conflictingFields = "conflicting_fields"
        /// A value outside its set (an unknown `kind`) or empty where it may not be.
        case invalidField = "invalid_field"
        case invalidLanguage = "invalid_language"
        /// An unreadable time, a negative one, an end before its start, or a cue over 6 hours.
        case invalidTime = "invalid_time"
        case tooLong = "too_long"
        case controlCharacters = "control_characters"
    }

    /// The path of the field, `cue_key` for a lone cue or `cues[3].cue_key` within a list.
    public var field: String
    public var code: Code
    /// What is wrong, without the field's name (`must be at most 128 characters`).
    public var problem: String

    public init(field: String, code: Code, problem: String) {
        self.field = field
        self.code = code
        self.problem = problem
    }

    /// `cues[3].cue_key must be at most 128 characters`.
    public var message: String { "\(field) \(problem)" }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The same error for a cue that sits at `path` (`cues[3]`) in a larger body.
    public func within(_ path: String) -> CueInputError {
        CueInputError(field: path.isEmpty ? field : "\(path).\(field)", code: code, problem: problem)
    }
}
