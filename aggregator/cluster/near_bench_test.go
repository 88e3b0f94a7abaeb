package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/cluster"
	"github.com/feedloom/feedloom/store"
)

// The 1M-item benchmarks share one store file in os.TempDir(), built on
// first use and kept between runs. Change benchVersion when the items, the
// signature or the index layout change, so that a stale file is not used.
const (
	benchVersion = "v1"
	benchItems   = 1_000_000
	benchBatch   = 10_000
	benchWindow  = 72 * time.Hour
	benchLimit   = 64
)

var (
	benchStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// benchStep spreads the items over a year: a 72-hour window holds
	// about 8,200 of them.
	benchStep = 365 * 24 * time.Hour / benchItems
)

var benchStore = struct {
	once  sync.Once
	path  string
	built time.Duration
	err   error
}{}

// openBenchStore opens the 1M-item store, building it if no complete
// file of this version is there.
func openBenchStore(b *testing.B) *store.Store {
	b.Helper()
	benchStore.once.Do(func() {
		benchStore.path = filepath.Join(os.TempDir(), "feedloom-near-1m-"+benchVersion+".db")
		if _, err := os.Stat(benchStore.path); err == nil {
			return
		}
		start := time.Now()
		benchStore.err = buildBenchStore(benchStore.path)
		benchStore.built = time.Since(start)
	})
	if benchStore.err != nil {
		b.Fatal(benchStore.err)
	}
	if benchStore.built > 0 {
		fi, _ := os.Stat(benchStore.path)
		b.Logf("built %s: %d items in %s, %d MB", benchStore.path, benchItems, benchStore.built.Round(time.Second), fi.Size()>>20)
	}
	s, err := store.Open(benchStore.path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

type benchEntry struct {
	id, story string
	published time.Time
	sig       []byte
	bands     [][]byte
}

// buildBenchStore writes the items into a new file, 10,000 per
// transaction, and renames it into place when complete.
func buildBenchStore(path string) error {
	tmp := path + ".tmp"
	os.Remove(tmp)
	s, err := store.Open(tmp, store.Options{})
	if err != nil {
		return err
	}
	batches := make(chan []benchEntry, 2)
	go func() {
		defer close(batches)
		for first := 0; first < benchItems; first += benchBatch {
			batch := make([]benchEntry, benchBatch)
			var wg sync.WaitGroup
			workers := runtime.GOMAXPROCS(0)
			for w := range workers {
				wg.Go(func() {
					for i := w; i < benchBatch; i += workers {
						batch[i] = benchEntryOf(first + i)
					}
				})
			}
			wg.Wait()
			batches <- batch
		}
	}()
	for batch := range batches {
		err = s.Update(context.Background(), func(w *store.Writer) error {
			for _, e := range batch {
				if err := w.PutNear(e.id, e.story, e.published, e.sig, e.bands); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			break
		}
	}
	for range batches {
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

func benchID(i int) string { return feedloom.ItemID("https://bench.example/feed", fmt.Sprint(i)) }

func benchPublished(i int) time.Time { return benchStart.Add(time.Duration(i) * benchStep) }

// benchEntryOf is item i. One item in twenty is a copy of an item of the
// last few hours (its first sentences, or its text behind a dateline),
// and one in ten is written from one of 200 templates with its own names
// and numbers (results, earnings, weather), so that lookups meet real
// copies and near misses as well as chance candidates.
func benchEntryOf(i int) benchEntry {
	story, text := benchID(i), benchText(i)
	r := rand.New(rand.NewPCG(uint64(i), 0xc0b1))
	if i > 2000 && r.IntN(20) == 0 {
		j := i - 1 - r.IntN(2000)
		story, text = benchID(j), copyText(r, benchText(j))
	}
	sig := cluster.Fingerprint("", text)
	data, err := sig.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return benchEntry{id: benchID(i), story: story, published: benchPublished(i), sig: data, bands: sig.Bands()}
}

// copyText is another outlet's copy of text: its first one to three
// paragraphs, or all of it behind a dateline.
func copyText(r *rand.Rand, text string) string {
	paras := strings.Split(text, "\n")
	if r.IntN(2) == 0 {
		return "LONDON (Wire) - " + text
	}
	return strings.Join(paras[:min(len(paras), 1+r.IntN(3))], "\n")
}

// The vocabulary of the synthetic news: a Zipf-distributed set of words,
// names and function words, as in English news text.
var (
	benchWords = syllableWords(rand.New(rand.NewPCG(1, 1)), 20000, false)
	benchNames = syllableWords(rand.New(rand.NewPCG(2, 2)), 5000, true)
	benchStop  = strings.Fields("the of to in and a on for that with said is was at by from as it has he his will have be are")
)

func syllableWords(r *rand.Rand, n int, capital bool) []string {
	syl := strings.Fields("ka to ri an mo el sa ve lu din por tre mi na gor bel sun ha qui ra fen ost")
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		w := b.String()
		if capital {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// benchText is the text item i was written with.
func benchText(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 0xfeed))
	if r.IntN(10) == 0 {
		return newsText(rand.New(rand.NewPCG(uint64(r.IntN(200)), 0x7e47)), r)
	}
	return newsText(r, r)
}

// newsText is three to eight paragraphs of two to four sentences, its
// words drawn from r, its names and numbers from fill.
func newsText(r, fill *rand.Rand) string {
	words := rand.NewZipf(r, 1.1, 2, uint64(len(benchWords)-1))
	names := rand.NewZipf(fill, 1.2, 2, uint64(len(benchNames)-1))
	var b strings.Builder
	for p := range 3 + r.IntN(6) {
		if p > 0 {
			b.WriteByte('\n')
		}
		for s := range 2 + r.IntN(3) {
			if s > 0 {
				b.WriteByte(' ')
			}
			n := 12 + r.IntN(18)
			for k := range n {
				var w string
				switch x := r.IntN(100); {
				case x < 40:
					w = benchStop[r.IntN(len(benchStop))]
				case x < 48:
					w = benchNames[names.Uint64()]
				case x < 51:
					w = fmt.Sprint(fill.IntN(1000))
				default:
					w = benchWords[words.Uint64()]
				}
				if k == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				b.WriteString(w)
				if k < n-1 {
					b.WriteByte(' ')
				}
			}
			b.WriteByte('.')
		}
	}
	return b.String()
}

type benchQuery struct {
	sig       cluster.Signature
	bands     [][]byte
	published time.Time
}

// benchQueries are new items to look up: half copies of a stored item
// published an hour later, half new stories at random times (one in ten
// of them from a template).
func benchQueries(n int) []benchQuery {
	r := rand.New(rand.NewPCG(42, 42))
	qs := make([]benchQuery, n)
	for i := range qs {
		var text string
		var published time.Time
		if i%2 == 0 {
			j := 2000 + r.IntN(benchItems-2000)
			text = copyText(r, benchText(j))
			published = benchPublished(j).Add(time.Hour)
		} else {
			text = benchText(benchItems + i)
			published = benchPublished(r.IntN(benchItems))
		}
		sig := cluster.Fingerprint("", text)
		qs[i] = benchQuery{sig: sig, bands: sig.Bands(), published: published}
	}
	return qs
}

// reportLatency reports the median and the 99th percentile of ds.
func reportLatency(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(ds[len(ds)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkNearLookup1M is one near-duplicate lookup in a store of a
// million items: the candidates sharing a band in a 72-hour window, each
// decoded and judged by Same.
func BenchmarkNearLookup1M(b *testing.B) {
	s := openBenchStore(b)
	qs := benchQueries(4096)
	var ds []time.Duration
	var candidates, same int
	err := s.Update(context.Background(), func(w *store.Writer) error {
		i := 0
		for b.Loop() {
			q := qs[i%len(qs)]
			i++
			start := time.Now()
			cs, err := w.NearCandidates(q.bands, q.published.Add(-benchWindow), q.published, benchLimit)
			if err != nil {
				return err
			}
			var sig cluster.Signature
			for _, c := range cs {
				if err := sig.UnmarshalBinary(c.Sig); err != nil {
					return err
				}
				if ok, _ := cluster.Same(q.sig, sig); ok {
					same++
				}
			}
			ds = append(ds, time.Since(start))
			candidates += len(cs)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	reportLatency(b, ds)
	b.ReportMetric(float64(candidates)/float64(len(ds)), "candidates/op")
	b.ReportMetric(float64(same)/float64(len(ds)), "same/op")
}

// BenchmarkExactLookup1M is one exact-key lookup (Writer.Near: a bbolt
// Get of an item ID and a copy of its value) in the same store, for
// comparison.
func BenchmarkExactLookup1M(b *testing.B) {
	s := openBenchStore(b)
	r := rand.New(rand.NewPCG(7, 7))
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = benchID(r.IntN(benchItems))
	}
	var ds []time.Duration
	err := s.Update(context.Background(), func(w *store.Writer) error {
		i := 0
		for b.Loop() {
			start := time.Now()
			nc, err := w.Near(ids[i%len(ids)])
			if err != nil || nc == nil {
				return fmt.Errorf("item %s: %v, %v", ids[i%len(ids)], nc, err)
			}
			ds = append(ds, time.Since(start))
			i++
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	reportLatency(b, ds)
}
