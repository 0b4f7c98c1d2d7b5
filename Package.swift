// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Tapedeck",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tapedeck", targets: ["tapedeck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Domain: value types, state machine, policies, protocols. Foundation and swift-crypto only.
        .target(
            name: "TapedeckCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                // PBKDF2 for share passcodes.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Object storage: the ObjectStore protocol and its backends. No framework or database.
        .target(
            name: "ObjectStorage",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // LiveKit server API: access tokens, Twirp client, webhook verification and decoding.
        .target(
            name: "LiveKit",
            dependencies: [
                "TapedeckCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // 100ms server API: management tokens, the REST client, webhook decoding. No Store or Server.
        .target(
            name: "HMS",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        // Email delivery: an SMTP client (STARTTLS, implicit TLS, AUTH) and the RFC 5322 message
        // writer. No Store, Server or Recording.
        .target(
            name: "SMTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Catalog: migrations, SQL repositories, the durable job queue.
        .target(
            name: "TapedeckStore",
            dependencies: [
                "TapedeckCore",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Signed /media URLs of local storage answered in the HTTP/1 channel pipeline (sendfile,
        // connection budget and watch, the streaming route). Must not import TapedeckStore or TapedeckServer.
        .target(
            name: "LocalMediaServer",
            dependencies: [
                "TapedeckCore",
                "ObjectStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // ffprobe/ffmpeg, recorder inputs, storyboard layout. Foundation only.
        .target(name: "Media"),
        // Everything a worker runs: providers, jobs, the recording lifecycle, outbound webhooks,
        // configuration. No Hummingbird: it runs without an HTTP server.
        .target(
            name: "TapedeckRecording",
            dependencies: [
                "TapedeckCore",
                "TapedeckStore",
                "ObjectStorage",
                "LiveKit",
                "HMS",
                "Media",
                "SMTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP server: API, playback, inbound webhooks, pages. Calls into TapedeckRecording.
        .target(
            name: "TapedeckServer",
            dependencies: [
                "TapedeckCore",
                "TapedeckStore",
                "TapedeckRecording",
                "LocalMediaServer",
                "HMS",
                "ObjectStorage",
                "LiveKit",
                "Media",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "tapedeck",
            dependencies: [
                "TapedeckServer",
                "TapedeckRecording",
                "TapedeckCore",
                "TapedeckStore",
                "SMTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TapedeckCoreTests",
            dependencies: ["TapedeckCore", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "MediaTests",
            dependencies: ["Media", "TestSupport"]
        ),
        .testTarget(
            name: "ObjectStorageTests",
            dependencies: [
                "ObjectStorage", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            resources: [.process("Vectors")]
        ),
        .testTarget(
            name: "LiveKitTests",
            dependencies: ["LiveKit", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.process("Vectors")]
        ),
        .testTarget(
            name: "HMSTests",
            dependencies: [
                "HMS", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.process("Vectors")]
        ),
        .testTarget(
            name: "SMTPTests",
            dependencies: [
                // The tapedeck executable too, for `tapedeck mail test` against the SMTP peer.
                "SMTP", "TestSupport", "tapedeck", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TapedeckStoreTests",
            dependencies: ["TapedeckStore", "TapedeckCore", "TestSupport"]
        ),
        .testTarget(
            name: "LocalMediaServerTests",
            dependencies: [
                "LocalMediaServer",
                "ObjectStorage",
                "TapedeckCore",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TapedeckServerTests",
            dependencies: [
                "TapedeckServer",
                "TapedeckRecording",
                "TapedeckCore",
                "TapedeckStore",
                "ObjectStorage",
                "Media",
                "TestSupport",
                "QueueProbe",
                "tapedeck",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The recording flow (webhooks, jobs, reconciler) against a fake LiveKit: no server, ffmpeg
        // or PostgreSQL needed.
        .testTarget(
            name: "TapedeckRecordingTests",
            dependencies: [
                "TapedeckRecording", "TapedeckCore", "TapedeckStore", "ObjectStorage", "LiveKit", "HMS", "Media", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Signed URL generation rate (see BENCHMARKS.md).
        .executableTarget(
            name: "SigningBenchmark",
            dependencies: ["ObjectStorage"],
            path: "Benchmarks/SigningBenchmark"
        ),
        // A worker process for the job queue's multi-process tests.
        .executableTarget(
            name: "QueueProbe",
            dependencies: [
                "TapedeckServer",
                "TapedeckRecording",
                "TapedeckStore",
                "TapedeckCore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Tests/QueueProbe"
        ),
        // Shared helpers for the test targets: databases to test against, temporary folders.
        .target(
            name: "TestSupport",
            dependencies: [
                "TapedeckCore", "TapedeckStore", "ObjectStorage", "LiveKit", "HMS", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Tests/TestSupport"
        ),
    ]
)
