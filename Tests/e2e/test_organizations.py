"""Organizations: two tenants on one Tapedeck. Every principal (global key, each organization's
key, members and admins, participants and hosts with their organization's tokens, the global
secret's tokens, strangers, share holders) against every recording route: nothing of one
organization is visible to another, and every refusal is the same answer as for an id nobody has."""
import json
import os
import re
import time

import jwt
import pytest
import requests

from net import wait_until
from tapedeck_server import database_kinds
from test_access_matrix import record
from test_livekit import Harness, outputs, room_name  # noqa: F401 (fixture)

ZERO = "00000000-0000-4000-8000-000000000000"
HOSTILE = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata",
                                      "hostile-strings.json")))


@pytest.fixture(scope="module", params=database_kinds())
def world(outputs, request):  # noqa: F811
    harness = Harness(outputs, database=request.param, name="organizations", env={"TAPEDECK_ORG_FROM": "room_prefix"})
    server = harness.server
    orgs = {}
    for slug, rule in (("alpha", "members"), ("beta", "participants")):
        created = requests.post(f"{server.base_url}/v1/organizations", json={"slug": slug, "name": slug.title(),
                                                                             "access_rule": rule}, headers=server.admin)
        assert created.status_code == 201, created.text
        org = created.json()
        key = requests.post(f"{server.base_url}/v1/organizations/{org['id']}/keys", json={"name": f"{slug} backend"},
                            headers=server.admin)
        assert key.status_code == 201, key.text
        orgs[slug] = {**org, "key": key.json()["key"]}
    # Rooms named after the organizations join them when LiveKit reports them first; "plain" is no organization's.
    rooms = {slug: room_name(slug) for slug in ("alpha", "beta")}
    rooms["plain"] = room_name("plain")
    recordings = {slug: record(harness, room) for slug, room in rooms.items()}
    global_secret = open(os.path.join(server.env["TAPEDECK_DATA_DIR"], "secrets", "viewer-token.key"), "rb").read()

    def token(sub, org=None, secret=None, kid=None, claim_org=None, **claims):
        """A viewer token: of an organization's current secret (named by kid), or of the global secret."""
        body = {"sub": sub, "exp": int(time.time()) + 900, **claims}
        if org is not None:
            secret = secret or orgs[org]["viewer_secret"]["secret"]
            kid = kid or orgs[org]["viewer_secret"]["kid"]
            body["org"] = claim_org or org
        headers = {"kid": kid} if kid else None
        return jwt.encode(body, secret or global_secret, algorithm="HS256", headers=headers)

    principals = {
        "global key": server.admin_key,
        "alpha key": orgs["alpha"]["key"], "beta key": orgs["beta"]["key"],
        "alpha participant": token("ada", "alpha"), "alpha host": token("teacher", "alpha"),
        "alpha member": token("mia", "alpha"), "alpha admin": token("boss", "alpha", org_role="admin"),
        "beta participant": token("ada", "beta"), "beta host": token("teacher", "beta"),
        "beta member": token("mia", "beta"), "beta admin": token("boss", "beta", org_role="admin"),
        "global participant": token("ada"), "global host": token("teacher"), "stranger": token("eve"),
    }
    yield {"harness": harness, "server": server, "orgs": orgs, "rooms": rooms, "recordings": recordings,
           "principals": principals, "token": token, "global_secret": global_secret}
    harness.close()


def bearer(credential):
    return {"Authorization": f"Bearer {credential}"}


# Who may watch each organization's recording. alpha's rule is `members`, beta's `participants`;
# neither allows the global secret. The plain room is nobody's: today's rules.
WATCHERS = {
    "alpha": {"global key", "alpha key", "alpha participant", "alpha host", "alpha member", "alpha admin"},
    "beta": {"global key", "beta key", "beta participant", "beta host"},
    "plain": {"global key", "global participant", "global host"},
}
MANAGERS = {  # manage shares, delete
    "alpha": {"global key", "alpha key", "alpha host"},
    "beta": {"global key", "beta key", "beta host"},
    "plain": {"global key", "global host"},
}
KEYS = {"global key", "alpha key", "beta key"}
KEYS_OF = {tenant: {"global key", f"{tenant} key"} & KEYS for tenant in WATCHERS}

# Route: which of the sets above may use it (viewers outside the set: 404; admin-only routes: viewers 401).
ROUTES = [
    ("GET", "/v1/recordings/{id}", WATCHERS, False),
    ("GET", "/v1/recordings/{id}/playback", WATCHERS, False),
    ("GET", "/v1/recordings/{id}/cues", WATCHERS, False),
    ("GET", "/v1/recordings/{id}/text-tracks", WATCHERS, False),
    ("GET", "/v1/recordings/{id}/shares", MANAGERS, False),
    ("GET", "/v1/recordings/{id}/events", KEYS_OF, True),
    ("PATCH", "/v1/recordings/{id}", KEYS_OF, True),
    ("PUT", "/v1/recordings/{id}/hold", KEYS_OF, True),
    ("DELETE", "/v1/recordings/{id}/hold", KEYS_OF, True),
    ("POST", "/v1/recordings/{id}/stop", MANAGERS, False),
    ("POST", "/v1/recordings/{id}/cues", KEYS_OF, True),
]
BODIES = {"PATCH": {"cue_offset_ms": 0}, "POST": None}


