package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/internal/readertest"
)

const unitFile = "../../contrib/systemd/feedloom.service"

// unitDirectives reads a systemd unit into "Section.Key" → values, in
// file order.
func unitDirectives(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	out := make(map[string][]string)
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: not a directive: %q", unitFile, line)
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

// TestSystemdUnitHardening checks that the unit keeps what the packaging
// promises: its own user, writes confined to /var/lib/feedloom, no
// privileges, reload by SIGHUP, and a stop timeout longer than serve's
// shutdown.
func TestSystemdUnitHardening(t *testing.T) {
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	u := unitDirectives(t, data)
	for key, want := range map[string]string{
		"Service.ExecStart":               "/usr/local/bin/feedloom serve -config /etc/feedloom/feedloom.yaml",
		"Service.ExecReload":              "/bin/kill -HUP $MAINPID",
		"Service.User":                    "feedloom",
		"Service.DynamicUser":             "yes",
		"Service.StateDirectory":          "feedloom",
		"Service.ConfigurationDirectory":  "feedloom",
		"Service.WorkingDirectory":        "/var/lib/feedloom",
		"Service.ProtectSystem":           "strict",
		"Service.ProtectHome":             "yes",
		"Service.PrivateTmp":              "yes",
		"Service.PrivateDevices":          "yes",
		"Service.NoNewPrivileges":         "yes",
		"Service.RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"Service.CapabilityBoundingSet":   "",
		"Service.MemoryDenyWriteExecute":  "yes",
		"Service.LockPersonality":         "yes",
		"Service.RestrictNamespaces":      "yes",
	} {
		if got := u[key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s = %q, want exactly %q", unitFile, key, got, want)
		}
	}
	if f := u["Service.SystemCallFilter"]; !slices.Contains(f, "@system-service") {
		t.Errorf("%s: SystemCallFilter = %q, want @system-service among them", unitFile, f)
	}
	stop := u["Service.TimeoutStopSec"]
	if len(stop) != 1 {
		t.Fatalf("%s: TimeoutStopSec = %q, want one", unitFile, stop)
	}
	d, err := time.ParseDuration(stop[0])
	if err != nil {
		t.Fatalf("%s: TimeoutStopSec %q: %v", unitFile, stop[0], err)
	}
	if d < shutdownTimeout+5*time.Second {
		t.Errorf("%s: TimeoutStopSec=%v leaves serve's %v shutdown no margin to close the store", unitFile, d, shutdownTimeout)
	}
}

// TestSystemdUnitVerifies runs systemd's own checks on the unit:
// systemd-analyze verify (it must print nothing: unknown keys and bad
// values are only warnings to it), and the offline security review, whose
// exposure level must stay at 1.4 or below (of 10). verify requires
// ExecStart's program to exist, so the copy it checks runs this test's
// binary instead of /usr/local/bin/feedloom; nothing else changes.
func TestSystemdUnitVerifies(t *testing.T) {
	readertest.Require(t, "systemd-analyze")
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const installed = "ExecStart=/usr/local/bin/feedloom "
	if !bytes.Contains(data, []byte(installed)) {
		t.Fatalf("%s has no %q", unitFile, installed)
	}
	unit := filepath.Join(t.TempDir(), "feedloom.service")
	data = bytes.Replace(data, []byte(installed), []byte("ExecStart="+self+" "), 1)
	if err := os.WriteFile(unit, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=14", "--no-pager", unit).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 1.4 (%v):\n%s", err, out)
	}
}
