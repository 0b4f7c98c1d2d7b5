import Testing
@testable import LocalMediaServer

/// The raw reader accepts plain media GETs and leaves everything else to the HTTP/1 codec.
@Suite("Raw media request heads")
struct RawMediaRequestHeadTests {
    func read(_ text: String) -> RawMediaRequestHead.Reading {
        Array(text.utf8).withUnsafeBytes { RawMediaRequestHead.read($0) }
    }

    @Test func aPlayersRangeRequest() {
        let text = "GET /media/a/b.ts?expires=1&sig=x HTTP/1.1\r\nHost: h\r\nrange:  bytes=0-99 \r\nIf-None-Match: \"e\"\r\n"
            + "X-Request-Id: abc\r\n\r\nGET /media/next"
        guard case .media(let head) = read(text) else { Issue.record("not read: \(read(text))"); return }
        #expect(head.target == "/media/a/b.ts?expires=1&sig=x")
        #expect(head.range == "bytes=0-99" && head.ifNoneMatch == "\"e\"" && head.requestID == "abc" && head.ifRange == nil)
        #expect(head.keepAlive)
        #expect(head.length == text.utf8.count - "GET /media/next".utf8.count)
        guard case .media(let closing) = read("GET /media/x HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n") else {
            Issue.record("not read"); return
        }
        #expect(!closing.keepAlive)
    }

    @Test func partialHeadsWait() {
        #expect(read("GE") == .incomplete)
        #expect(read("GET /med") == .incomplete)
        #expect(read("GET /media/a.ts HTTP/1.1\r\nHost: h\r\n") == .incomplete)
    }

    @Test func everythingElseGoesToTheCodec() {
        let others = [
            "POST /media/a HTTP/1.1\r\n\r\n",
            "HEAD /media/a HTTP/1.1\r\n\r\n",
            "GET /v1/recordings HTTP/1.1\r\n\r\n",
            "GET /media/a HTTP/1.0\r\n\r\n",
            "GET /media/a b HTTP/1.1\r\n\r\n",
            "GET /media/a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
            "GET /media/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET /media/a HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
            "GET /media/a HTTP/1.1\r\nRange: bytes=0-1\r\nRange: bytes=5-9\r\n\r\n",
            "GET /media/a HTTP/1.1\r\nBad Header: x\r\n\r\n",
            "GET /media/a HTTP/1.1\r\n folded: x\r\n\r\n",
            "GET /media/a HTTP/1.1\r\nNo-Colon\r\n\r\n",
            "GET /media/a HTTP/1.1\nHost: h\r\n\r\n",
            "GET /media/a HTTP/1.1\r\nHost: h\rx\r\n\r\n",
            "GET /media/a HTTP/1.1\r\nX: caf\u{e9}\r\n\r\n",
            "GET /media/\u{e9} HTTP/1.1\r\n\r\n",
        ]
        for text in others {
            #expect(read(text) == .notMedia, "\(text.debugDescription)")
        }
        // A head that never ends within the limit is not waited for.
        #expect(read("GET /media/a HTTP/1.1\r\nX: " + String(repeating: "y", count: 20_000)) == .notMedia)
    }
}