def call(world, method, template, rid, who):
    url = world["server"].base_url + template.replace("{id}", rid)
    body = BODIES.get(method)
    if template.endswith("/cues") and method == "POST":
        body = {"cues": [{"cue_key": "k", "language": "en", "start_ms": 0, "end_ms": 500, "text": "hello"}]}
    return requests.request(method, url, json=body, headers=bearer(world["principals"][who]), timeout=10)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_recording_routes_across_organizations(world, route):
    method, template, allowed, admin_only = route
    for tenant, recording in world["recordings"].items():
        for who in world["principals"]:
            response = call(world, method, template, recording["id"], who)
            if who in allowed[tenant]:
                assert response.status_code < 400, (tenant, who, method, template, response.text[:200])
                continue
            if admin_only and who not in KEYS:
                assert response.status_code == 401, (tenant, who, method, template, response.status_code)
                continue
            if template.endswith("/stop") and who not in KEYS:
                # Stopping is for hosts: anyone else learns only that (the same for every recording).
                missing = call(world, method, template, ZERO, who)
                assert response.status_code in (403, 404), (tenant, who, response.text[:200])
                if response.status_code == 404:
                    assert missing.json() == response.json()
                continue
            assert response.status_code == 404, (tenant, who, method, template, response.status_code, response.text[:200])
            # The same answer as for an id nobody has: no leak of existence.
            missing = call(world, method, template, ZERO, who)
            assert missing.status_code == 404 and missing.json() == response.json(), (tenant, who, template)
            for secret in (world["rooms"][tenant], "ada", "teacher", "/media/"):
                assert secret not in response.text


def test_lists_are_filtered(world):
    server, recordings = world["server"], world["recordings"]
    principals = world["principals"]

    def listed(who, path="/v1/recordings?limit=100"):
        response = requests.get(server.base_url + path, headers=bearer(principals[who]), timeout=10)
        assert response.status_code == 200, (who, response.text)
        return {item["id"] for item in response.json()["items"]}

    assert listed("global key") == {r["id"] for r in recordings.values()}
    assert listed("alpha key") == {recordings["alpha"]["id"]}
    assert listed("beta key") == {recordings["beta"]["id"]}
    mine = "/v1/me/recordings?limit=100"
    assert listed("alpha participant", mine) == {recordings["alpha"]["id"]}
    assert listed("beta participant", mine) == {recordings["beta"]["id"]}
    assert listed("global participant", mine) == {recordings["plain"]["id"]}
    assert listed("stranger", mine) == set()
    # Organizations: a global key sees both, an organization's key its own only.
    orgs = requests.get(f"{server.base_url}/v1/organizations", headers=bearer(principals["alpha key"])).json()["items"]
    assert [o["slug"] for o in orgs] == ["alpha"]
    beta_id = world["orgs"]["beta"]["id"]
    refused = requests.get(f"{server.base_url}/v1/organizations/{beta_id}", headers=bearer(principals["alpha key"]))
    missing = requests.get(f"{server.base_url}/v1/organizations/{ZERO}", headers=bearer(principals["alpha key"]))
    assert refused.status_code == missing.status_code == 404 and refused.json() == missing.json()
    # Managing organizations takes the global key.
    for method, path, body in (("POST", "/v1/organizations", {"slug": "gamma", "name": "G"}),
                               ("PATCH", f"/v1/organizations/{world['orgs']['alpha']['id']}", {"name": "x"}),
                               ("POST", f"/v1/organizations/{world['orgs']['alpha']['id']}/keys", {"name": "x"}),
                               ("DELETE", f"/v1/organizations/{beta_id}", None)):
        answer = requests.request(method, server.base_url + path, json=body, headers=bearer(principals["alpha key"]))
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "global_key_required", (method, path)


