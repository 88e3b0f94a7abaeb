package netguard_test

import (
	"net/netip"
	"testing"

	"github.com/feedloom/feedloom/internal/netguard"
)

func TestBlocked(t *testing.T) {
	tests := map[string]struct {
		addr string
		want bool
	}{
		"ipv4 loopback":                {"127.0.0.1", true},
		"ipv4 loopback top of range":   {"127.255.255.254", true},
		"ipv6 loopback":                {"::1", true},
		"ipv4-mapped loopback":         {"::ffff:127.0.0.1", true},
		"ipv4-mapped public":           {"::ffff:1.1.1.1", true},
		"unspecified v4":               {"0.0.0.0", true},
		"this network":                 {"0.1.2.3", true},
		"unspecified v6":               {"::", true},
		"private 10/8":                 {"10.0.0.1", true},
		"private 172.16/12":            {"172.16.0.1", true},
		"private 172.31 edge":          {"172.31.255.255", true},
		"public 172.32":                {"172.32.0.1", false},
		"private 192.168/16":           {"192.168.1.1", true},
		"cgnat":                        {"100.64.0.1", true},
		"cgnat top":                    {"100.127.255.255", true},
		"public after cgnat":           {"100.128.0.1", false},
		"cloud metadata":               {"169.254.169.254", true},
		"unique local metadata":        {"fd00:ec2::254", true},
		"ipv6 link-local":              {"fe80::1", true},
		"ipv6 link-local with zone":    {"fe80::1%eth0", true},
		"nat64 to metadata":            {"64:ff9b::a9fe:a9fe", true},
		"nat64 local use":              {"64:ff9b:1::1", true},
		"benchmarking":                 {"198.18.0.1", true},
		"benchmarking second /16":      {"198.19.255.1", true},
		"ietf protocol assignments":    {"192.0.0.170", true},
		"documentation v4":             {"192.0.2.1", true},
		"documentation v4 net 2":       {"198.51.100.7", true},
		"documentation v4 net 3":       {"203.0.113.9", true},
		"reserved 240/4":               {"240.0.0.1", true},
		"broadcast":                    {"255.255.255.255", true},
		"multicast v4":                 {"224.0.0.1", true},
		"multicast v6":                 {"ff02::1", true},
		"discard-only":                 {"100::1", true},
		"teredo":                       {"2001::1", true},
		"documentation v6":             {"2001:db8::1", true},
		"6to4":                         {"2002:7f00:1::1", true},
		"site-local":                   {"fec0::1", true},
		"public v4":                    {"1.1.1.1", false},
		"public v4 other":              {"8.8.8.8", false},
		"public v6":                    {"2606:4700:4700::1111", false},
		"public v6 in 2001 after /23":  {"2001:4860:4860::8888", false},
		"public v6 with zone is still": {"2606:4700:4700::1111%eth0", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			if got := netguard.Blocked(ip); got != tt.want {
				t.Errorf("Blocked(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestBlockedZeroAddr(t *testing.T) {
	if !netguard.Blocked(netip.Addr{}) {
		t.Error("Blocked(netip.Addr{}) = false, want true: an unknown address must not be dialed")
	}
}
