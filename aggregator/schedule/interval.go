package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Week is the span the adaptive interval counts entries over.
const Week = 7 * 24 * time.Hour

// Defaults for the zero fields of Policy.
const (
	DefaultMin      = 5 * time.Minute
	DefaultMax      = 24 * time.Hour
	DefaultInterval = 30 * time.Minute
)

// Policy holds the operator's bounds. The zero value uses the defaults.
type Policy struct {
	// Min is the shortest adaptive interval (poll.min_interval); default 5m.
	Min time.Duration
	// Max is the longest interval of any kind but a configured one
	// (poll.max_interval); default 24h.
	Max time.Duration
	// Default is the interval of a source whose rate is unknown, and the
	// first step of the backoff (poll.interval); default 30m. It is
	// clamped to [Min, Max].
	Default time.Duration
}

// norm fills in the defaults and orders the bounds.
func (p Policy) norm() Policy {
	if p.Min <= 0 {
		p.Min = DefaultMin
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	p.Max = max(p.Max, p.Min)
	if p.Default <= 0 {
		p.Default = DefaultInterval
	}
	p.Default = min(max(p.Default, p.Min), p.Max)
	return p
}

// A Decision is when a source is polled next, and why.
type Decision struct {
	// Interval is the nominal time until the next poll.
	Interval time.Duration
	// Reason says where Interval comes from, for the operator:
	// "adaptive (3.5 items/day)", "ttl 60m", "retry-after", "backoff (3
	// errors)", "config", "push", ...
	Reason string
	// The poll is placed uniformly in [Earliest, Latest] from now.
	Earliest, Latest time.Duration
}

// Delay places the poll: u, uniform in [0, 1), picks a point in
// [Earliest, Latest].
func (d Decision) Delay(u float64) time.Duration {
	return d.Earliest + time.Duration(u*float64(d.Latest-d.Earliest))
}

// Signals is what is known about a healthy source when its next poll is
// decided.
type Signals struct {
	// Hints are what the source's last document asked and showed.
	Hints Hints
	// MaxAge and Expires are the freshness lifetimes of the last response
	// (see Lifetime).
	MaxAge, Expires time.Duration
	// Config is the interval configured for the source; 0 means adaptive.
	Config time.Duration
	// Pushed means the source's updates arrive by WebSub.
	Pushed bool
}

// Healthy decides the next poll of a source whose last poll succeeded, as
// the package documentation describes.
func (p Policy) Healthy(s Signals, now time.Time) Decision {
	p = p.norm()
	if s.Pushed {
		return Decision{Interval: p.Max, Reason: "push", Earliest: p.Max, Latest: p.Max}
	}
	var d time.Duration
	var why string
	if s.Config > 0 {
		d, why = s.Config, "config"
	} else if perWeek, ok := s.Hints.PerWeek(now); ok {
		d = p.Max
		if perWeek > 0 {
			d = min(max(time.Duration(float64(Week)/perWeek), p.Min), p.Max)
		}
		why = "adaptive (" + perDay(perWeek) + " items/day)"
	} else {
		d, why = p.Default, "default (no dated entries)"
	}
	for _, ask := range []struct {
		d   time.Duration
		why string
	}{
		{s.Hints.TTL, fmt.Sprintf("ttl %dm", s.Hints.TTL/time.Minute)},
		{s.Hints.UpdatePeriod, "sy:updatePeriod " + Short(s.Hints.UpdatePeriod)},
		{s.MaxAge, "max-age " + Short(s.MaxAge)},
		{s.Expires, "expires " + Short(s.Expires)},
	} {
		if ask.d > d {
			d, why = ask.d, ask.why
		}
	}
	if ceiling := max(p.Max, s.Config); d > ceiling {
		d, why = ceiling, why+", capped at max_interval"
	}
	return Decision{Interval: d, Reason: why, Earliest: d, Latest: max(d, min(d+d/10, max(p.Max, s.Config)))}
}

// Backoff decides the next poll after fails consecutive failures (fails
// >= 1) without a Retry-After: Default doubled per failure after the
// first, up to Max, placed within ±10%.
func (p Policy) Backoff(fails int) Decision {
	p = p.norm()
	fails = max(fails, 1)
	d := p.Default
	for i := 1; i < fails && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	why := fmt.Sprintf("backoff (%d errors)", fails)
	if fails == 1 {
		why = "backoff (1 error)"
	}
	return Decision{Interval: d, Reason: why, Earliest: d - d/10, Latest: min(d+d/10, p.Max)}
}

// RetryAfter decides the next poll of a source whose server asked to wait
// ra: that long, at least Min, placed up to a tenth later.
func (p Policy) RetryAfter(ra time.Duration) Decision {
	p = p.norm()
	d := max(ra, p.Min)
	return Decision{Interval: d, Reason: "retry-after", Earliest: d, Latest: d + d/10}
}

// perDay formats a weekly rate as items a day.
func perDay(perWeek float64) string {
	v := perWeek / 7
	switch {
	case v == 0:
		return "0"
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	case v >= 0.1:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// Short formats d the way the config writes durations, rounded to the
// minute from an hour up and to the second below: "2h", "7d", "1h30m",
// "45m", "1m30s".
func Short(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= time.Hour:
		d = d.Round(time.Minute)
	case d >= time.Second:
		d = d.Round(time.Second)
	}
	switch {
	case d >= day && d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Hour:
		return strings.TrimSuffix(d.String(), "0s") // "1h30m0s"
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