def test_search_is_scoped(world):
    server, recordings = world["server"], world["recordings"]
    for tenant, recording in recordings.items():
        cue = {"cue_key": "zebra", "language": "en", "start_ms": 100, "end_ms": 900, "text": f"the zebra of {tenant}"}
        answer = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/cues", json={"cues": [cue]},
                               headers=server.admin)
        assert answer.status_code == 200, answer.text

    def found(who):
        response = requests.get(f"{server.base_url}/v1/search?q=zebra", headers=bearer(world["principals"][who]))
        assert response.status_code == 200, response.text
        return {item["recording"]["id"] for item in response.json()["items"]}

    ids = {tenant: r["id"] for tenant, r in recordings.items()}
    assert found("global key") == set(ids.values())
    assert found("alpha key") == {ids["alpha"]}
    assert found("beta key") == {ids["beta"]}
    assert found("alpha member") == {ids["alpha"]}  # alpha's rule lets members in
    assert found("beta member") == set()
    assert found("beta participant") == {ids["beta"]}
    assert found("global participant") == {ids["plain"]}
    assert found("stranger") == set()


def test_forged_and_retired_tokens_are_refused_like_a_bad_signature(world):
    server, rid = world["server"], world["recordings"]["beta"]["id"]
    token, orgs = world["token"], world["orgs"]
    wrong_signature = jwt.encode({"sub": "ada", "exp": int(time.time()) + 600}, b"z" * 32, algorithm="HS256")
    baseline = requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(wrong_signature))
    assert baseline.status_code == 401
    alpha = orgs["alpha"]["viewer_secret"]
    forged = {
        # alpha's backend naming beta: with alpha's kid, or with no kid at all.
        "alpha key claiming beta": token("ada", "alpha", claim_org="beta"),
        "alpha secret, no kid, claiming beta": jwt.encode(
            {"sub": "ada", "org": "beta", "exp": int(time.time()) + 600}, alpha["secret"], algorithm="HS256"),
        "beta's kid, alpha's secret": token("ada", "beta", secret=alpha["secret"]),
        "unknown kid": token("ada", "beta", kid="ovk_nobody"),
        "global secret claiming beta": jwt.encode(
            {"sub": "ada", "org": "beta", "exp": int(time.time()) + 600}, world["global_secret"], algorithm="HS256"),
    }
    for name, credential in forged.items():
        response = requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(credential))
        assert response.status_code == 401 and response.json() == baseline.json(), (name, response.text)
    # A valid global-secret token of a beta participant: the same 404 as a stranger's.
    stranger = requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(world["principals"]["stranger"]))
    global_ada = requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(world["principals"]["global participant"]))
    assert stranger.status_code == global_ada.status_code == 404 and stranger.json() == global_ada.json()

    # Rotation (of an organization of its own, so the other tests' tokens stay good): the old
    # secret works during the overlap, and not after it.
    gamma = requests.post(f"{server.base_url}/v1/organizations", json={"slug": "gamma", "name": "Gamma"},
                          headers=server.admin).json()
    first = gamma["viewer_secret"]
    old = jwt.encode({"sub": "ada", "org": "gamma", "exp": int(time.time()) + 600}, first["secret"], algorithm="HS256",
                     headers={"kid": first["kid"]})
    rotated = requests.post(f"{server.base_url}/v1/organizations/{gamma['id']}/viewer-secrets/rotate", json={"overlap_s": 2},
                            headers=server.admin)
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert new["kid"] != first["kid"] and new["secret"] != first["secret"]
    fresh = jwt.encode({"sub": "ada", "org": "gamma", "exp": int(time.time()) + 600}, new["secret"], algorithm="HS256",
                       headers={"kid": new["kid"]})
    mine = f"{server.base_url}/v1/me/recordings"
    assert requests.get(mine, headers=bearer(old)).status_code == 200
    assert requests.get(mine, headers=bearer(fresh)).status_code == 200
    time.sleep(2.5)
    after = requests.get(mine, headers=bearer(old))
    assert after.status_code == 401 and after.json() == baseline.json()
    assert requests.get(mine, headers=bearer(fresh)).status_code == 200
    beta = orgs["beta"]
    # Allowing the global secret lets its tokens in, for those who took part only (beta's rule).
    allow = requests.patch(f"{server.base_url}/v1/organizations/{beta['id']}", json={"allow_global_viewer_secret": True},
                           headers=server.admin)
    assert allow.status_code == 200 and allow.json()["allow_global_viewer_secret"] is True
    try:
        assert requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(world["principals"]["global participant"])).status_code == 200
        assert requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(world["principals"]["stranger"])).status_code == 404
    finally:
        requests.patch(f"{server.base_url}/v1/organizations/{beta['id']}", json={"allow_global_viewer_secret": False},
                       headers=server.admin)
    # An organization's key mints its own tokens (with the current kid), for its own rooms only.
    minted = requests.post(f"{server.base_url}/v1/viewer-tokens", json={"sub": "ada"}, headers=bearer(beta["key"]))
    assert minted.status_code == 201, minted.text
    minted_token = minted.json()["token"]
    assert jwt.get_unverified_header(minted_token)["kid"] == beta["viewer_secret"]["kid"]
    assert requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(minted_token)).status_code == 200
    alpha_rid = world["recordings"]["alpha"]["id"]
    assert requests.get(f"{server.base_url}/v1/recordings/{alpha_rid}", headers=bearer(minted_token)).status_code == 404


