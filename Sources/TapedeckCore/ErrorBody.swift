/// `{"error": {"code", "message", "field"?}}`: the body of every error Tapedeck answers. The API
/// (TapedeckServer) and the media server (LocalMediaServer, which cannot import the server) must
/// answer it field for field, so both write it here, in the lowest target they share.
package enum ErrorBody {
    package static func json(code: String, message: String, field: String?) -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.object { json in
            json.key("error")
            json.object { json in
                json.member("code", code)
                json.member("message", message)
                if let field { json.member("field", field) }
            }
        }
        return json.bytes
    }
}
