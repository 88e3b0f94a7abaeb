package feedloom

import (
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Set with the linker by packagers who build outside a VCS checkout (from
// a release tarball, say), where the go command records no revision:
//
//	go build -ldflags "-X github.com/feedloom/feedloom.version=v1.4.0 -X github.com/feedloom/feedloom.revision=<commit>" ./cmd/feedloom
//
// A version set this way replaces the module version; a revision set this
// way is used only when the build recorded none.
var (
	version  string
	revision string
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string    // module version ("v1.4.0"), or "(devel)" for a build from a checkout
	Revision  string    // VCS revision (the full commit hash for git); "" when not recorded
	Time      time.Time // commit time of Revision, UTC; zero when not recorded
	Modified  bool      // the checkout had uncommitted changes
	GoVersion string    // the Go toolchain that built it ("go1.26.0")
	Platform  string    // GOOS/GOARCH
}

// Build returns what the go command recorded about this binary (see
// runtime/debug.ReadBuildInfo), with the linker overrides applied.
func Build() BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return buildInfo(bi, version, revision)
}

// buildInfo reads bi (nil when the binary has no build information) and
// applies the overrides ver and rev where they are set.
func buildInfo(bi *debug.BuildInfo, ver, rev string) BuildInfo {
	b := BuildInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			b.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					b.Time = t.UTC()
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if ver != "" {
		b.Version = ver
	}
	if b.Revision == "" {
		b.Revision = rev
	}
	return b
}

// Version is the module version of the running binary, followed by the
// first 12 characters of the VCS revision when one is known and the
// version does not already hold it, and "-dirty" when the checkout had
// uncommitted changes and the version does not say so: "v1.4.0
// 1a5f511abcde", "v1.4.0+dirty 1a5f511abcde", "(devel) 1a5f511abcde-dirty",
// "v0.0.0-20260102030405-1a5f511abcde+dirty".
func Version() string {
	return Build().String()
}

// String is the one-line form Version returns.
func (b BuildInfo) String() string {
	v := b.Version
	rev := b.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	// The go command's version may already name the revision
	// ("v0.0.0-20260102030405-0123456789ab") or the changes ("v1.4.0+dirty").
	if rev != "" && !strings.Contains(v, rev) {
		v += " " + rev
		if b.Modified && !strings.HasSuffix(b.Version, "+dirty") {
			v += "-dirty"
		}
	}
	return v
}
