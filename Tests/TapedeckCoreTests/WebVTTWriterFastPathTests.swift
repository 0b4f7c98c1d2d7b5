import Testing
@testable import TapedeckCore

@Suite("WebVTT writer: ids and text")
struct WebVTTWriterFastPathTests {
    static let keys = [
        "u1", "en-0", "caption-file:12", "a b", " lead", "trail ", "a-->b", "a->b", "a--b", "-->", "--", "NOTE",
        "NOTE1", "note", "STYLE x", "REGIONS", "xNOTE", "tab\there", "del\u{7F}", "\u{85}next", "ünï", "日本",
        "", " ", "a\u{2003}", "~!@#$%^&*()_+{}|:\"<>?", "-",
    ]

    @Test("A key taken as its own id line is one the general rewriting leaves as it is", arguments: keys)
    func plainKeysAreTheirOwnLine(_ key: String) {
        if WebVTTWriter.isPlainID(key) {
            #expect(WebVTTWriter.idLine(key) == key)
        }
    }

    @Test("Every printable ASCII key of up to three characters gets the same id line either way")
    func shortASCIIKeys() {
        let alphabet = [" ", "-", ">", "N", "a"] + (0x20...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        var keys = Set(alphabet)
        for a in ["-", ">", " ", "N", "x"] {
            for b in ["-", ">", " ", "O", "x"] {
                for c in alphabet { keys.insert(a + b + c) }
            }
        }
        for key in keys where WebVTTWriter.isPlainID(key) {
            #expect(WebVTTWriter.idLine(key) == key, "\(key)")
        }
        #expect(!WebVTTWriter.isPlainID("-->"))
        #expect(WebVTTWriter.isPlainID("->"))
    }

    @Test("Repeated keys and keys rewritten to the same line still get distinct ids")
    func distinctIDs() {
        let cues = ["k", "k", "k-2", " k", "a\u{1}b", "a\u{2}b"].enumerated().map { index, key in
            Cue(key: key, kind: .captions, language: "en", startMs: Int64(index) * 1000, endMs: Int64(index) * 1000 + 500,
                text: "line \(index)", speaker: index % 2 == 0 ? "Ada" : "Bob", source: .live)
        }
        let document = WebVTTWriter.document(cues)
        let ids = document.components(separatedBy: "\n\n").dropFirst().map { $0.split(separator: "\n")[0] }
        #expect(ids == ["k", "k-2", "k-2-2", "k-3", "a_b", "a_b-2"])
        #expect(document.contains("<v Ada>line 0") && document.contains("<v Bob>line 1") && document.contains("<v Ada>line 2"))
    }

    @Test("Text is written the same whether it takes the plain path or the careful one")
    func text() {
        let texts: [(String, String?)] = [
            ("plain words.", "plain words."), ("  padded  ", "  padded  "), ("   ", nil), ("", nil),
            ("a & b <i>", "a &amp; b &lt;i&gt;"), ("tab\there", "tab\there"), ("\t", nil), ("one\ntwo", "one\ntwo"),
            ("one\n\n  \ntwo", "one\ntwo"), ("ünï 日本", "ünï 日本"), ("c1\u{85}", "c1\u{FFFD}"), ("\u{A0}nbsp", "\u{A0}nbsp"),
        ]
        for (text, expected) in texts {
            let cue = Cue(key: "k", kind: .captions, language: "en", startMs: 0, endMs: 1000, text: text, source: .live)
            let document = WebVTTWriter.document([cue])
            if let expected {
                #expect(document == "WEBVTT\n\nk\n00:00:00.000 --> 00:00:01.000\n\(expected)\n", "\(text)")
            } else {
                #expect(document == "WEBVTT\n", "\(text)")
            }
        }
    }
}
