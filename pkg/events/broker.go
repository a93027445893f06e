package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
)

// partitionRange is the span of offsets a partition holds: first is the log
// start, end the high watermark (the offset the next message will get).
type partitionRange struct{ first, end int64 }

// brokerProbe reads partition offsets and scans partitions for event ids.
// It is what makes a relay that takes over an interrupted publish able to
// tell "already on the broker" from "never arrived".
type brokerProbe struct {
	client *kafka.Client
	// maxWait bounds each fetch long-poll; scans only read below the high
	// watermark, so a fetch never has to wait for new data.
	maxWait time.Duration
}

func newBrokerProbe(brokers []string, timeout time.Duration) *brokerProbe {
	return &brokerProbe{
		client:  &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: timeout},
		maxWait: 100 * time.Millisecond,
	}
}

// offsets returns the offset range of every partition of each topic. A topic
// the broker does not know yet maps to no partitions: nothing has been
// published to it, and partitions created later start at their log start,
// which is where a scan without a recorded offset begins.
func (b *brokerProbe) offsets(ctx context.Context, topics []string) (map[string]map[int]partitionRange, error) {
	out := make(map[string]map[int]partitionRange, len(topics))
	if len(topics) == 0 {
		return out, nil
	}
	md, err := b.client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("events: broker metadata: %w", err)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, t := range md.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
				continue
			}
			return nil, fmt.Errorf("events: broker metadata for %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			req.Topics[t.Name] = append(req.Topics[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	for _, t := range topics {
		out[t] = map[int]partitionRange{}
	}
	if len(req.Topics) == 0 {
		return out, nil
	}
	resp, err := b.client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("events: list offsets: %w", err)
	}
	for topic, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return nil, fmt.Errorf("events: list offsets of %s/%d: %w", topic, p.Partition, p.Error)
			}
			out[topic][p.Partition] = partitionRange{first: p.FirstOffset, end: p.LastOffset}
		}
	}
	return out, nil
}

// endOffsets returns, per topic, the current end offset of each partition:
// the probe offsets recorded before a first publish attempt.
func (b *brokerProbe) endOffsets(ctx context.Context, topics []string) (map[string]map[int]int64, error) {
	ranges, err := b.offsets(ctx, topics)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[int]int64, len(ranges))
	for topic, parts := range ranges {
		out[topic] = make(map[int]int64, len(parts))
		for p, r := range parts {
			out[topic][p] = r.end
		}
	}
	return out, nil
}

// find scans every partition of topic from the offsets in from (a partition
// missing there is scanned from its log start) up to the current end, and
// returns which of the wanted event ids carry a ce_id header on the broker.
func (b *brokerProbe) find(ctx context.Context, topic string, from map[int]int64, want map[string]bool) (map[string]bool, error) {
	found := map[string]bool{}
	ranges, err := b.offsets(ctx, []string{topic})
	if err != nil {
		return nil, err
	}
	for partition, r := range ranges[topic] {
		start := r.first
		if off, ok := from[partition]; ok && off > start {
			start = off
		}
		if err := b.scanPartition(ctx, topic, partition, start, r.end, want, found); err != nil {
			return nil, err
		}
		if len(found) == len(want) {
			break
		}
	}
	return found, nil
}

func (b *brokerProbe) scanPartition(ctx context.Context, topic string, partition int, start, end int64, want, found map[string]bool) error {
	for off := start; off < end && len(found) < len(want); {
		resp, err := b.client.Fetch(ctx, &kafka.FetchRequest{
			Topic:     topic,
			Partition: partition,
			Offset:    off,
			MinBytes:  1,
			MaxBytes:  4 << 20,
			MaxWait:   b.maxWait,
		})
		if err != nil {
			return fmt.Errorf("events: fetch %s/%d@%d: %w", topic, partition, off, err)
		}
		if resp.Error != nil {
			return fmt.Errorf("events: fetch %s/%d@%d: %w", topic, partition, off, resp.Error)
		}
		next := off
		for resp.Records != nil {
			rec, err := resp.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("events: read %s/%d@%d: %w", topic, partition, off, err)
			}
			// A fetch may start at the beginning of the batch holding off.
			if rec.Offset < off {
				continue
			}
			next = rec.Offset + 1
			for _, h := range rec.Headers {
				if h.Key == HeaderID && want[string(h.Value)] {
					found[string(h.Value)] = true
				}
			}
		}
		if next == off {
			// No record at or after off below the high watermark: never
			// guess "absent" (that would publish a duplicate); retry later.
			return fmt.Errorf("events: scan of %s/%d stalled at offset %d (end %d)", topic, partition, off, end)
		}
		off = next
	}
	return nil
}
