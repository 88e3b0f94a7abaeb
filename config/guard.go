package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Server holds the limits of the HTTP server: how long a client may take
// to send its request and to read the answer, and how long serve waits for
// requests in flight when it stops.
type Server struct {
	ReadHeaderTimeout time.Duration // the request line and headers; default 5s (what stops slowloris)
	ReadTimeout       time.Duration // the whole request, body included; default 15s
	WriteTimeout      time.Duration // from the end of the headers to the end of the answer; default 30s
	IdleTimeout       time.Duration // a kept-alive connection waiting for its next request; default 2m
	ShutdownTimeout   time.Duration // on SIGINT/SIGTERM, how long requests and polls in flight get; default 10s
	// Engine is the HTTP server serve runs: EngineNetHTTP (the default) or
	// EngineFastHTTP, which answers feed polls from the cache itself and
	// hands every other request to the same net/http handler.
	Engine string
}

// The values of server.engine.
const (
	EngineNetHTTP  = "net/http"
	EngineFastHTTP = "fasthttp"
)

// Admin holds the settings of the endpoints that change state
// (POST /admin/poll, POST /admin/reload).
type Admin struct {
	// Token is the bearer token the admin endpoints require. Empty, the
	// default, turns them off; the environment variable
	// FEEDLOOM_ADMIN_TOKEN, read by the command, takes its place.
	Token string
}

const (
	defaultReadHeaderTimeout = 5 * time.Second
	defaultReadTimeout       = 15 * time.Second
	defaultWriteTimeout      = 30 * time.Second
	defaultIdleTimeout       = 2 * time.Minute
	defaultShutdownTimeout   = 10 * time.Second

	// MinAdminToken is the shortest admin token accepted: a token short
	// enough to guess is no lock.
	MinAdminToken = 16
)

// serverFields is the schema of the server mapping.
func serverFields(s *Server) decodeFunc {
	return section(
		field{key: "read_header_timeout", decode: duration(&s.ReadHeaderTimeout)},
		field{key: "read_timeout", decode: duration(&s.ReadTimeout)},
		field{key: "write_timeout", decode: duration(&s.WriteTimeout)},
		field{key: "idle_timeout", decode: duration(&s.IdleTimeout)},
		field{key: "shutdown_timeout", decode: duration(&s.ShutdownTimeout)},
		field{key: "engine", decode: text(&s.Engine, oneOf(EngineNetHTTP, EngineFastHTTP))},
	)
}

// CheckAdminToken is the rule an admin token must meet, from the config
// or the environment.
func CheckAdminToken(s string) error {
	if len(s) < MinAdminToken {
		return fmt.Errorf("must be at least %d characters (a long random string, such as the output of `openssl rand -hex 24`)", MinAdminToken)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("must not contain spaces or control characters")
		}
	}
	return nil
}

// prefixes decodes fetch.allow: a list of CIDR ranges ("10.1.0.0/16",
// "fd00::/8") or single addresses ("10.1.2.3", a /32 or /128).
func prefixes(p *[]netip.Prefix) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		var out []netip.Prefix
		d.sequence(n, path, func(_ int, e *yaml.Node, path string) {
			s, ok := d.scalar(e, path, "a CIDR range", "!!str")
			if !ok {
				return
			}
			pfx, err := parsePrefix(s)
			if err != nil {
				d.errorf(e.Line, path, "%v", err)
				return
			}
			out = append(out, pfx)
		})
		*p = out
	}
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("invalid address or CIDR range %q (use 10.1.0.0/16, fd00::/8 or one address)", s)
		}
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR range %q (use 10.1.0.0/16, fd00::/8 or one address)", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("CIDR range %q has bits set past its length; did you mean %s?", s, m)
	}
	return p, nil
}

// checkProxy accepts fetch.proxy: an http, https or socks5 URL with a
// host, and nothing after it.
func checkProxy(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid proxy URL %q", s)
	}
	switch u.Scheme {
	case "http", "https", "socks5":
	default:
		return fmt.Errorf("proxy URL %s must be http://, https:// or socks5://HOST:PORT", u.Redacted())
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("proxy URL %s must be only a scheme, an optional user and a host:port", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return fmt.Errorf("proxy URL %s has an invalid port", u.Redacted())
		}
	}
	return nil
}
