package netguard

import "net/netip"

// blockedPrefixes are the destinations a feed fetch may not connect to
// unless Options.AllowPrivate or Options.Allow permits them: every range of
// the IANA IPv4 and IPv6 special-purpose address registries that is not
// globally reachable, plus multicast and the deprecated ranges that still
// route somewhere local. The standard library's IsPrivate/IsLoopback/...
// predicates miss several of them (CGNAT, NAT64, 0.0.0.0/8, 198.18/15,
// 192.0.0/24, 240/4), and those gaps have been used against other feed
// readers to reach cloud metadata services.
var blockedPrefixes = mustPrefixes(
	// IPv4
	"0.0.0.0/8",       // "this network"; 0.0.0.0 reaches the local host
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // shared address space (CGNAT)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata (169.254.169.254)
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments (192.0.0.170 NAT64 discovery)
	"192.0.2.0/24",    // documentation TEST-NET-1
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation TEST-NET-2
	"203.0.113.0/24",  // documentation TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, including broadcast 255.255.255.255

	// IPv6
	"::/128",         // unspecified
	"::1/128",        // loopback
	"::ffff:0:0/96",  // IPv4-mapped; the IPv4 address is checked as well
	"64:ff9b::/96",   // NAT64 well-known prefix: [64:ff9b::a9fe:a9fe] is 169.254.169.254
	"64:ff9b:1::/48", // NAT64 local-use
	"100::/64",       // discard-only
	"2001::/23",      // IETF protocol assignments, including Teredo 2001::/32
	"2001:db8::/32",  // documentation
	"2002::/16",      // 6to4: embeds an arbitrary IPv4 address
	"3fff::/20",      // documentation (RFC 9637)
	"fc00::/7",       // unique local
	"fe80::/10",      // link-local
	"fec0::/10",      // deprecated site-local
	"ff00::/8",       // multicast
)

// Blocked reports whether ip is in one of the special-purpose ranges a fetch
// refuses by default: loopback, private, link-local, CGNAT, NAT64, 6to4,
// Teredo, documentation, benchmarking, multicast, reserved and the
// unspecified addresses. An IPv6 zone is ignored. An IPv4-mapped IPv6
// address is blocked, and its IPv4 form is judged too, so the answer stays
// right if the mapped range is ever dropped from the table. The zero Addr
// is blocked: an address that cannot be understood is not connected to.
func Blocked(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.WithZone("")
	if inPrefixes(blockedPrefixes, ip) {
		return true
	}
	return ip.Is4In6() && inPrefixes(blockedPrefixes, ip.Unmap())
}

// inPrefixes reports whether ip lies in one of prefixes. A prefix never
// contains an address with a zone, so callers strip it first.
func inPrefixes(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func mustPrefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}
