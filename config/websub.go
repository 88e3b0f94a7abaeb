package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// WebSub holds the settings of the WebSub subscriber: sources whose feed
// advertises a hub get a subscription, with callbacks under base_url, and
// are then polled only as a safety net.
type WebSub struct {
	Subscribe bool          // subscribe to the hubs feeds advertise; default false (it needs a public base_url)
	Lease     time.Duration // the lease asked of hubs (they decide); default 10d, at least 1m
	Hub       string        // the hub the published feeds advertise: "builtin" (served at base_url + "websub"), an external hub's URL, or "" for none
}

const (
	defaultLease = 10 * 24 * time.Hour
	minLease     = time.Minute
)

// websub decodes the websub mapping.
func (b *builder) websub(d *decoder, n *yaml.Node, path string) {
	w := &b.c.WebSub
	present := d.mapping(n, path, []field{
		{key: "subscribe", decode: boolean(&w.Subscribe)},
		{key: "lease", decode: duration(&w.Lease)},
		{key: "hub", decode: text(&w.Hub, checkHub)},
	})
	if l := present["lease"]; l != nil && w.Lease < minLease {
		d.errorf(l.Line, join(path, "lease"), "must be at least %v, got %s", minLease, l.Value)
	}
	if s := present["subscribe"]; s != nil && w.Subscribe {
		b.webSubLine = s.Line
	}
}

// checkWebSub runs once every key is decoded: hubs must be able to reach
// the callbacks, so subscribing needs base_url set, not its default from
// listen.
func (b *builder) checkWebSub(d *decoder) {
	if w := b.c.WebSub; w.Subscribe && b.c.BaseURL == "" {
		d.errorf(b.webSubLine, "websub.subscribe", "needs base_url: the public URL hubs reach this server at (the callbacks are under it)")
	}
}

// checkHub accepts websub.hub: "builtin" or an absolute http(s) URL.
func checkHub(s string) error {
	if s == "builtin" || checkBaseURL(s) == nil {
		return nil
	}
	return fmt.Errorf("must be builtin or an absolute http or https URL, got %q", s)
}
