// Package schedule decides when a source is polled next. It holds pure
// functions over what a poll learned, and the queue the aggregator keeps
// every source's next poll in; it does no I/O and reads no clock.
//
// # The interval of a healthy source
//
// In order, the first that applies:
//
//  1. a source the aggregator receives by WebSub push: Policy.Max, as a
//     safety net ("push");
//  2. the interval configured for the source ("config");
//  3. adaptive: a week divided by the items the source published in the
//     last week, clamped to [Policy.Min, Policy.Max]
//     ("adaptive (3.5 items/day)"). The items per week are counted from the
//     publication dates of the last document (Hints.PerWeek): when the
//     document reaches back more than a week, the entries dated within the
//     last week; when it does not (a feed listing only its latest
//     entries), its entries over the time it does cover, at least an hour.
//     Entries with the same second count once, so a feed stamping every
//     entry with the time of the request does not look busy. As time
//     passes without new entries (304s), the same dates give a lower rate;
//  4. Policy.Default when no entry is dated ("default").
//
// The source's own requests then lengthen it, never shorten it: RSS ttl,
// sy:updatePeriod/sy:updateFrequency, Cache-Control max-age (less Age)
// and, without max-age, Expires less Date. The longest wins and names the
// reason ("ttl 60m", "max-age 2h"). Only Policy.Max (or a longer
// configured interval) caps them: a feed asking for a week is still read
// daily.
//
// The poll is placed up to a tenth of the interval later (never earlier)
// so sources polled together drift apart, and then out of the hours and
// weekdays the feed's skipHours and skipDays exclude (UTC).
//
// # After a failure
//
// A Retry-After the server sent defers the source (not its host) for
// that long, at least Policy.Min ("retry-after"). Any other failure backs
// off exponentially from Policy.Default, doubling per consecutive failure
// up to Policy.Max, with ±10% jitter ("backoff (3 errors)").
package schedule