def test_pages_follow_the_same_rules(world):
    server, principals = world["server"], world["principals"]
    for tenant, recording in world["recordings"].items():
        for who, credential in principals.items():
            if who in KEYS:
                continue
            session = requests.Session()
            page = session.get(f"{server.base_url}/recordings/{recording['id']}?token={credential}", timeout=10)
            if who in WATCHERS[tenant]:
                assert page.status_code == 200 and "Download MP4" in page.text, (tenant, who, page.status_code)
            else:
                assert page.status_code == 403 and "Access denied" in page.text, (tenant, who, page.status_code)
                assert world["rooms"][tenant] not in page.text


def test_shares_and_webhooks_are_scoped(world):
    server, orgs, recordings = world["server"], world["orgs"], world["recordings"]
    alpha_key, beta_key = bearer(orgs["alpha"]["key"]), bearer(orgs["beta"]["key"])
    endpoints = {}
    for who, headers in (("alpha", alpha_key), ("global", server.admin)):
        created = requests.post(f"{server.base_url}/v1/webhook-endpoints",
                                json={"url": f"http://127.0.0.1:9/{who}", "events": ["share.created"]}, headers=headers)
        assert created.status_code == 201, created.text
        endpoints[who] = created.json()["id"]
    # Each organization sees its own endpoints only; another's is the same 404 as a missing one.
    assert [e["id"] for e in requests.get(f"{server.base_url}/v1/webhook-endpoints", headers=alpha_key).json()["items"]] \
        == [endpoints["alpha"]]
    assert requests.get(f"{server.base_url}/v1/webhook-endpoints", headers=beta_key).json()["items"] == []
    for path in ("", "/deliveries"):
        refused = requests.get(f"{server.base_url}/v1/webhook-endpoints/{endpoints['alpha']}{path}", headers=beta_key)
        missing = requests.get(f"{server.base_url}/v1/webhook-endpoints/{ZERO}{path}", headers=beta_key)
        assert refused.status_code == missing.status_code == 404 and refused.json() == missing.json()
    refused = requests.delete(f"{server.base_url}/v1/webhook-endpoints/{endpoints['global']}", headers=alpha_key)
    assert refused.status_code == 404
    # A share on beta's recording and one on alpha's: alpha's endpoint hears of its own only.
    shares = {}
    for tenant, headers in (("beta", beta_key), ("alpha", alpha_key)):
        share = requests.post(f"{server.base_url}/v1/recordings/{recordings[tenant]['id']}/shares",
                              json={"expires_in": 600}, headers=headers)
        assert share.status_code == 201, share.text
        shares[tenant] = share.json()
    foreign = requests.delete(f"{server.base_url}/v1/shares/{shares['beta']['id']}", headers=alpha_key)
    missing = requests.delete(f"{server.base_url}/v1/shares/{ZERO}", headers=alpha_key)
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()

    def deliveries(endpoint):
        items = requests.get(f"{server.base_url}/v1/webhook-endpoints/{endpoint}/deliveries", headers=server.admin).json()["items"]
        return sorted(i["event_type"] for i in items)

    deadline = time.time() + 20
    while time.time() < deadline and len(deliveries(endpoints["global"])) < 2:
        time.sleep(0.3)
    assert deliveries(endpoints["global"]) == ["share.created", "share.created"]
    assert deliveries(endpoints["alpha"]) == ["share.created"]
    # The share holder watches the one recording, through its link only.
    link = shares["alpha"]["url"].rsplit("/", 1)[1]
    used = requests.post(f"{server.base_url}/v1/share-links/{link}/playback", timeout=10)
    assert used.status_code == 200 and recordings["beta"]["id"] not in used.text


