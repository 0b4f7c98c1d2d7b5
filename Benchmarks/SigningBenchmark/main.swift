// Signed URL generation on one core: S3 presigned GETs (SigV4) and local /media URLs (HMAC).
//
//   swift run -c release SigningBenchmark [seconds-per-case]
//
// Each case signs distinct keys in a loop on the main thread for the given time and prints
// URLs per second. A fixed date keeps the signing-key cache warm, as in a running server.
import Foundation
import ObjectStorage

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 3 : 3
let keys = (0..<4096).map { try! ObjectKey("math-101/math-101_2026-11-22_09-30-00/segment_\(String(format: "%05d", $0)).ts") }
let now = Date(timeIntervalSince1970: 1_795_000_000)

let s3 = SigV4Signer(
    credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    region: "eu-west-1")
let local = MediaURLSigner(secret: Array(repeating: 42, count: 32), baseURL: "https://recordings.example.com")

func measure(_ name: String, _ sign: (ObjectKey) -> String) -> Double {
    var count = 0
    var checksum = 0
    let start = DispatchTime.now().uptimeNanoseconds
    let limit = start + UInt64(seconds * 1e9)
    while DispatchTime.now().uptimeNanoseconds < limit {
        for key in keys.prefix(256) {
            checksum &+= sign(key).utf8.count
        }
        count += 256
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let rate = Double(count) / elapsed
    print("\(name.padding(toLength: 40, withPad: " ", startingAt: 0)) \(String(format: "%10.0f", rate)) URLs/s  (checksum \(checksum % 997))")
    return rate
}

var index = 0
let s3Rate = measure("S3 presigned GET (SigV4)") { key in
    let path = "/recordings/" + SigV4Signer.encodePath(key.rawValue)
    return "https://s3.eu-west-1.amazonaws.com" + path + "?"
        + s3.presignedQuery(method: "GET", host: "s3.eu-west-1.amazonaws.com", path: path, query: [], expires: 3600, date: now)
}
let localRate = measure("local /media URL (HMAC-SHA256)") { key in
    local.signedURL(for: key, expires: now.addingTimeInterval(3600))
}
let json = "{\"s3_presign_per_second\": \(Int(s3Rate)), \"local_hmac_per_second\": \(Int(localRate))}"
print(json)
if let path = ProcessInfo.processInfo.environment["BENCH_JSON"] {
    try? json.write(toFile: path, atomically: true, encoding: .utf8)
}
