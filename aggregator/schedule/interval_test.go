package schedule

import (
	"testing"
	"time"
)

var now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// dated returns hints for a document whose entries are the given ages,
// reaching back over reach (the oldest entry's age).
func dated(reach time.Duration, ages ...time.Duration) Hints {
	h := Hints{Oldest: now.Add(-reach)}
	for _, a := range ages {
		h.Dates = append(h.Dates, now.Add(-a).Unix())
	}
	return h
}

// every returns n ages spread evenly over span.
func every(n int, span time.Duration) []time.Duration {
	var out []time.Duration
	for i := range n {
		out = append(out, span*time.Duration(i)/time.Duration(n))
	}
	return out
}

func TestHealthy(t *testing.T) {
	p := Policy{Min: 5 * time.Minute, Max: 24 * time.Hour, Default: 30 * time.Minute}
	tests := map[string]struct {
		s        Signals
		interval time.Duration
		reason   string
	}{
		"busy: 48 a day": {
			s:        Signals{Hints: dated(30*24*time.Hour, every(48*7, Week)...)},
			interval: 30 * time.Minute, reason: "adaptive (48 items/day)",
		},
		"busy, document covers 6 hours": {
			s:        Signals{Hints: dated(6*time.Hour, every(12, 6*time.Hour)...)},
			interval: 30 * time.Minute, reason: "adaptive (48 items/day)",
		},
		"quiet: 2 a week": {
			s:        Signals{Hints: dated(90*24*time.Hour, 24*time.Hour, 4*24*time.Hour)},
			interval: 24 * time.Hour, reason: "adaptive (0.3 items/day)",
		},
		"7 a day": {
			s:        Signals{Hints: dated(30*24*time.Hour, every(49, Week)...)},
			interval: Week / 49, reason: "adaptive (7.0 items/day)",
		},
		"nothing this week": {
			s:        Signals{Hints: dated(30*24*time.Hour, 10*24*time.Hour)},
			interval: 24 * time.Hour, reason: "adaptive (0 items/day)",
		},
		"firehose clamped to min": {
			s:        Signals{Hints: dated(2*time.Hour, every(200, 2*time.Hour)...)},
			interval: 5 * time.Minute, reason: "adaptive (2400 items/day)",
		},
		"no dates": {
			s:        Signals{},
			interval: 30 * time.Minute, reason: "default (no dated entries)",
		},
		"ttl longer": {
			s:        Signals{Hints: Hints{TTL: time.Hour}},
			interval: time.Hour, reason: "ttl 60m",
		},
		"ttl shorter than adaptive is ignored": {
			s:        Signals{Hints: Hints{TTL: 10 * time.Minute}},
			interval: 30 * time.Minute, reason: "default (no dated entries)",
		},
		"sy:updatePeriod": {
			s:        Signals{Hints: Hints{UpdatePeriod: 2 * time.Hour}},
			interval: 2 * time.Hour, reason: "sy:updatePeriod 2h",
		},
		"max-age longest": {
			s:        Signals{Hints: Hints{TTL: time.Hour}, MaxAge: 3 * time.Hour},
			interval: 3 * time.Hour, reason: "max-age 3h",
		},
		"expires": {
			s:        Signals{Expires: 90 * time.Minute},
			interval: 90 * time.Minute, reason: "expires 1h30m",
		},
		"asks capped at max": {
			s:        Signals{Hints: Hints{TTL: 48 * time.Hour}},
			interval: 24 * time.Hour, reason: "ttl 2880m, capped at max_interval",
		},
		"config overrides adaptive": {
			s:        Signals{Hints: dated(30*24*time.Hour, every(48*7, Week)...), Config: 2 * time.Hour},
			interval: 2 * time.Hour, reason: "config",
		},
		"config may be shorter than min": {
			s:        Signals{Config: time.Minute},
			interval: time.Minute, reason: "config",
		},
		"config may be longer than max": {
			s:        Signals{Config: 48 * time.Hour},
			interval: 48 * time.Hour, reason: "config",
		},
		"ttl still lengthens config": {
			s:        Signals{Config: 10 * time.Minute, Hints: Hints{TTL: time.Hour}},
			interval: time.Hour, reason: "ttl 60m",
		},
		"push": {
			s:        Signals{Pushed: true, Config: time.Minute, Hints: Hints{TTL: time.Hour}},
			interval: 24 * time.Hour, reason: "push",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			d := p.Healthy(tt.s, now)
			if d.Interval != tt.interval || d.Reason != tt.reason {
				t.Errorf("got %s %q, want %s %q", d.Interval, d.Reason, tt.interval, tt.reason)
			}
			if d.Earliest != d.Interval || d.Latest < d.Earliest || d.Latest > d.Interval+d.Interval/10 {
				t.Errorf("placed in [%s, %s]: want from the interval to a tenth more", d.Earliest, d.Latest)
			}
			if d.Latest > max(p.Max, tt.s.Config) {
				t.Errorf("latest %s beyond the max", d.Latest)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	p := Policy{Min: 5 * time.Minute, Max: 24 * time.Hour, Default: 30 * time.Minute}
	tests := []struct {
		fails    int
		interval time.Duration
		reason   string
	}{
		{1, 30 * time.Minute, "backoff (1 error)"},
		{2, time.Hour, "backoff (2 errors)"},
		{3, 2 * time.Hour, "backoff (3 errors)"},
		{6, 16 * time.Hour, "backoff (6 errors)"},
		{7, 24 * time.Hour, "backoff (7 errors)"},
		{1000, 24 * time.Hour, "backoff (1000 errors)"},
	}
	for _, tt := range tests {
		d := p.Backoff(tt.fails)
		if d.Interval != tt.interval || d.Reason != tt.reason {
			t.Errorf("Backoff(%d) = %s %q, want %s %q", tt.fails, d.Interval, d.Reason, tt.interval, tt.reason)
		}
		if d.Earliest != d.Interval-d.Interval/10 || d.Latest != min(d.Interval+d.Interval/10, p.Max) {
			t.Errorf("Backoff(%d) placed in [%s, %s], want ±10%% within the max", tt.fails, d.Earliest, d.Latest)
		}
		for _, u := range []float64{0, 0.5, 0.999999} {
			if got := d.Delay(u); got < d.Earliest || got > d.Latest {
				t.Errorf("Delay(%v) = %s outside [%s, %s]", u, got, d.Earliest, d.Latest)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	p := Policy{}
	tests := []struct {
		ra, want time.Duration
	}{
		{2 * time.Hour, 2 * time.Hour},
		{30 * time.Second, DefaultMin},
		{24 * time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		d := p.RetryAfter(tt.ra)
		if d.Interval != tt.want || d.Reason != "retry-after" || d.Earliest != tt.want || d.Latest != tt.want+tt.want/10 {
			t.Errorf("RetryAfter(%s) = %+v, want %s from then to a tenth later", tt.ra, d, tt.want)
		}
	}
}

func TestPolicyDefaults(t *testing.T) {
	got := Policy{Min: time.Hour, Default: time.Minute}.norm()
	want := Policy{Min: time.Hour, Max: 24 * time.Hour, Default: time.Hour}
	if got != want {
		t.Errorf("norm = %+v, want %+v (Default clamped to Min)", got, want)
	}
}

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * time.Minute:               "1h30m",
		45 * time.Minute:               "45m",
		2 * time.Hour:                  "2h",
		48 * time.Hour:                 "2d",
		45 * time.Second:               "45s",
		1500 * time.Millisecond:        "2s",
		time.Hour + 3*time.Millisecond: "1h",
		3*time.Hour + 25*time.Minute + 10*time.Second: "3h25m",
		90 * time.Second: "1m30s",
		25 * time.Hour:   "25h",
	} {
		if got := Short(d); got != want {
			t.Errorf("Short(%s) = %q, want %q", d, got, want)
		}
	}
}