def test_rooms_and_policies_are_scoped(world):
    server, orgs, rooms = world["server"], world["orgs"], world["rooms"]
    alpha_key, beta_key = bearer(orgs["alpha"]["key"]), bearer(orgs["beta"]["key"])
    quote = requests.utils.quote
    # Another organization's room reads as a room nobody set up (the default policy, not recording).
    theirs = requests.get(f"{server.base_url}/v1/rooms/{quote(rooms['alpha'])}/policy", headers=beta_key).json()
    nobody = requests.get(f"{server.base_url}/v1/rooms/never-seen-room/policy", headers=beta_key).json()
    assert theirs["source"] == nobody["source"] == "default"
    assert requests.get(f"{server.base_url}/v1/rooms/{quote(rooms['alpha'])}/policy", headers=alpha_key).status_code == 200
    # Setting a policy on it is refused and changes nothing.
    taken = requests.put(f"{server.base_url}/v1/rooms/{quote(rooms['alpha'])}/policy", json={"start": "manual"}, headers=beta_key)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "room_name_taken"
    assert requests.get(f"{server.base_url}/v1/rooms/{quote(rooms['alpha'])}/policy", headers=server.admin).json()["source"] == "default"
    # A new room an organization's key sets up is its own; it cannot be given to another.
    new = room_name("newroom")
    made = requests.put(f"{server.base_url}/v1/rooms/{new}", json={"organization": "beta"}, headers=beta_key)
    assert made.status_code == 200 and made.json()["organization"] == "beta", made.text
    assert requests.put(f"{server.base_url}/v1/rooms/{new}", json={"organization": "alpha"}, headers=beta_key).status_code == 400
    assert requests.put(f"{server.base_url}/v1/rooms/{new}", json={"organization": "beta"}, headers=alpha_key).status_code == 400
    status = requests.get(f"{server.base_url}/v1/rooms/{new}/recording-status", headers=alpha_key)
    assert status.status_code == 200 and status.json()["recording"] is False
    # The global key moves rooms; an organization with rooms cannot be deleted.
    moved = requests.put(f"{server.base_url}/v1/rooms/{new}", json={"organization": None}, headers=server.admin)
    assert moved.status_code == 200 and moved.json()["organization"] is None
    busy = requests.delete(f"{server.base_url}/v1/organizations/{orgs['beta']['id']}", headers=server.admin)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "organization_not_empty"


def hostile_strings():
    values = HOSTILE if isinstance(HOSTILE, list) else [v for group in HOSTILE.values() for v in
                                                         (group if isinstance(group, list) else [group])]
    return [v for v in values if isinstance(v, str)]


def test_hostile_slugs_and_names(world):
    server = world["server"]
    for index, text in enumerate(hostile_strings()):
        as_slug = requests.post(f"{server.base_url}/v1/organizations", json={"slug": text, "name": "x"}, headers=server.admin)
        assert as_slug.status_code in (201, 400, 409), (text, as_slug.text)
        if as_slug.status_code == 400:
            assert as_slug.json()["error"]["field"] == "slug"
        as_name = requests.post(f"{server.base_url}/v1/organizations", json={"slug": f"hostile-{index}", "name": text},
                                headers=server.admin)
        assert as_name.status_code in (201, 400), (text, as_name.text)
        if as_name.status_code == 201:
            shown = requests.get(f"{server.base_url}/v1/organizations/{as_name.json()['id']}", headers=server.admin).json()
            assert shown["name"] == text
            assert requests.delete(f"{server.base_url}/v1/organizations/{shown['id']}", headers=server.admin).status_code == 204
        else:
            assert as_name.json()["error"]["field"] == "name"
    duplicate = requests.post(f"{server.base_url}/v1/organizations", json={"slug": "alpha", "name": "again"}, headers=server.admin)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "slug_taken"


def test_usage_per_day(world):
    server, orgs, principals = world["server"], world["orgs"], world["principals"]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    recording = world["recordings"]["alpha"]
    # The day it ended (usage counts hours then), which is yesterday if midnight (UTC) passed since.
    recorded = recording["ended_at"][:10]
    alpha = requests.get(f"{server.base_url}/v1/organizations/{orgs['alpha']['id']}/usage?from={recorded}&to={today}",
                         headers=bearer(principals["alpha key"]))
    assert alpha.status_code == 200, alpha.text
    days = alpha.json()["days"]
    [day] = [d for d in days if d["date"] == recorded]
    assert day["hours_recorded"] == round(recording["duration_ms"] / 3_600_000, 3)
    # Views count on the day they happen.
    assert day["bytes_stored"] == recording["size_bytes"] and sum(d["views"] for d in days) >= 1
    assert day["failed_recordings"] == 0
    # Another organization's usage is the same 404 as a missing one's; bad dates name the field.
    refused = requests.get(f"{server.base_url}/v1/organizations/{orgs['alpha']['id']}/usage", headers=bearer(principals["beta key"]))
    missing = requests.get(f"{server.base_url}/v1/organizations/{ZERO}/usage", headers=bearer(principals["beta key"]))
    assert refused.status_code == missing.status_code == 404 and refused.json() == missing.json()
    week = requests.get(f"{server.base_url}/v1/organizations/{orgs['beta']['id']}/usage", headers=server.admin).json()
    assert len(week["days"]) == 30 and week["to"] == today
    for query, field in (("from=2026-02-30", "from"), ("to=yesterday", "to"), ("from=2020-01-01&to=2026-01-01", "to"),
                         ("from=2026-01-02&to=2026-01-01", "from")):
        bad = requests.get(f"{server.base_url}/v1/organizations/{orgs['beta']['id']}/usage?{query}", headers=server.admin)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == field, (query, bad.text)


