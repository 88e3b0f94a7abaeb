package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeMetricsAndSources runs serve against a loopback origin and
// reads /metrics, /sources and /sources.json back: the poll serve makes at
// start is counted, sources are counted by state, and requests by route.
func TestServeMetricsAndSources(t *testing.T) {
	feed := newOrigin(t, rss("Origin", rssItem("o-1", "One", "https://example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "<p>one</p>")))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`
listen: %s
fetch:
  allow_private_networks: true
sources:
  - url: %s
    name: The Origin
topics:
  - name: all
`, ln.Addr(), feed.srv.URL))
	startServe(t, cfg, ln, nil)

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}

	// serve polls the new source at once; wait for it to be recorded.
	type status struct{ Name, URL, State string }
	var sources struct{ Sources []status }
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, body := get("sources.json")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /sources.json: %d %s", resp.StatusCode, body)
		}
		if err := json.Unmarshal([]byte(body), &sources); err != nil {
			t.Fatal(err)
		}
		if len(sources.Sources) == 1 && sources.Sources[0].State != "new" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the source was not polled: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if want := (status{"The Origin", feed.srv.URL, "ok"}); sources.Sources[0] != want {
		t.Errorf("/sources.json = %+v, want %+v", sources.Sources[0], want)
	}
	resp, page := get("sources")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" || !strings.Contains(page, ">The Origin</a>") {
		t.Errorf("GET /sources: %d, CSP %q:\n%s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page)
	}
	resp, opml := get("sources.opml")
	if want := `xmlUrl="` + feed.srv.URL + `"`; resp.StatusCode != 200 || !strings.Contains(opml, want) {
		t.Errorf("GET /sources.opml: %d, want %s in\n%s", resp.StatusCode, want, opml)
	}
	get("topics/all.rss")
	get("no/such/page")

	// The poll's state is committed before the poll is counted: wait for
	// the count too.
	var resp2 *http.Response
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp2, text = get("metrics")
		if resp2.StatusCode != 200 {
			t.Fatalf("GET /metrics: %d %s", resp2.StatusCode, text)
		}
		if strings.Contains(text, `feedloom_fetches_total{code="200",outcome="ok"} 1`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{
		`feedloom_fetches_total{code="200",outcome="ok"} 1`,
		`feedloom_items_total{change="new"} 1`,
		`feedloom_sources{state="ok"} 1`,
		`feedloom_sources{state="failing"} 0`,
		`feedloom_websub_pushes_total{result="accepted"} 0`,
		`feedloom_http_requests_total{code="200",route="GET /sources.json"}`,
		`feedloom_http_requests_total{code="200",route="GET /sources"} 1`,
		`feedloom_http_requests_total{code="200",route="GET /topics/{file}"} 1`,
		`feedloom_http_requests_total{code="404",route="unmatched"} 1`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
