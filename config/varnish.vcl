# Varnish in front of feedsvc (README "Behind nginx or a CDN"). Install: cp config/varnish.vcl /etc/varnish/default.vcl && systemctl restart varnish
# Written for Debian's Varnish 7.1. Set the port of `service.port` in the backend.
vcl 4.1;

import std;

backend feedsvc {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    # A stopped feedsvc is noticed within two seconds; until it is back, stale copies are served.
    .probe = {
        .url = "/healthz";
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        .initial = 2;
    }
}

sub vcl_recv {
    if (req.url ~ "^/(status\.json|healthz)(\?|$)" || req.method == "POST") {
        return (pass);  # live answers and WebSub subscription requests are never cached
    }
    if (req.restarts > 0 && req.http.X-Feedsvc-Origin-Failed) {
        # The fetch below failed: any copy still within stale-if-error will do (vcl_deliver restarted us).
        return (hash);
    }
    if (std.healthy(req.backend_hint)) {
        # While feedsvc is up, a copy past its s-maxage is served for stale-while-revalidate at most (the one
        # reader gets it at once, Varnish asks feedsvc in the background); beyond that the reader waits.
        set req.grace = 30s;
    }
}

sub vcl_backend_response {
    # TTL comes from s-maxage (Varnish reads it before max-age). Grace = stale-if-error: how long a copy may be
    # served while feedsvc is down; vcl_recv narrows it to stale-while-revalidate while feedsvc is up.
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"),
                                        0s);
    }
    # Keep a copy after that too, to revalidate it with a conditional request (a 304 instead of the body).
    set beresp.keep = 1d;
}

sub vcl_deliver {
    if (resp.status >= 500 && req.restarts == 0 && req.method == "GET" && !req.http.X-Feedsvc-Origin-Failed) {
        # feedsvc failed to answer (down, restarting): look again for a stale copy before giving the error.
        set req.http.X-Feedsvc-Origin-Failed = "1";
        return (restart);
    }
    # Varnish sends Age and, after a revalidation, the headers of the 304: readers count max-age minus Age,
    # so the origin's headers go through unchanged.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