def signed_in(server, key):
    import re
    session = requests.Session()
    login = session.get(server.base_url + "/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    answer = session.post(server.base_url + "/login", data={"csrf": csrf, "api_key": key})
    assert "Recordings" in answer.text
    return session, re.search(r'name="csrf" value="([^"]+)"', answer.text).group(1)


def test_dashboard_is_scoped(world):
    server, orgs, recordings, rooms = world["server"], world["orgs"], world["recordings"], world["rooms"]
    alpha, csrf = signed_in(server, orgs["alpha"]["key"])
    page = alpha.get(server.base_url + "/").text
    assert rooms["alpha"] in page and rooms["beta"] not in page and rooms["plain"] not in page
    # An organization's key cannot pick another organization, and has its own usage chart.
    assert 'name="organization"' not in page and "Alpha: the last 14 days" in page
    assert rooms["beta"] not in alpha.get(server.base_url + "/?organization=beta").text
    foreign = alpha.get(f"{server.base_url}/recordings/{recordings['beta']['id']}")
    missing = alpha.get(f"{server.base_url}/recordings/{ZERO}")
    assert foreign.status_code == missing.status_code == 404 and foreign.text == missing.text
    for form in ("shares", "delete"):
        answer = alpha.post(f"{server.base_url}/recordings/{recordings['beta']['id']}/{form}", data={"csrf": csrf})
        assert answer.status_code == 404, (form, answer.status_code)
    assert server.get(f"/v1/recordings/{recordings['beta']['id']}", headers=server.admin).json()["status"] == "ready"
    # The global admin sees every organization, or picks one.
    admin, _ = signed_in(server, server.admin_key)
    everything = admin.get(server.base_url + "/").text
    assert all(room in everything for room in rooms.values()) and 'name="organization"' in everything
    picked = admin.get(server.base_url + "/?organization=beta").text
    assert rooms["beta"] in picked and rooms["alpha"] not in picked and "Beta: the last 14 days" in picked


def test_keys_create_with_org_on_the_command_line(world):
    server, recordings = world["server"], world["recordings"]
    made = server.cli("keys", "create", "--name", "cli alpha", "--org", "alpha")
    key = made.stdout.strip()
    assert "limited to organization alpha" in made.stderr and key not in made.stderr
    assert requests.get(f"{server.base_url}/v1/recordings/{recordings['alpha']['id']}", headers=bearer(key)).status_code == 200
    assert requests.get(f"{server.base_url}/v1/recordings/{recordings['beta']['id']}", headers=bearer(key)).status_code == 404
    assert "org alpha" in server.cli("keys", "list").stdout
    refused = server.cli("keys", "create", "--name", "x", "--org", "nosuch", check=False)
    assert refused.returncode != 0 and "no organization with slug nosuch" in refused.stderr and refused.stdout == ""


def test_room_metadata_names_the_organization(outputs):  # noqa: F811
    harness = Harness(outputs, name="org-metadata", env={"TAPEDECK_ORG_FROM": "room_metadata"})
    try:
        server, sim = harness.server, harness.sim
        created = requests.post(f"{server.base_url}/v1/organizations", json={"slug": "delta", "name": "Delta"},
                                headers=server.admin).json()
        key = requests.post(f"{server.base_url}/v1/organizations/{created['id']}/keys", json={"name": "d"},
                            headers=server.admin).json()["key"]
        rooms = {
            "named": ('{"tapedeck_org": "delta", "topic": "x"}', True),
            "prefix only": ("", False),  # the name starts with delta-, but this rule reads metadata
            "unknown org": ('{"tapedeck_org": "nobody"}', False),
            "not json": ("tapedeck_org=delta", False),
            "hostile": (json.dumps({"tapedeck_org": "delta\u0000; DROP TABLE rooms"}), False),
        }
        names = {}
        for label, (metadata, _) in rooms.items():
            names[label] = f"delta-{room_name(label.replace(' ', ''))}"
            sim.start_room(names[label], metadata=metadata)
            sim.join(names[label], "ada")
        sim.deliver()
        # Every room known first (an organization's key asking about an unknown name would create it).
        sim.wait(lambda: {r[0] for r in harness.rows("SELECT name FROM rooms")} >= set(names.values()), what="rooms known")
        for label, (_, joins) in rooms.items():
            answer = requests.put(f"{server.base_url}/v1/rooms/{names[label]}", json={"organization": "delta"},
                                  headers=bearer(key))
            assert answer.status_code == (200 if joins else 409), (label, answer.text)
            if not joins:
                assert answer.json()["error"]["code"] == "room_name_taken"
    finally:
        harness.close()


def test_emails_and_email_bound_links_stay_in_their_organization(world):
    """The outbox on the dashboard is the installation's, not an organization key's; and an
    email claim counts only in a token that speaks for the share's room: another organization's
    backend can put any address in its tokens."""
    server, orgs, recordings = world["server"], world["orgs"], world["recordings"]
    beta_key, alpha_key = bearer(orgs["beta"]["key"]), bearer(orgs["alpha"]["key"])
    beta_recording = recordings["beta"]["id"]
    invited = requests.put(f"{server.base_url}/v1/recordings/{beta_recording}/invitees",
                           json={"invitees": [{"email": "pupil@beta.example", "name": "Pupil"}]}, headers=beta_key)
    assert invited.status_code == 200, invited.text

    def outbox():
        return requests.get(f"{server.base_url}/v1/emails", headers=server.admin).json()["items"]
    wait_until(lambda: any(e["recipient"] == "pupil@beta.example" for e in outbox()) or None, what="the invitation", timeout=30)
    admin, _ = signed_in(server, server.admin_key)
    assert "pupil@beta.example" in admin.get(server.base_url + "/").text
    alpha, _ = signed_in(server, orgs["alpha"]["key"])
    assert "pupil@beta.example" not in alpha.get(server.base_url + "/").text
    assert requests.get(f"{server.base_url}/v1/emails", headers=alpha_key).status_code == 403

    share = requests.post(f"{server.base_url}/v1/recordings/{beta_recording}/shares",
                          json={"expires_in": 600, "email": "head@beta.example"}, headers=beta_key)
    assert share.status_code == 201, share.text
    link_token = share.json()["url"].rsplit("/", 1)[-1]
    forged = requests.post(f"{server.base_url}/v1/viewer-tokens", json={"sub": "x", "email": "head@beta.example"},
                           headers=alpha_key)
    assert forged.status_code == 201, forged.text
    use = f"{server.base_url}/v1/share-links/{link_token}/playback"
    refused = requests.post(use, headers=bearer(forged.json()["token"]))
    assert refused.status_code == 403, refused.text
    own = world["token"]("head", "beta", email="head@beta.example")
    assert requests.post(use, headers=bearer(own)).status_code == 200
    # The same in a browser: the forged token's cookie does not open the link's page.
    browser = requests.Session()
    browser.get(f"{server.base_url}/recordings/{beta_recording}?token={forged.json()['token']}", allow_redirects=False)
    page = browser.get(share.json()["url"])
    assert page.status_code in (401, 403) and "pupil" not in page.text.lower()


def my_page(server, credential):
    """The ids `/my` lists for a viewer token (reached as a link gives it: `?token=`, then the cookie)."""
    browser = requests.Session()
    page = browser.get(f"{server.base_url}/my?token={credential}", timeout=10)
    assert page.status_code == 200, page.text[:200]
    return set(re.findall(r'href="/(?:my/)?recordings/([0-9a-f-]{36})"', page.text)), page.text


def test_viewer_lists_are_what_they_may_watch(world):
    """`/v1/me/recordings`, `/my` and search list exactly what the player lets each viewer watch:
    alpha's members see all of alpha's (its rule is `members`), beta's only their sessions'."""
    server, recordings, principals = world["server"], world["recordings"], world["principals"]

    def mine(who):
        response = requests.get(f"{server.base_url}/v1/me/recordings?limit=1", headers=bearer(principals[who]), timeout=10)
        assert response.status_code == 200, (who, response.text)
        ids, page = [], response.json()
        while True:
            ids += [item["id"] for item in page["items"]]
            if not page["next_cursor"]:
                return ids
            # Pages are full while more exist.
            assert len(page["items"]) == 1, (who, page)
            page = requests.get(f"{server.base_url}/v1/me/recordings?limit=1&cursor={page['next_cursor']}",
                                headers=bearer(principals[who]), timeout=10).json()

    def watchable(who, tenants=WATCHERS):
        return {recordings[tenant]["id"] for tenant, allowed in tenants.items() if who in allowed}

    for who in principals:
        if who in KEYS:
            continue
        listed = mine(who)
        assert len(listed) == len(set(listed)) and set(listed) == watchable(who), who
        for rid in listed:
            assert requests.get(f"{server.base_url}/v1/recordings/{rid}", headers=bearer(principals[who])).status_code == 200
        assert my_page(server, principals[who])[0] == watchable(who), who

    # Hostile identities: alpha's members see alpha's whatever their name; nobody else's. An
    # identity with control characters is no identity (the token is refused, as a bad one).
    for sub in HOSTILE:
        usable = 0 < len(sub) <= 256 and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in sub)
        for org, sees in (("alpha", {recordings["alpha"]["id"]}), ("beta", set()), (None, set())):
            credential = world["token"](sub, org)
            response = requests.get(f"{server.base_url}/v1/me/recordings", headers=bearer(credential), timeout=10)
            if not usable:
                assert response.status_code == 401, (sub, org, response.text[:200])
                continue
            assert response.status_code == 200, (sub, org, response.text[:200])
            assert {item["id"] for item in response.json()["items"]} == sees, (sub, org)
            assert my_page(server, credential)[0] == sees, (sub, org)

    # Under `admins`, an organization's admins see all its recordings, its members their own.
    beta = world["orgs"]["beta"]
    assert requests.patch(f"{server.base_url}/v1/organizations/{beta['id']}", json={"access_rule": "admins"},
                          headers=server.admin).status_code == 200
    try:
        for who, sees in (("beta admin", {recordings["beta"]["id"]}), ("beta member", set()),
                          ("beta participant", {recordings["beta"]["id"]}), ("alpha admin", {recordings["alpha"]["id"]})):
            assert set(mine(who)) == sees, who
            assert my_page(server, principals[who])[0] == sees, who
    finally:
        requests.patch(f"{server.base_url}/v1/organizations/{beta['id']}", json={"access_rule": "participants"},
                       headers=server.admin)


