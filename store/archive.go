package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/feedloom/feedloom"
	bolt "go.etcd.io/bbolt"
)

// The filing log of a topic numbers its stories in the order they were
// first filed under it: 0, 1, 2, … The publisher's archive pages (RFC 5005)
// are ranges of this log, so a page never changes when a story filed
// later turns out to be published earlier, nor when a story's date moves
// (a member joins and the story re-sorts). The log is append-only: a story
// keeps its number when it leaves the topic and comes back, and a number
// whose story was deleted or merged away stays taken (its page shows one
// entry fewer). Stories filed before the log existed are numbered when a
// topic's log is first needed, in the topic index's (published) order.
//
// Layout: bucket topic_seq, one sub-bucket per topic holding
// "s"+uint64 seq → story ID and "i"+story ID → uint64 seq; the sub-bucket's
// sequence is the number of stories ever filed.
var bucketTopicSeq = []byte("topic_seq")

// fileInTopic gives story id the next number of topic's filing log, unless
// it has one. Called by refile for every topic a story is in.
func fileInTopic(tx *bolt.Tx, topic, id string) error {
	b, err := topicLog(tx, topic)
	if err != nil {
		return err
	}
	return appendLog(b, id)
}

func appendLog(b *bolt.Bucket, id string) error {
	ik := append([]byte{'i'}, id...)
	if b.Get(ik) != nil {
		return nil
	}
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	seq := make([]byte, 8)
	binary.BigEndian.PutUint64(seq, n-1)
	if err := b.Put(ik, seq); err != nil {
		return err
	}
	return b.Put(append([]byte{'s'}, seq...), []byte(id))
}

// topicLog returns topic's log bucket, creating it, and numbering the
// stories already filed under the topic, when it does not exist.
func topicLog(tx *bolt.Tx, topic string) (*bolt.Bucket, error) {
	root, err := tx.CreateBucketIfNotExists(bucketTopicSeq)
	if err != nil {
		return nil, fmt.Errorf("store: topic log: %w", err)
	}
	if b := root.Bucket([]byte(topic)); b != nil {
		return b, nil
	}
	b, err := root.CreateBucket([]byte(topic))
	if err != nil {
		return nil, fmt.Errorf("store: topic log %q: %w", topic, err)
	}
	if tb := tx.Bucket(bucketTopics).Bucket([]byte(topic)); tb != nil {
		c := tb.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if err := appendLog(b, string(k[8:])); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// needsLog reports whether topic has stories but no filing log yet.
func needsLog(tx *bolt.Tx, topic string) bool {
	if root := tx.Bucket(bucketTopicSeq); root != nil && root.Bucket([]byte(topic)) != nil {
		return false
	}
	tb := tx.Bucket(bucketTopics).Bucket([]byte(topic))
	return tb != nil && tb.Stats().KeyN > 0
}

// ensureLog builds topic's filing log from the topic index if it has none
// (a store written before the log existed).
func (s *Store) ensureLog(ctx context.Context, topic string) error {
	var need bool
	if err := s.view(ctx, func(tx *bolt.Tx) error { need = needsLog(tx, topic); return nil }); err != nil || !need {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		_, err := topicLog(tx, topic)
		return err
	})
}

// TopicCount is the number of stories ever filed under topic: the length
// of its filing log.
func (s *Store) TopicCount(ctx context.Context, topic string) (int, error) {
	if err := s.ensureLog(ctx, topic); err != nil {
		return 0, err
	}
	var n int
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if root := tx.Bucket(bucketTopicSeq); root != nil {
			if b := root.Bucket([]byte(topic)); b != nil {
				n = int(b.Sequence())
			}
		}
		return nil
	})
	return n, err
}

// TopicRange returns the stories numbered from to to-1 in topic's filing
// log, in that order, each with its member items (the shown one first).
// Stories since deleted, merged into another, or no longer in the topic
// are left out.
func (s *Store) TopicRange(ctx context.Context, topic string, from, to int) ([]feedloom.Entry, error) {
	if err := s.ensureLog(ctx, topic); err != nil {
		return nil, err
	}
	var out []feedloom.Entry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketTopicSeq)
		if root == nil {
			return nil
		}
		b := root.Bucket([]byte(topic))
		if b == nil {
			return nil
		}
		for i := max(from, 0); i < to; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := make([]byte, 9)
			k[0] = 's'
			binary.BigEndian.PutUint64(k[1:], uint64(i))
			id := b.Get(k)
			if id == nil {
				continue
			}
			e, err := entry(tx, string(id))
			if err != nil {
				return err
			}
			if e != nil && slices.Contains(e.Story.Topics, topic) {
				out = append(out, *e)
			}
		}
		return nil
	})
	return out, err
}
