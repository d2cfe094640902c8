// Command samsa-kafka-go drives segmentio/kafka-go (Debian's
// golang-github-segmentio-kafka-go-dev, 0.2.1) against a broker for
// compat-tests/kafka-go.test.ts. Built by `make kafka-go-client`.
//
//	samsa-kafka-go BOOTSTRAP COMMAND [JSON-ARGS]
//
// COMMAND is admin, produce, consume or group; JSON-ARGS is one JSON object
// (see the *Args types). Every command prints one JSON object on stdout and
// exits 0, or prints {"error": "..."} (with what it had done so far) and exits
// 1. Every command ends itself after its timeoutMs (default 30000).
//
// kafka-go 0.2.1 speaks fixed protocol versions (no ApiVersions): Metadata v1,
// CreateTopics v0, DeleteTopics v1, Produce v2 and Fetch v2 (message format
// v1: timestamps but no headers), ListOffsets v1, FindCoordinator v0,
// JoinGroup v1, SyncGroup v0, Heartbeat v0, LeaveGroup v0, OffsetCommit v2,
// OffsetFetch v1. Its codecs are gzip, snappy and lz4 (no zstd).
// KAFKA_GO_LOG=1 sends kafka-go's log to stderr.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type common struct {
	TimeoutMs int    `json:"timeoutMs"`
	ClientID  string `json:"clientId"`
}

// message is a record as produced or consumed. Produced: Partition is where
// the balancer puts it; TimestampMs 0 lets kafka-go stamp it. Consumed:
// kafka-go reads a null and an empty key or value alike (both nil): null here.
type message struct {
	Partition   int     `json:"partition"`
	Offset      int64   `json:"offset"`
	Key         *string `json:"key"`
	Value       *string `json:"value"`
	TimestampMs int64   `json:"timestampMs,omitempty"`
}

type adminArgs struct {
	common
	Topic      string            `json:"topic"`
	Partitions int               `json:"partitions"`
	Configs    map[string]string `json:"configs"`
	Keep       bool              `json:"keep"` // stop before DeleteTopics
}

type produceArgs struct {
	common
	Topic    string    `json:"topic"`
	Codec    string    `json:"codec"` // none, gzip, snappy, lz4
	Messages []message `json:"messages"`
}

type consumeArgs struct {
	common
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Count     int    `json:"count"`
}

type groupArgs struct {
	common
	Topic              string `json:"topic"`
	Group              string `json:"group"`
	Count              int    `json:"count"`
	SessionTimeoutMs   int    `json:"sessionTimeoutMs"`   // default 10000
	RebalanceTimeoutMs int    `json:"rebalanceTimeoutMs"` // default 10000
}

var out = map[string]interface{}{}
var logger *log.Logger

func fail(err error) {
	out["error"] = err.Error()
	emit()
	os.Exit(1)
}

func emit() {
	b, err := json.Marshal(out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "marshal: %v\n", err)
		os.Exit(2)
	}
	os.Stdout.Write(append(b, '\n'))
}

func must(err error) {
	if err != nil {
		fail(fmt.Errorf("args: %v", err))
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: samsa-kafka-go BOOTSTRAP admin|produce|consume|group [JSON-ARGS]")
		os.Exit(2)
	}
	if os.Getenv("KAFKA_GO_LOG") != "" {
		logger = log.New(os.Stderr, "[kafka-go] ", log.LstdFlags|log.Lmicroseconds)
	}
	bootstrap, command := os.Args[1], os.Args[2]
	raw := []byte("{}")
	if len(os.Args) > 3 {
		raw = []byte(os.Args[3])
	}
	var c common
	must(json.Unmarshal(raw, &c))
	if c.TimeoutMs <= 0 {
		c.TimeoutMs = 30000
	}
	if c.ClientID == "" {
		c.ClientID = "samsa-kafka-go"
	}
	// The backstop for anything that blocks past the command's own bounds.
	time.AfterFunc(time.Duration(c.TimeoutMs)*time.Millisecond+5*time.Second, func() {
		fail(fmt.Errorf("%s did not finish within %d ms", command, c.TimeoutMs))
	})
	out["kafkaGoVersion"] = "0.2.1 (Debian golang-github-segmentio-kafka-go-dev)"
	dialer := &kafka.Dialer{ClientID: c.ClientID, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(c.TimeoutMs)*time.Millisecond)
	defer cancel()
	var err error
	switch command {
	case "admin":
		var a adminArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = admin(ctx, bootstrap, dialer, a)
	case "produce":
		var a produceArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = produce(ctx, bootstrap, dialer, a)
	case "consume":
		var a consumeArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = consume(ctx, bootstrap, dialer, a)
	case "group":
		var a groupArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = group(ctx, bootstrap, dialer, a)
	default:
		err = fmt.Errorf("unknown command %q", command)
	}
	if err != nil {
		fail(err)
	}
	emit()
}

