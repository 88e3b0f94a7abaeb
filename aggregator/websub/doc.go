// Package websub is feedloom's WebSub subscriber (W3C WebSub, 2018): a
// source whose feed advertises a hub is subscribed to, and the documents
// the hub pushes go through the same parse, cleanup, dedup and store path
// as a poll.
//
// The life of one subscription:
//
//   - Discovery: the aggregator hands every successfully polled document
//     to Manager.Observe, which finds the hub and the topic (self) URL
//     with Discover. Only http and https topics and hubs are used.
//   - Subscribing: Manager.Run POSTs hub.mode=subscribe to the hub with
//     the topic, a callback of its own under the public base URL
//     (base_url + "websub/callback/" + 32 random hex digits: a capability
//     URL, unique per subscription), a secret (32 random bytes as 64 hex
//     digits) and the requested lease.
//   - Intent verification: the hub's GET on the callback is answered 200
//     with hub.challenge only when hub.mode and hub.topic match what that
//     callback asked for (subscribe, or unsubscribe while one is pending);
//     anything else gets 404. A verified subscription is active until
//     hub.lease_seconds after the verification.
//   - Renewal: at 80% of the lease the same callback and secret are
//     subscribed again (the spec lets a hub re-verify an active
//     subscription without interruption). Failed requests are retried with
//     exponential backoff (5 minutes doubling to 6 hours); a lease that
//     runs out makes the subscription expired, and it is requested again.
//   - Content distribution: a POST to the callback must carry
//     X-Hub-Signature (sha256=…, or sha1, sha384, sha512) matching the
//     HMAC of the raw body under the subscription's secret, compared in
//     constant time. A body over the size limit is answered 413. A push
//     without a valid signature is refused: nothing is stored and it is
//     counted (Stats.Refused), but it is answered 2xx, as §8 of the spec
//     requires, so a forger learns nothing and a real hub does not retry a
//     delivery that can never verify. A push to an unknown callback (a
//     forgotten subscription) is answered 404 and counted as refused too.
//     A signed push is ingested with the topic URL as the base for
//     relative links and answered 204; a document that cannot be stored is
//     logged and counted (Stats.Failed) and also answered 2xx: the
//     safety-net poll picks its entries up, and a hub never drops the
//     subscription for it.
//   - A feed that stops advertising a hub is unsubscribed; one that
//     advertises another hub or topic gets a new subscription (new
//     callback, new secret), and the old callback answers 404 from then
//     on. A hub's hub.mode=denied marks the subscription denied, tried
//     again after a day.
//
// Subscriptions are kept in the store as source meta "websub" (JSON), so
// they survive restarts. While a subscription is active the Manager tells
// the scheduler (Options.SetPushed) so that the source is polled only as a
// safety net.
//
// The secret is sent to every hub, also over plain HTTP (the spec says it
// SHOULD only be sent over HTTPS): without it no push could be
// authenticated at all.
package websub
