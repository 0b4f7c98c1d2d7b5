import Testing
@testable import ObjectStorage

@Suite("Object keys and ranges")
struct ObjectKeyTests {
    @Test("valid keys", arguments: [
        "a", "room/session/index.m3u8", "room a/ünïcødé+file (1).mp4", "x/.hidden", "a..b/c", "~/x", ".../x", "a/.x.", "..a",
        String(repeating: "k", count: 1024),
    ])
    func valid(raw: String) throws {
        #expect(try ObjectKey(raw).rawValue == raw)
    }

    @Test("keys that could escape the store are refused", arguments: [
        ("", ObjectKeyError.empty), ("/etc/passwd", .leadingSlash), ("../secrets", .dotSegment),
        ("a/../../b", .dotSegment), ("a/./b", .dotSegment), ("..", .dotSegment), ("a//b", .emptySegment),
        ("a/", .emptySegment), ("a/..", .dotSegment), ("a/.", .dotSegment), ("./a", .dotSegment), ("a\\..\\b", .backslash), ("a\u{0}b", .controlCharacter), ("a\nb", .controlCharacter),
        (String(repeating: "k", count: 1025), .tooLong(1025)),
    ])
    func invalid(raw: String, error: ObjectKeyError) {
        #expect(throws: error) { try ObjectKey(raw) }
    }

    @Test func prefixes() throws {
        try ObjectKey.validatePrefix("")
        try ObjectKey.validatePrefix("room/")
        try ObjectKey.validatePrefix("room/sess")
        #expect(throws: ObjectKeyError.dotSegment) { try ObjectKey.validatePrefix("../") }
        #expect(throws: ObjectKeyError.leadingSlash) { try ObjectKey.validatePrefix("/") }
        #expect(throws: ObjectKeyError.emptySegment) { try ObjectKey.validatePrefix("room//") }
        #expect(throws: ObjectKeyError.dotSegment) { try ObjectKey.validatePrefix("room/../") }
    }

    @Test("range headers", arguments: [
        ("bytes=0-9", ByteRange.bounded(first: 0, last: 9)), ("bytes=100-", .from(100)), ("bytes=-500", .suffix(500)),
        ("bytes = 5-5", nil), ("Bytes=5-5", .bounded(first: 5, last: 5)), ("bytes=9-0", nil), ("bytes=0-1,5-6", nil),
        ("bytes=-", nil), ("items=0-9", nil), ("bytes=a-b", nil), ("bytes=99999999999999999999-", nil),
    ] as [(String, ByteRange?)])
    func parse(header: String, expected: ByteRange?) {
        #expect(ByteRange.parse(header: header) == expected)
    }

    @Test func resolveAgainstSize() {
        #expect(ByteRange.bounded(first: 0, last: 9).resolve(size: 100) == 0...9)
        #expect(ByteRange.bounded(first: 90, last: 200).resolve(size: 100) == 90...99)
        #expect(ByteRange.bounded(first: 100, last: 200).resolve(size: 100) == nil)
        #expect(ByteRange.from(99).resolve(size: 100) == 99...99)
        #expect(ByteRange.from(100).resolve(size: 100) == nil)
        #expect(ByteRange.suffix(10).resolve(size: 100) == 90...99)
        #expect(ByteRange.suffix(1000).resolve(size: 100) == 0...99)
        #expect(ByteRange.suffix(0).resolve(size: 100) == nil)
        #expect(ByteRange.suffix(5).resolve(size: 0) == nil)
    }

    @Test func contentTypes() {
        #expect(ContentTypes.forKey("a/index.m3u8") == "application/vnd.apple.mpegurl")
        #expect(ContentTypes.forKey("a/seg_001.ts") == "video/mp2t")
        #expect(ContentTypes.forKey("a/seg_001.m4s") == "video/iso.segment")
        #expect(ContentTypes.forKey("a/x.MP4") == "video/mp4")
        #expect(ContentTypes.forKey("a/x.m4a") == "audio/mp4")
        #expect(ContentTypes.forKey("a/thumb.jpg") == "image/jpeg")
        #expect(ContentTypes.forKey("a/s.png") == "image/png")
        #expect(ContentTypes.forKey("a/en.vtt") == "text/vtt; charset=utf-8")
        #expect(ContentTypes.forKey("a/EG_1.json") == "application/json")
        #expect(ContentTypes.forKey("a/noext") == "application/octet-stream")
        #expect(ContentTypes.forKey("a.mp4/noext") == "application/octet-stream")
        #expect(ContentTypes.forKey("seg.TS") == "video/mp2t")
        #expect(ContentTypes.forKey("a/.json") == "application/json")
        #expect(ContentTypes.forKey("a/x.verylongextension") == "application/octet-stream")
    }
}