func strp(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

func bytesOf(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

func fromKafka(m kafka.Message) message {
	r := message{Partition: m.Partition, Offset: m.Offset, Key: strp(m.Key), Value: strp(m.Value)}
	if !m.Time.IsZero() {
		r.TimestampMs = m.Time.UnixNano() / int64(time.Millisecond)
	}
	return r
}

func partitionsOut(ps []kafka.Partition) []map[string]interface{} {
	ids := func(bs []kafka.Broker) []int {
		r := []int{}
		for _, b := range bs {
			r = append(r, b.ID)
		}
		return r
	}
	list := []map[string]interface{}{}
	for _, p := range ps {
		list = append(list, map[string]interface{}{
			"topic": p.Topic, "id": p.ID, "leader": p.Leader.ID, "leaderHost": p.Leader.Host, "leaderPort": p.Leader.Port,
			"replicas": ids(p.Replicas), "isr": ids(p.Isr),
		})
	}
	sort.Slice(list, func(i, j int) bool { return list[i]["id"].(int) < list[j]["id"].(int) })
	return list
}

// admin, on one kafka.Conn to the bootstrap broker: CreateTopics with
// partitions and configs, CreateTopics again (kafka-go treats
// TOPIC_ALREADY_EXISTS as success), ReadPartitions (Metadata v1),
// DeleteTopics, DeleteTopics again (the error); with keep, no deletes.
func admin(ctx context.Context, bootstrap string, dialer *kafka.Dialer, a adminArgs) error {
	conn, err := dialer.DialContext(ctx, "tcp", bootstrap)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Duration(a.TimeoutMs) * time.Millisecond))
	entries := []kafka.ConfigEntry{}
	for k, v := range a.Configs {
		entries = append(entries, kafka.ConfigEntry{ConfigName: k, ConfigValue: v})
	}
	tc := kafka.TopicConfig{Topic: a.Topic, NumPartitions: a.Partitions, ReplicationFactor: 1, ConfigEntries: entries}
	if err := conn.CreateTopics(tc); err != nil {
		return fmt.Errorf("CreateTopics: %v", err)
	}
	out["created"] = true
	if err := conn.CreateTopics(tc); err != nil {
		out["createAgainError"] = err.Error()
	} else {
		out["createAgainError"] = nil
	}
	ps, err := conn.ReadPartitions(a.Topic)
	if err != nil {
		return fmt.Errorf("ReadPartitions: %v", err)
	}
	out["partitions"] = partitionsOut(ps)
	// The same through the Dialer, which the Writer and Reader use to find leaders.
	ps2, err := dialer.LookupPartitions(ctx, "tcp", bootstrap, a.Topic)
	if err != nil {
		return fmt.Errorf("LookupPartitions: %v", err)
	}
	out["lookupPartitions"] = partitionsOut(ps2)
	if a.Keep {
		return nil
	}
	if err := conn.DeleteTopics(a.Topic); err != nil {
		return fmt.Errorf("DeleteTopics: %v", err)
	}
	out["deleted"] = true
	if err := conn.DeleteTopics(a.Topic); err != nil {
		out["deleteAgainError"] = err.Error()
		if ke, ok := err.(kafka.Error); ok {
			out["deleteAgainCode"] = int(ke)
		}
	}
	return nil
}

var codecs = map[string]func() kafka.CompressionCodec{
	"none":   func() kafka.CompressionCodec { return nil },
	"":       func() kafka.CompressionCodec { return nil },
	"gzip":   func() kafka.CompressionCodec { return gzip.NewCompressionCodec() },
	"snappy": func() kafka.CompressionCodec { return snappy.NewCompressionCodec() },
	"lz4":    func() kafka.CompressionCodec { return lz4.NewCompressionCodec() },
}

