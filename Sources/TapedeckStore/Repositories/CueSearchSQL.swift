import SQLKit
import TapedeckCore

/// Full-text conditions over cues: FTS5 on SQLite, `tsvector` on PostgreSQL.
enum CueSearchSQL {
    /// The words of a query, each matched as a word (never as query syntax), all required.
    static func words(_ query: String) -> [String] {
        query.split(whereSeparator: { $0.isWhitespace || $0.isPunctuation && $0 != "'" })
            .map(String.init).filter { !$0.isEmpty }.prefix(16).map { $0 }
    }

    /// A condition true for cues (aliased `cueAlias`) containing every word of `query`.
    static func matches(_ query: String, kind: DatabaseKind, cueAlias: String, language: String? = nil) -> SQLQueryString {
        let words = words(query)
        guard !words.isEmpty else { return "1 = 0" }
        switch kind {
        case .sqlite:
            // Each word quoted: FTS5 then reads it as a string, never as an operator or column filter.
            let expression = words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " ")
            return "\(unsafeRaw: cueAlias).id IN (SELECT rowid FROM cues_fts WHERE cues_fts MATCH \(bind: expression))"
        case .postgres:
            let text = words.joined(separator: " ")
            // A cue's vector was built with its language's configuration; the query is read with
            // every configuration (or the one asked for), so stemmed and plain words both match.
            if let language {
                return "\(unsafeRaw: cueAlias).search @@ plainto_tsquery('\(unsafeRaw: configuration(for: language))', \(bind: text))"
            }
            // All readings at once through the migration's function: each distinct one once, so
            // the index checks few branches per candidate row, and computed while planning, so
            // the plan is chosen knowing the lexemes (how many cues they are likely to match).
            return "\(unsafeRaw: cueAlias).search @@ cue_search_query(\(bind: text))"
        }
    }

    /// PostgreSQL's configuration for a BCP 47 tag, as the migration chose it.
    static func configuration(for language: String) -> String {
        let primary = language.split(separator: "-").first.map { $0.lowercased() } ?? ""
        return SearchLanguages.postgresConfigurations.first { $0.key == primary }?.value ?? "simple"
    }
}
