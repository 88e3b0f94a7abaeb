package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Poll holds the settings for the polling loop. A source's interval adapts
// to how often it publishes, within [MinInterval, MaxInterval], and is
// never shorter than what the feed asks (ttl, sy:updatePeriod,
// Cache-Control, Expires, Retry-After); see package aggregator/schedule.
type Poll struct {
	Interval    time.Duration // while a source's rate is unknown, and the first backoff step; default 30m
	Workers     int           // concurrent fetches; default 16
	PerHost     int           // concurrent fetches to one host; default 2
	MinInterval time.Duration // shortest adaptive interval; default 5m
	MaxInterval time.Duration // longest interval (a configured one excepted); default 24h
}

const (
	defaultInterval    = 30 * time.Minute
	defaultWorkers     = 16
	defaultPerHost     = 2
	defaultMinInterval = 5 * time.Minute
	defaultMaxInterval = 24 * time.Hour
)

// poll decodes the poll mapping.
func (b *builder) poll(d *decoder, n *yaml.Node, path string) {
	p := &b.c.Poll
	present := d.mapping(n, path, []field{
		{key: "interval", decode: duration(&p.Interval)},
		{key: "workers", decode: integer(&p.Workers, 1, 1024)},
		{key: "per_host", decode: integer(&p.PerHost, 1, 1024)},
		{key: "min_interval", decode: duration(&p.MinInterval)},
		{key: "max_interval", decode: duration(&p.MaxInterval)},
	})
	if p.MinInterval > p.MaxInterval {
		n := present["min_interval"]
		if n == nil {
			n = present["max_interval"]
		}
		d.errorf(n.Line, join(path, "min_interval"), "must not be longer than max_interval (%v > %v)", p.MinInterval, p.MaxInterval)
	}
}
