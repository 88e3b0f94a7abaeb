package schedule

import (
	"container/heap"
	"time"
)

// A Queue holds keys ordered by the time each is due, earliest first; keys
// due at the same time come out in the order they were set. Set, Remove
// and Pop take O(log n). The zero value is an empty queue. A Queue is not
// safe for concurrent use.
type Queue[K comparable] struct {
	h entries[K]
}

// Len returns the number of keys in the queue.
func (q *Queue[K]) Len() int { return len(q.h.items) }

// Set puts key in the queue due at at, or moves it there if it is queued.
func (q *Queue[K]) Set(key K, at time.Time) {
	if q.h.pos == nil {
		q.h.pos = make(map[K]int)
	}
	q.h.seq++
	if i, ok := q.h.pos[key]; ok {
		q.h.items[i].at, q.h.items[i].seq = at, q.h.seq
		heap.Fix(&q.h, i)
		return
	}
	heap.Push(&q.h, entry[K]{key: key, at: at, seq: q.h.seq})
}

// At returns when key is due, and whether it is queued.
func (q *Queue[K]) At(key K) (time.Time, bool) {
	i, ok := q.h.pos[key]
	if !ok {
		return time.Time{}, false
	}
	return q.h.items[i].at, true
}

// Remove takes key out of the queue and reports whether it was queued.
func (q *Queue[K]) Remove(key K) bool {
	i, ok := q.h.pos[key]
	if ok {
		heap.Remove(&q.h, i)
	}
	return ok
}

// Peek returns the key due first without removing it; ok is false when
// the queue is empty.
func (q *Queue[K]) Peek() (key K, at time.Time, ok bool) {
	if len(q.h.items) == 0 {
		return key, at, false
	}
	e := q.h.items[0]
	return e.key, e.at, true
}

// Pop removes and returns the key due first; ok is false when the queue
// is empty.
func (q *Queue[K]) Pop() (key K, at time.Time, ok bool) {
	if len(q.h.items) == 0 {
		return key, at, false
	}
	e := heap.Pop(&q.h).(entry[K])
	return e.key, e.at, true
}

type entry[K comparable] struct {
	key K
	at  time.Time
	seq uint64 // order of Set, for ties
}

// entries implements heap.Interface and tracks each key's position.
type entries[K comparable] struct {
	items []entry[K]
	pos   map[K]int
	seq   uint64
}

func (h *entries[K]) Len() int { return len(h.items) }

func (h *entries[K]) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if c := a.at.Compare(b.at); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

func (h *entries[K]) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.pos[h.items[i].key] = i
	h.pos[h.items[j].key] = j
}

func (h *entries[K]) Push(x any) {
	e := x.(entry[K])
	h.pos[e.key] = len(h.items)
	h.items = append(h.items, e)
}

func (h *entries[K]) Pop() any {
	n := len(h.items) - 1
	e := h.items[n]
	h.items = h.items[:n]
	delete(h.pos, e.key)
	return e
}
