import Foundation
import Hummingbird
import HummingbirdCore
import LocalMediaServer
import Logging
import NIOCore
import ObjectStorage
import ServiceLifecycle
import TapedeckStore
import TapedeckRecording

/// The router with every route and middleware; used by the server and by tests without a socket.
public func buildRouter(settings: Settings, dependencies: AppDependencies) -> Router<TapedeckRequestContext> {
    let router = Router(context: TapedeckRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routeTable = RouteTable()
    // Order matters: the request id wraps everything, metrics see the final status, errors become JSON innermost.
    router.add(middleware: RequestIDMiddleware())
    if settings.serverTiming { router.add(middleware: ServerTimingMiddleware()) }
    router.add(middleware: RequestMetricsMiddleware(metrics: dependencies.metrics))
    router.add(middleware: ErrorMiddleware(routes: routeTable))
    router.add(middleware: BodyLimitMiddleware(limit: settings.maxRequestBodyBytes))

    OpsController(
        readinessChecks: dependencies.readinessChecks, metrics: dependencies.metrics, catalog: dependencies.catalog,
        instance: dependencies.instance,
        hms: dependencies.hms, openAPIDocument: OpenAPIDocument.load()
    ).register(on: router)

    dependencies.mediaController?.register(on: router, mapError: { APIError($0) })

    LiveKitWebhookController(
        verifier: dependencies.webhookVerifier, recorder: dependencies.livekit, clock: dependencies.catalog.clock
    ).register(on: router)
    HMSWebhookController(
        secret: dependencies.hmsWebhookSecret, sourceIPs: dependencies.hmsSourceIPs, trustedProxies: dependencies.playback.trustedProxies,
        recorder: dependencies.hms
    ).register(on: router)

    let api = router.group("/v1").add(
        middleware: AuthenticationMiddleware(
            catalog: dependencies.catalog, keys: dependencies.verifiedKeys, viewers: ViewerTokenVerifier(catalog: dependencies.catalog, keys: dependencies.playback)))
    ViewerTokensController(catalog: dependencies.catalog, keys: dependencies.playback, clock: dependencies.catalog.clock, maxBody: settings.maxRequestBodyBytes)
        .register(on: api)
    let grants = PlaybackGrants(
        catalog: dependencies.catalog, store: dependencies.store, keys: dependencies.playback, mediaSigner: dependencies.mediaSigner,
        revokedShares: dependencies.revokedShares)
    PlaybackController(grants: grants).register(api: api, public: router)
    let shares = ShareService(
        catalog: dependencies.catalog, keys: dependencies.playback, maximumLifetime: dependencies.playback.shareMaxLifetime,
        passcodes: PasscodeGate(catalog: dependencies.catalog, limits: settings.sharePasscodeLimits),
        revokedShares: dependencies.revokedShares)
    SharesController(service: shares, grants: grants, maxBody: settings.maxRequestBodyBytes).register(api: api, public: router)
    let accessRequests = AccessRequestsController(
        scheduler: dependencies.scheduler, limiter: AccessRequestLimiter(clock: dependencies.catalog.clock),
        clientIP: { [grants] request, context in grants.clientIP(request, context: context) }, maxBody: settings.maxRequestBodyBytes)
    accessRequests.register(public: router)
    InvitationsController(catalog: dependencies.catalog, scheduler: dependencies.scheduler, maxBody: settings.maxRequestBodyBytes)
        .register(on: api)
    if let renderer = dependencies.pages {
        MyPageController(
            catalog: dependencies.catalog, store: dependencies.store, shares: shares, keys: dependencies.playback, renderer: renderer,
            accessRequests: accessRequests
        ).register(on: router)
        let player = PlayerPage(catalog: dependencies.catalog, renderer: renderer)
        let pages = WebPagesController(
            catalog: dependencies.catalog, grants: grants, player: player, shares: shares, keys: dependencies.playback,
            renderer: renderer)
        pages.register(on: router)
        renderer.assets.register(on: router)
        let visitors = PageVisitors(catalog: dependencies.catalog, keys: dependencies.playback)
        GrantRenewalController(grants: grants, shares: shares, visitors: visitors).register(on: router)
        SearchPagesController(search: TranscriptSearch(catalog: dependencies.catalog), visitors: visitors, renderer: renderer)
            .register(on: router)
        AdminPagesController(
            catalog: dependencies.catalog, store: dependencies.store, shares: shares, viewerPages: pages, grants: grants, player: player,
            keys: dependencies.playback, renderer: renderer, scheduler: dependencies.scheduler
        ).register(on: router)
    }
    RecordingsController(catalog: dependencies.catalog, scheduler: dependencies.scheduler).register(on: api)
    RecordingControlController(
        catalog: dependencies.catalog, providers: dependencies.providers,
        maxBody: settings.maxRequestBodyBytes
    ).register(on: api)
    WebhookEndpointsController(catalog: dependencies.catalog, secrets: dependencies.webhookSecrets, maxBody: settings.maxRequestBodyBytes)
        .register(on: api)
    CuesController(
        catalog: dependencies.catalog, grants: grants, maxBody: settings.maxRequestBodyBytes, cueLimits: settings.cueLimits).register(on: api)
    SearchController(catalog: dependencies.catalog, publicURL: dependencies.playback.publicURL).register(on: api)
    OrganizationsController(
        catalog: dependencies.catalog, secrets: dependencies.viewerSecretBox, verifiedKeys: dependencies.verifiedKeys,
        maxBody: settings.maxRequestBodyBytes)
        .register(on: api)
    RoomsController(catalog: dependencies.catalog, defaultPolicy: dependencies.defaultPolicy, maxBody: settings.maxRequestBodyBytes)
        .register(on: api)

    for route in router.routes {
        routeTable.register(method: route.method.rawValue, template: route.path.description)
    }
    return router
}

/// The HTTP application, with the given background services (job worker, periodic tasks) run
/// beside the server and shut down with it.
public func buildApplication(
    settings: Settings, dependencies: AppDependencies, services: [any Service] = [],
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    // Local media is answered in the channel pipeline (see LocalMediaServer).
    return Application(
        router: buildRouter(settings: settings, dependencies: dependencies),
        server: dependencies.localMediaFastPath.map { HTTPServerBuilder.http1(media: $0) } ?? .http1(),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "Tapedeck"),
        services: services,
        onServerRunning: onServerRunning,
        logger: dependencies.logger)
}

struct MailNotConfigured: Error, CustomStringConvertible {
    var description: String { "no mail server (TAPEDECK_SMTP_URL): invitations are recorded as skipped, not sent" }
}

/// The OpenAPI document shipped with the binary.
enum OpenAPIDocument {
    static func load() -> ByteBuffer {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { return ByteBuffer(string: "{}") }
        return ByteBuffer(bytes: data)
    }
}