// produce writes all messages with one WriteMessages call of a kafka.Writer
// (RequiredAcks -1, i.e. all); a balancer puts each message on the partition
// its args name (kafka-go writes Message.Partition as 0 only). BatchSize is
// the whole set, so each partition's messages normally leave together in one
// Produce v2 request, after BatchTimeout.
func produce(ctx context.Context, bootstrap string, dialer *kafka.Dialer, a produceArgs) error {
	newCodec, ok := codecs[a.Codec]
	if !ok {
		return fmt.Errorf("unknown codec %q (kafka-go 0.2.1 has gzip, snappy, lz4)", a.Codec)
	}
	where := map[string]int{}
	ident := func(m kafka.Message) string {
		return fmt.Sprintf("%v|%q|%v|%q", m.Key == nil, m.Key, m.Value == nil, m.Value)
	}
	msgs := make([]kafka.Message, len(a.Messages))
	for i, m := range a.Messages {
		km := kafka.Message{Key: bytesOf(m.Key), Value: bytesOf(m.Value)}
		if m.TimestampMs > 0 {
			km.Time = time.Unix(0, m.TimestampMs*int64(time.Millisecond))
		}
		if p, dup := where[ident(km)]; dup && p != m.Partition {
			return fmt.Errorf("message %d: the same key and value are sent to partitions %d and %d", i, p, m.Partition)
		}
		where[ident(km)] = m.Partition
		msgs[i] = km
	}
	w := kafka.NewWriter(kafka.WriterConfig{
		Brokers:          []string{bootstrap},
		Topic:            a.Topic,
		Dialer:           dialer,
		Balancer:         kafka.BalancerFunc(func(m kafka.Message, _ ...int) int { return where[ident(m)] }),
		RequiredAcks:     -1,
		CompressionCodec: newCodec(),
		BatchSize:        len(msgs),
		BatchTimeout:     50 * time.Millisecond,
		MaxAttempts:      3,
		Logger:           logger,
	})
	err := w.WriteMessages(ctx, msgs...)
	closeErr := w.Close()
	s := w.Stats()
	out["codec"] = a.Codec
	out["stats"] = map[string]interface{}{"writes": s.Writes, "messages": s.Messages, "errors": s.Errors, "dials": s.Dials, "requiredAcks": s.RequiredAcks}
	if err != nil {
		return fmt.Errorf("WriteMessages: %v", err)
	}
	return closeErr
}

// consume reads count messages of one partition from its first offset with a
// kafka.Reader (Fetch v2), after asking the partition leader for its first
// and last offsets over a kafka.Conn (ListOffsets v1).
func consume(ctx context.Context, bootstrap string, dialer *kafka.Dialer, a consumeArgs) error {
	conn, err := dialer.DialLeader(ctx, "tcp", bootstrap, a.Topic, a.Partition)
	if err != nil {
		return fmt.Errorf("DialLeader: %v", err)
	}
	conn.SetDeadline(time.Now().Add(time.Duration(a.TimeoutMs) * time.Millisecond))
	first, last, err := conn.ReadOffsets()
	conn.Close()
	if err != nil {
		return fmt.Errorf("ReadOffsets: %v", err)
	}
	out["firstOffset"], out["lastOffset"] = first, last
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   []string{bootstrap},
		Topic:     a.Topic,
		Partition: a.Partition,
		Dialer:    dialer,
		MinBytes:  1,
		MaxBytes:  10 << 20,
		MaxWait:   200 * time.Millisecond,
		Logger:    logger,
	})
	defer r.Close()
	if err := r.SetOffset(kafka.FirstOffset); err != nil {
		return fmt.Errorf("SetOffset: %v", err)
	}
	got := []message{}
	out["messages"] = &got
	for len(got) < a.Count {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return fmt.Errorf("consumed %d of %d messages: %v", len(got), a.Count, err)
		}
		got = append(got, fromKafka(m))
	}
	return nil
}

// group joins the group as one kafka.Reader member, reads from the committed
// offsets (the first offset when none) and commits every message as it
// arrives (FetchMessage, then a synchronous CommitMessages: OffsetCommit v2);
// after count messages it closes the reader. kafka-go 0.2.1's Reader.Close
// sends no LeaveGroup (it dials the coordinator with a context it has just
// cancelled), so the member stays in the group until its session times out or
// a rebalance gives up waiting for it (its rebalance timeout).
func group(ctx context.Context, bootstrap string, dialer *kafka.Dialer, a groupArgs) error {
	if a.SessionTimeoutMs <= 0 {
		a.SessionTimeoutMs = 10000
	}
	if a.RebalanceTimeoutMs <= 0 {
		a.RebalanceTimeoutMs = 10000
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           []string{bootstrap},
		GroupID:           a.Group,
		Topic:             a.Topic,
		Dialer:            dialer,
		MinBytes:          1,
		MaxBytes:          10 << 20,
		MaxWait:           200 * time.Millisecond,
		HeartbeatInterval: 200 * time.Millisecond,
		CommitInterval:    0, // synchronous commits
		SessionTimeout:    time.Duration(a.SessionTimeoutMs) * time.Millisecond,
		RebalanceTimeout:  time.Duration(a.RebalanceTimeoutMs) * time.Millisecond,
		Logger:            logger,
	})
	got := []message{}
	out["messages"] = &got
	var err error
	for len(got) < a.Count {
		var m kafka.Message
		if m, err = r.FetchMessage(ctx); err != nil {
			err = fmt.Errorf("consumed %d of %d messages: %v", len(got), a.Count, err)
			break
		}
		got = append(got, fromKafka(m))
		if err = r.CommitMessages(ctx, m); err != nil {
			err = fmt.Errorf("CommitMessages (offset %d of partition %d): %v", m.Offset, m.Partition, err)
			break
		}
	}
	s := r.Stats()
	closeErr := r.Close()
	out["stats"] = map[string]interface{}{"rebalances": s.Rebalances, "errors": s.Errors, "messages": s.Messages}
	if err != nil {
		return err
	}
	return closeErr
}
