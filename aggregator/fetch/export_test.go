package fetch

import "net"

// SetResolver makes c resolve host names with r. Tests call it before the
// first fetch so that no DNS query leaves the machine.
func (c *Client) SetResolver(r *net.Resolver) { c.dialer.Resolver = r }

// ParseRetryAfter exposes parseRetryAfter to the tests.
var ParseRetryAfter = parseRetryAfter
