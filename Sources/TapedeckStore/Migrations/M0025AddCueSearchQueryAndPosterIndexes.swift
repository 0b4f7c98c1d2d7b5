import SQLKit

/// What faster search and the per-poster cue limit need, after 0020 was released: indexes to
/// count one poster's cues, and on PostgreSQL the function that reads a search's words once per
/// distinct configuration.
struct M0025AddCueSearchQueryAndPosterIndexes: CatalogMigration {
    var name: String { "0025_add_cue_search_query_and_poster_indexes" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        var statements: [SQLQueryString] = [
            // How many cues one poster keeps, counted for the limit on each batch that adds some.
            "CREATE INDEX cues_session_poster ON cues (session_id, posted_by)",
            "CREATE INDEX cues_recording_poster ON cues (recording_id, posted_by)",
        ]
        if kind == .postgres {
            // A search's words read with every configuration, each distinct reading once, joined
            // with OR: a cue matches when its language's reading of the words does (or any
            // other's). Most configurations read most words alike, and the index checks each row
            // holding any of the words against every branch, so repeats cost. Immutable, so the
            // planner computes it once, before choosing a plan. Empty readings (only stop words)
            // are dropped; with none left the result is NULL, which matches nothing.
            statements.append(
                """
                CREATE FUNCTION cue_search_query(words TEXT) RETURNS tsquery
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                    SELECT string_agg(DISTINCT '(' || reading::text || ')', ' | ')::tsquery
                    FROM unnest(ARRAY[\(unsafeRaw: Self.queryConfigurations)]::regconfig[]) AS configuration,
                        plainto_tsquery(configuration, words) AS reading
                    WHERE numnode(reading) > 0
                $$
                """)
        }
        return statements
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        var statements: [SQLQueryString] = ["DROP INDEX cues_recording_poster", "DROP INDEX cues_session_poster"]
        if kind == .postgres { statements.insert("DROP FUNCTION cue_search_query(TEXT)", at: 0) }
        return statements
    }

    /// Every configuration a language may have, once, and `simple`, as SQL string literals.
    static var queryConfigurations: String {
        var seen = Set<String>()
        return (SearchLanguages.postgresConfigurations.map(\.value) + ["simple"]).filter { seen.insert($0).inserted }
            .map { "'\($0)'" }.joined(separator: ", ")
    }
}
