package feedloom

import (
	"runtime/debug"
	"testing"
	"time"
)

func TestBuildInfo(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.1",
		Main:      debug.Module{Path: "github.com/feedloom/feedloom", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	devel := &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "github.com/feedloom/feedloom", Version: "(devel)"}}
	for name, tc := range map[string]struct {
		bi        *debug.BuildInfo
		ver, rev  string
		want      BuildInfo
		wantShort string
	}{
		"vcs": {bi: vcs, want: BuildInfo{Version: "v1.4.0", Revision: "0123456789abcdef0123456789abcdef01234567",
			Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Modified: true, GoVersion: "go1.26.1"},
			wantShort: "v1.4.0 0123456789ab-dirty"},
		"no vcs": {bi: devel, want: BuildInfo{Version: "(devel)", GoVersion: "go1.26.1"}, wantShort: "(devel)"},
		"linker overrides": {bi: devel, ver: "v2.0.0", rev: "abc123",
			want: BuildInfo{Version: "v2.0.0", Revision: "abc123", GoVersion: "go1.26.1"}, wantShort: "v2.0.0 abc123"},
		"recorded revision wins": {bi: vcs, rev: "abc123", want: BuildInfo{Version: "v1.4.0", Revision: "0123456789abcdef0123456789abcdef01234567",
			Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Modified: true, GoVersion: "go1.26.1"},
			wantShort: "v1.4.0 0123456789ab-dirty"},
		"pseudo-version": {bi: &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20260102030405-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}},
			want:      BuildInfo{Version: "v0.0.0-20260102030405-0123456789ab+dirty", Revision: "0123456789abcdef0123456789abcdef01234567", Modified: true, GoVersion: "go1.26.1"},
			wantShort: "v0.0.0-20260102030405-0123456789ab+dirty"},
		"tagged and modified": {bi: &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.4.0+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}},
			want:      BuildInfo{Version: "v1.4.0+dirty", Revision: "0123456789abcdef0123456789abcdef01234567", Modified: true, GoVersion: "go1.26.1"},
			wantShort: "v1.4.0+dirty 0123456789ab"},
	} {
		t.Run(name, func(t *testing.T) {
			got := buildInfo(tc.bi, tc.ver, tc.rev)
			if got.Platform == "" {
				t.Error("no platform")
			}
			got.Platform = ""
			if got != tc.want {
				t.Errorf("buildInfo = %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != tc.wantShort {
				t.Errorf("String() = %q, want %q", s, tc.wantShort)
			}
		})
	}
	if b := buildInfo(nil, "", ""); b.Version != "(devel)" || b.GoVersion == "" {
		t.Errorf("without build info: %+v", b)
	}
}
