package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestQueueOrder(t *testing.T) {
	var q Queue[string]
	q.Set("c", now.Add(3*time.Minute))
	q.Set("a", now.Add(time.Minute))
	q.Set("tie1", now.Add(2*time.Minute))
	q.Set("tie2", now.Add(2*time.Minute))
	q.Set("b", now.Add(10*time.Minute))
	q.Set("b", now) // moved to the front
	q.Set("gone", now)
	if !q.Remove("gone") || q.Remove("gone") {
		t.Error("Remove: want true once, then false")
	}
	if at, ok := q.At("c"); !ok || !at.Equal(now.Add(3*time.Minute)) {
		t.Errorf("At(c) = %s %v", at, ok)
	}
	if k, _, _ := q.Peek(); k != "b" || q.Len() != 5 {
		t.Errorf("Peek = %s, Len = %d", k, q.Len())
	}
	var got []string
	for {
		k, _, ok := q.Pop()
		if !ok {
			break
		}
		got = append(got, k)
	}
	if want := []string{"b", "a", "tie1", "tie2", "c"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if _, ok := q.At("a"); ok {
		t.Error("popped key still queued")
	}
}

func TestQueueRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q Queue[int]
	want := map[int]time.Time{}
	for range 5000 {
		k := rng.IntN(300)
		switch rng.IntN(3) {
		case 0:
			q.Remove(k)
			delete(want, k)
		default:
			at := now.Add(time.Duration(rng.IntN(1000)) * time.Second)
			q.Set(k, at)
			want[k] = at
		}
	}
	if q.Len() != len(want) {
		t.Fatalf("Len %d, want %d", q.Len(), len(want))
	}
	var last time.Time
	for q.Len() > 0 {
		k, at, _ := q.Pop()
		if at.Before(last) || !at.Equal(want[k]) {
			t.Fatalf("popped %d at %s after %s (set at %s)", k, at, last, want[k])
		}
		last = at
	}
}
