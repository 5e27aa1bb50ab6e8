"""WebSub (www.w3.org/TR/websub/): feeds that name a hub, and a hub built in that pushes them.

    settings.py       the [websub] table
    discovery.py      rel="hub" / rel="self" in feed documents and in HTTP Link headers
    topics.py         topic URL ↔ the published feed file; which topics changed since the last push
    callbacks.py      callback safety: which addresses a stranger's URL may make us connect to
    client.py         the outgoing requests: verification of intent, content distribution, publish pings
    subscriptions.py  the subscription table in the store
    hub.py            the hub: requests, verification, deliveries with retries, on its own thread and loop
    web.py            the /websub route
    report.py         what `status` shows
"""
