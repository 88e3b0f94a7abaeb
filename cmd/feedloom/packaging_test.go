package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/config"
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
	cfg, err := config.Parse("feedloom.yaml", []byte("sources: [{url: 'https://example.org/feed'}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if shutdown := cfg.Server.ShutdownTimeout; d < shutdown+5*time.Second {
		t.Errorf("%s: TimeoutStopSec=%v leaves serve's default %v shutdown (server.shutdown_timeout) no margin to close the store", unitFile, d, shutdown)
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

const dockerfile = "../../Dockerfile"

// A dockerInstruction is one instruction of a Dockerfile, its
// continuation lines joined.
type dockerInstruction struct {
	line int    // where it starts
	cmd  string // upper case: FROM, RUN, COPY, …
	args string
}

// A dockerStage is one FROM and the instructions after it.
type dockerStage struct {
	from, name string
	ins        []dockerInstruction
}

// dockerStages parses the Dockerfile into its stages.
func dockerStages(t *testing.T) []dockerStage {
	t.Helper()
	data, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	var stages []dockerStage
	var cur *dockerInstruction
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if cur == nil {
			cmd, args, _ := strings.Cut(line, " ")
			cur = &dockerInstruction{line: n, cmd: strings.ToUpper(cmd)}
			line = args
		}
		more := strings.HasSuffix(line, `\`)
		cur.args = strings.TrimSpace(cur.args + " " + strings.TrimSuffix(line, `\`))
		if more {
			continue
		}
		in := *cur
		cur = nil
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := dockerStage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("%s:%d: %s before the first FROM", dockerfile, in.line, in.cmd)
			}
			continue
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if cur != nil {
		t.Fatalf("%s:%d: the file ends inside a continued instruction", dockerfile, cur.line)
	}
	return stages
}

// all returns the arguments of every instruction cmd of the stage.
func (s dockerStage) all(cmd string) []string {
	var out []string
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// TestDockerfileEssentials checks what the image promises: a Go build
// stage making a static, trimmed binary, and a final stage on an empty
// base with CA certificates, a non-root user, the config and the store
// on volumes, the HTTP port, and serve as the default command.
func TestDockerfileEssentials(t *testing.T) {
	stages := dockerStages(t)
	if len(stages) < 2 {
		t.Fatalf("%s: %d stages, want a build stage and a final one", dockerfile, len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "golang:") || build.name != "build" {
		t.Errorf("%s: first stage is FROM %s AS %q, want golang:… AS build", dockerfile, build.from, build.name)
	}
	runs := strings.Join(build.all("RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0 go build", "-trimpath", "./cmd/feedloom"} {
		if !strings.Contains(runs, want) {
			t.Errorf("%s: the build stage does not run %q", dockerfile, want)
		}
	}
	if final.from != "scratch" && !strings.Contains(final.from, "distroless/static") {
		t.Errorf("%s: final stage FROM %s, want scratch or distroless/static", dockerfile, final.from)
	}
	copies := strings.Join(final.all("COPY"), "\n")
	if !strings.Contains(copies, "/etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("%s: the final stage has no CA certificates at /etc/ssl/certs/ca-certificates.crt", dockerfile)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Errorf("%s: the final stage sets no USER: it would run as root", dockerfile)
	}
	for _, u := range users {
		if name, _, _ := strings.Cut(u, ":"); name == "" || name == "0" || name == "root" {
			t.Errorf("%s: USER %q is root", dockerfile, u)
		}
	}
	volumes := strings.Join(final.all("VOLUME"), " ")
	for _, v := range []string{`"/etc/feedloom"`, `"/var/lib/feedloom"`} {
		if !strings.Contains(volumes, v) {
			t.Errorf("%s: no VOLUME %s (VOLUME %s)", dockerfile, v, volumes)
		}
	}
	if e := final.all("EXPOSE"); !slices.Contains(e, "8080") {
		t.Errorf("%s: EXPOSE %q, want 8080", dockerfile, e)
	}
	entry, cmd := final.all("ENTRYPOINT"), final.all("CMD")
	if len(entry) != 1 || len(cmd) != 1 {
		t.Fatalf("%s: ENTRYPOINT %q, CMD %q: want one of each", dockerfile, entry, cmd)
	}
	if got := entry[0] + " " + cmd[0]; got != `["/usr/local/bin/feedloom"] ["serve", "-config", "/etc/feedloom/feedloom.yaml"]` {
		t.Errorf("%s: the container runs %s, want feedloom serve -config /etc/feedloom/feedloom.yaml (exec form)", dockerfile, got)
	}
	for _, s := range stages {
		for _, a := range s.all("ADD") {
			if strings.Contains(a, "://") {
				t.Errorf("%s: ADD %s fetches a URL at build time", dockerfile, a)
			}
		}
	}
}

// TestDockerfileLint runs dockerfile-utils (an npm package .ci/run
// installs), the linter of the Dockerfile language server, on the
// Dockerfile: it must report nothing.
func TestDockerfileLint(t *testing.T) {
	readertest.Require(t, "dockerfile-utils")
	out, err := exec.Command("dockerfile-utils", "lint", dockerfile).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("dockerfile-utils lint %s: %v\n%s", dockerfile, err, out)
	}
}

// dockerIgnored reads .dockerignore and reports whether the build context
// leaves out the slash-separated path rel (a pattern matches the path
// itself; "**/" matches any number of leading directories).
func dockerIgnored(t *testing.T) func(rel string) bool {
	t.Helper()
	data, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '!' {
			t.Fatalf(".dockerignore: exceptions (%q) are not handled by this test; teach dockerIgnored them", line)
		}
		patterns = append(patterns, line)
	}
	return func(rel string) bool {
		for _, p := range patterns {
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				segs := strings.Split(rel, "/")
				for i := range segs {
					if m, _ := filepath.Match(rest, strings.Join(segs[i:], "/")); m {
						return true
					}
				}
			} else if m, _ := filepath.Match(p, rel); m {
				return true
			}
		}
		return false
	}
}

// TestDockerBuildStage does what docker build would do in the build stage,
// on this machine (no container engine runs here): it makes the build
// context .dockerignore leaves, checks the stage's COPY sources are in
// it, runs the stage's RUN commands there with /out moved to a temporary
// directory and VERSION and REVISION given, then checks that every file
// the final stage copies from the build stage exists, and that the binary
// is static and carries the version.
func TestDockerBuildStage(t *testing.T) {
	t.Parallel() // mostly waiting on the go command
	stages := dockerStages(t)
	if len(stages) < 2 || stages[0].name != "build" {
		t.Fatalf("%s: no build stage", dockerfile)
	}
	ignored := dockerIgnored(t)
	if !ignored(".git") || !ignored("config/config_test.go") || ignored("cmd/feedloom/main.go") {
		t.Fatalf(".dockerignore: want .git and tests left out, sources kept")
	}
	ctx := copyTree(t, func(rel string, _ fs.DirEntry) bool { return ignored(rel) })
	out := t.TempDir()
	env := append(os.Environ(), "GOWORK=off", "VERSION=v9.9.9-docker", "REVISION=0123456789abcdef")
	for _, in := range stages[0].ins {
		switch in.cmd {
		case "COPY":
			f := strings.Fields(in.args)
			for _, src := range f[:len(f)-1] {
				if !fileExists(filepath.Join(ctx, src)) {
					t.Errorf("%s:%d: COPY %s: not in the build context", dockerfile, in.line, src)
				}
			}
		case "RUN":
			cmd := exec.Command("sh", "-ec", strings.ReplaceAll(in.args, "/out/", out+"/"))
			cmd.Dir, cmd.Env = ctx, env
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s:%d: RUN %s: %v\n%s", dockerfile, in.line, in.args, err, b)
			}
		}
	}
	final := stages[len(stages)-1]
	for _, in := range final.ins {
		if in.cmd != "COPY" || !strings.Contains(in.args, "--from=build") {
			continue
		}
		f := strings.Fields(in.args)
		for _, src := range f[:len(f)-1] {
			if strings.HasPrefix(src, "--") {
				continue
			}
			if !fileExists(filepath.Join(out, strings.TrimPrefix(src, "/out/"))) {
				t.Errorf("%s:%d: COPY --from=build %s: the build stage made no such file", dockerfile, in.line, src)
			}
		}
	}
	bin := filepath.Join(out, "usr/local/bin/feedloom")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked: scratch has no loader", bin)
		}
	}
	v, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(v), "feedloom v9.9.9-docker 0123456789ab\n") {
		t.Errorf("the image's feedloom version: %v\n%s", err, v)
	}
}
