package fetch

import (
	"crypto/x509"
	"net"
)

// SetResolver makes c resolve host names with r. Tests call it before the
// first fetch so that no DNS query leaves the machine.
func (c *Client) SetResolver(r *net.Resolver) { c.dialer.Resolver = r }

// ParseRetryAfter exposes parseRetryAfter to the tests.
var ParseRetryAfter = parseRetryAfter

// TrustTLS makes c trust the certificates of the test TLS server s.
func (c *Client) TrustTLS(pool *x509.CertPool) { c.transport.TLSClientConfig.RootCAs = pool }