def test_share_holders_see_their_link_only(world):
    """Principals holding a share link of each organization's recording (valid, expired, revoked,
    bound to another address): the link opens its own recording only while it is good, and it
    is no credential for any recording route, page, list or search."""
    server, recordings, rooms, orgs = world["server"], world["recordings"], world["rooms"], world["orgs"]
    baseline = requests.get(f"{server.base_url}/v1/recordings/{ZERO}", headers=bearer("not-a-token"))
    assert baseline.status_code == 401
    holders = {}
    for tenant in ("alpha", "beta"):
        rid = recordings[tenant]["id"]

        def share(**body):
            made = requests.post(f"{server.base_url}/v1/recordings/{rid}/shares", json={"expires_in": 600, **body},
                                 headers=bearer(orgs[tenant]["key"]))
            assert made.status_code == 201, made.text
            return made.json()
        valid, expired, revoked = share(), share(), share()
        bound = share(email=f"owner@{tenant}.example")
        assert requests.delete(f"{server.base_url}/v1/shares/{revoked['id']}", headers=bearer(orgs[tenant]["key"])).status_code < 300
        server.rows(f"UPDATE shares SET expires_at = {int(time.time() * 1000) - 1000} "
                    f"WHERE lower(CAST(id AS TEXT)) = '{expired['id'].lower()}'")
        # The bound link in the hands of someone of the same organization with another address.
        other = world["token"]("intruder", tenant, email="someone@else.example")
        holders.update({(tenant, "valid"): (valid, None, 200), (tenant, "expired"): (expired, None, 410),
                        (tenant, "revoked"): (revoked, None, 410), (tenant, "bound to another"): (bound, other, 403)})

    for (tenant, kind), (share, token, status) in holders.items():
        link = share["url"].rsplit("/", 1)[1]
        headers = bearer(token) if token else {}
        api = requests.post(f"{server.base_url}/v1/share-links/{link}/playback", headers=headers, timeout=10)
        browser = requests.Session()
        if token:
            browser.cookies.set("tapedeck_viewer", token)
        page = browser.get(share["url"], timeout=10)
        assert (api.status_code, page.status_code) == (status, status), (tenant, kind, api.text[:200])
        others = [t for t in recordings if t != tenant]
        for body in (api.text, page.text):
            for other in others:
                assert recordings[other]["id"] not in body and rooms[other] not in body, (tenant, kind, other)
            if status != 200:
                assert rooms[tenant] not in body and "/media/" not in body, (tenant, kind)
        if status == 200:
            assert recordings[tenant]["id"] in api.text
        # The link's secret is no bearer credential, and the browser that opened it holds none:
        # every recording route of every organization answers as for a stranger without a token.
        for method, template, _, _ in ROUTES:
            for other, recording in recordings.items():
                url = server.base_url + template.replace("{id}", recording["id"])
                as_bearer = requests.request(method, url, json=BODIES.get(method), headers=bearer(link), timeout=10)
                assert as_bearer.status_code == 401 and as_bearer.json() == baseline.json(), (tenant, kind, template)
                if token is None:
                    with_cookies = browser.request(method, url, json=BODIES.get(method), timeout=10)
                    assert with_cookies.status_code == 401, (tenant, kind, template, with_cookies.status_code)
                    assert rooms[other] not in with_cookies.text
        for path in ("/v1/me/recordings", "/v1/recordings", "/v1/search?q=zebra"):
            assert requests.get(server.base_url + path, headers=bearer(link), timeout=10).status_code == 401, path
        if token is None:
            assert browser.get(f"{server.base_url}/my", timeout=10).status_code == 401
            # Every player page answers the browser holding the link as one that holds nothing.
            for recording in recordings.values():
                url = f"{server.base_url}/recordings/{recording['id']}"
                player, anonymous = browser.get(url, timeout=10), requests.get(url, timeout=10)
                assert (player.status_code, player.text) == (anonymous.status_code, anonymous.text), (tenant, kind)
                assert player.status_code == 401
