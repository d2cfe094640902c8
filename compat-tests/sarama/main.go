// Command samsa-sarama drives sarama (Debian's golang-github-shopify-sarama-dev)
// against a broker for compat-tests/sarama.test.ts. Built by `make sarama-client`.
//
//	samsa-sarama BOOTSTRAP COMMAND [JSON-ARGS]
//
// COMMAND is produce, consume, group, offsets, describe-group or admin; JSON-ARGS is one JSON
// object (see the *Args types). Every command prints one JSON object on stdout
// and exits 0, or prints {"error": "..."} (with what it had done so far) and
// exits 1. Every command ends itself after its timeoutMs (default 30000).
//
// "version": "newest" (the default) sets config.Version to the newest
// KafkaVersion this sarama knows; "default" keeps sarama's own default
// (sarama.MinVersion, the oldest protocol versions). SARAMA_LOG=1 sends
// sarama's log to stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type common struct {
	Version   string `json:"version"`
	TimeoutMs int    `json:"timeoutMs"`
	ClientID  string `json:"clientId"`
}

type header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// message is a record as produced (Partition -1: let the partitioner choose) or consumed.
type message struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       *string  `json:"key"`
	Value     *string  `json:"value"`
	Headers   []header `json:"headers"`
	Timestamp int64    `json:"timestampMs,omitempty"`
}

type produceArgs struct {
	common
	Topic      string    `json:"topic"`
	Codec      string    `json:"codec"` // none, gzip, snappy, lz4, zstd
	Idempotent bool      `json:"idempotent"`
	Messages   []message `json:"messages"`
}

type consumeArgs struct {
	common
	Topic string `json:"topic"`
	Count int    `json:"count"`
}

type groupArgs struct {
	common
	Topic string `json:"topic"`
	Group string `json:"group"`
	Count int    `json:"count"`
}

type offsetsArgs struct {
	common
	Topic      string  `json:"topic"`
	Group      string  `json:"group"`
	Partitions []int32 `json:"partitions"`
}

type describeGroupArgs struct {
	common
	Group string `json:"group"`
}

type adminArgs struct {
	common
	Topic      string            `json:"topic"`
	Partitions int32             `json:"partitions"`
	Configs    map[string]string `json:"configs"`
}

var out = map[string]interface{}{}

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

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: samsa-sarama BOOTSTRAP produce|consume|group|offsets|describe-group|admin [JSON-ARGS]")
		os.Exit(2)
	}
	if os.Getenv("SARAMA_LOG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags|log.Lmicroseconds)
	}
	bootstrap, command := os.Args[1], os.Args[2]
	raw := []byte("{}")
	if len(os.Args) > 3 {
		raw = []byte(os.Args[3])
	}
	var c common
	if err := json.Unmarshal(raw, &c); err != nil {
		fail(fmt.Errorf("args: %v", err))
	}
	if c.TimeoutMs <= 0 {
		c.TimeoutMs = 30000
	}
	// The backstop for anything that blocks past the command's own bounds.
	time.AfterFunc(time.Duration(c.TimeoutMs)*time.Millisecond+5*time.Second, func() {
		fail(fmt.Errorf("%s did not finish within %d ms", command, c.TimeoutMs))
	})
	conf, err := config(c)
	if err != nil {
		fail(err)
	}
	out["saramaVersion"] = "1.22.1 (Debian golang-github-shopify-sarama-dev)"
	out["kafkaVersion"] = conf.Version.String()
	out["newestKafkaVersion"] = sarama.MaxVersion.String()
	addrs := []string{bootstrap}
	switch command {
	case "produce":
		var a produceArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = produce(addrs, conf, a)
	case "consume":
		var a consumeArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = consume(addrs, conf, a)
	case "group":
		var a groupArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = group(addrs, conf, a)
	case "offsets":
		var a offsetsArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = offsets(addrs, conf, a)
	case "describe-group":
		var a describeGroupArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = describeGroup(addrs, conf, a)
	case "admin":
		var a adminArgs
		must(json.Unmarshal(raw, &a))
		a.common = c
		err = admin(addrs, conf, a)
	default:
		err = fmt.Errorf("unknown command %q", command)
	}
	if err != nil {
		fail(err)
	}
	emit()
}

func must(err error) {
	if err != nil {
		fail(fmt.Errorf("args: %v", err))
	}
}

func config(c common) (*sarama.Config, error) {
	conf := sarama.NewConfig()
	switch c.Version {
	case "", "newest":
		conf.Version = sarama.MaxVersion
	case "default":
		// sarama.NewConfig's own: sarama.MinVersion.
	default:
		v, err := sarama.ParseKafkaVersion(c.Version)
		if err != nil {
			return nil, err
		}
		conf.Version = v
	}
	conf.ClientID = "samsa-sarama"
	if c.ClientID != "" {
		conf.ClientID = c.ClientID
	}
	conf.Metadata.Retry.Backoff = 100 * time.Millisecond
	return conf, nil
}

func strp(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

func fromConsumer(m *sarama.ConsumerMessage) message {
	hs := []header{}
	for _, h := range m.Headers {
		hs = append(hs, header{string(h.Key), string(h.Value)})
	}
	r := message{Partition: m.Partition, Offset: m.Offset, Key: strp(m.Key), Value: strp(m.Value), Headers: hs}
	if !m.Timestamp.IsZero() {
		r.Timestamp = m.Timestamp.UnixNano() / int64(time.Millisecond)
	}
	return r
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

// produce sends all messages with one SendMessages call of a SyncProducer
// (acks=all), so they travel together in batches compressed with the codec.
func produce(addrs []string, conf *sarama.Config, a produceArgs) error {
	codec, ok := codecs[a.Codec]
	if !ok {
		return fmt.Errorf("unknown codec %q", a.Codec)
	}
	conf.Producer.Compression = codec
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Return.Successes = true
	conf.Producer.Return.Errors = true
	conf.Producer.Timeout = time.Duration(a.TimeoutMs) * time.Millisecond
	conf.Producer.Partitioner = sarama.NewManualPartitioner
	// Enough to collect one request's worth: SendMessages queues them all before the first flush.
	conf.Producer.Flush.Messages = len(a.Messages)
	conf.Producer.Flush.Frequency = 50 * time.Millisecond
	if a.Idempotent {
		conf.Producer.Idempotent = true
		conf.Net.MaxOpenRequests = 1
	}
	p, err := sarama.NewSyncProducer(addrs, conf)
	if err != nil {
		return err
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, len(a.Messages))
	for i, m := range a.Messages {
		pm := &sarama.ProducerMessage{Topic: a.Topic, Partition: m.Partition}
		if m.Key != nil {
			pm.Key = sarama.StringEncoder(*m.Key)
		}
		if m.Value != nil {
			pm.Value = sarama.StringEncoder(*m.Value)
		}
		for _, h := range m.Headers {
			pm.Headers = append(pm.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(h.Value)})
		}
		msgs[i] = pm
	}
	err = p.SendMessages(msgs)
	results := []map[string]interface{}{}
	for _, m := range msgs {
		results = append(results, map[string]interface{}{"partition": m.Partition, "offset": m.Offset})
	}
	out["codec"] = a.Codec
	out["results"] = results
	if err != nil {
		var errs sarama.ProducerErrors
		if errors.As(err, &errs) {
			list := []map[string]interface{}{}
			for _, e := range errs {
				entry := map[string]interface{}{"partition": e.Msg.Partition, "error": e.Err.Error()}
				var ke sarama.KError
				if errors.As(e.Err, &ke) {
					entry["code"] = int16(ke)
				}
				list = append(list, entry)
			}
			out["producerErrors"] = list
		}
		return err
	}
	return nil
}

// consume reads every partition of the topic from the oldest offset with a
// PartitionConsumer each until count messages have arrived in all.
func consume(addrs []string, conf *sarama.Config, a consumeArgs) error {
	conf.Consumer.Return.Errors = true
	client, err := sarama.NewClient(addrs, conf)
	if err != nil {
		return err
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return err
	}
	defer consumer.Close()
	partitions, err := client.Partitions(a.Topic)
	if err != nil {
		return err
	}
	out["partitions"] = partitions
	msgs := make(chan *sarama.ConsumerMessage)
	errs := make(chan error, len(partitions))
	done := make(chan struct{})
	defer close(done)
	for _, p := range partitions {
		pc, err := consumer.ConsumePartition(a.Topic, p, sarama.OffsetOldest)
		if err != nil {
			return err
		}
		defer pc.Close()
		go func(pc sarama.PartitionConsumer) {
			for {
				select {
				case m := <-pc.Messages():
					select {
					case msgs <- m:
					case <-done:
						return
					}
				case e := <-pc.Errors():
					if e != nil {
						errs <- e
					}
				case <-done:
					return
				}
			}
		}(pc)
	}
	got := []message{}
	out["messages"] = &got
	deadline := time.After(time.Duration(a.TimeoutMs) * time.Millisecond)
	for len(got) < a.Count {
		select {
		case m := <-msgs:
			got = append(got, fromConsumer(m))
		case e := <-errs:
			return e
		case <-deadline:
			return fmt.Errorf("consumed %d of %d messages in %d ms", len(got), a.Count, a.TimeoutMs)
		}
	}
	sort.SliceStable(got, func(i, j int) bool {
		if got[i].Partition != got[j].Partition {
			return got[i].Partition < got[j].Partition
		}
		return got[i].Offset < got[j].Offset
	})
	return nil
}

// member is a ConsumerGroupHandler that records what it consumed and marks
// every message until it has count of them, then cancels its context.
type member struct {
	mu          sync.Mutex
	count       int
	got         []message
	generations []map[string]interface{}
	cancel      context.CancelFunc
}

func (h *member) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.generations = append(h.generations, map[string]interface{}{
		"generationId": s.GenerationID(), "memberId": s.MemberID(), "claims": s.Claims(),
	})
	return nil
}

func (h *member) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *member) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		if len(h.got) < h.count {
			h.got = append(h.got, fromConsumer(m))
			s.MarkMessage(m, "")
			if len(h.got) == h.count {
				h.cancel()
			}
		}
		h.mu.Unlock()
	}
	return nil
}

// group joins the group as one member, consumes the topic from the committed
// offsets (the oldest when none) and leaves after count messages; the offsets
// it marked are committed when its session ends.
func group(addrs []string, conf *sarama.Config, a groupArgs) error {
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	conf.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	conf.Consumer.Return.Errors = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(a.TimeoutMs)*time.Millisecond)
	defer cancel()
	h := &member{count: a.Count, cancel: cancel}
	g, err := sarama.NewConsumerGroup(addrs, a.Group, conf)
	if err != nil {
		return err
	}
	groupErrs := []string{}
	var errMu sync.Mutex
	go func() {
		for e := range g.Errors() {
			errMu.Lock()
			groupErrs = append(groupErrs, e.Error())
			errMu.Unlock()
		}
	}()
	var consumeErr error
	for ctx.Err() == nil {
		if err := g.Consume(ctx, []string{a.Topic}, h); err != nil {
			consumeErr = err
			break
		}
	}
	closeErr := g.Close()
	h.mu.Lock()
	out["messages"] = h.got
	out["generations"] = h.generations
	n := len(h.got)
	h.mu.Unlock()
	errMu.Lock()
	out["groupErrors"] = groupErrs
	errMu.Unlock()
	if consumeErr != nil {
		return consumeErr
	}
	if closeErr != nil {
		return closeErr
	}
	if n < a.Count {
		return fmt.Errorf("consumed %d of %d messages in %d ms", n, a.Count, a.TimeoutMs)
	}
	return nil
}

// offsets reads a group's committed offsets with ClusterAdmin (OffsetFetch).
func offsets(addrs []string, conf *sarama.Config, a offsetsArgs) error {
	ca, err := sarama.NewClusterAdmin(addrs, conf)
	if err != nil {
		return err
	}
	defer ca.Close()
	resp, err := ca.ListConsumerGroupOffsets(a.Group, map[string][]int32{a.Topic: a.Partitions})
	if err != nil {
		return err
	}
	committed := map[string]interface{}{}
	for _, p := range a.Partitions {
		b := resp.GetBlock(a.Topic, p)
		if b == nil {
			return fmt.Errorf("no offset block for %s/%d", a.Topic, p)
		}
		if b.Err != sarama.ErrNoError {
			return fmt.Errorf("%s/%d: %v", a.Topic, p, b.Err)
		}
		committed[fmt.Sprint(p)] = b.Offset
	}
	out["committed"] = committed
	return nil
}

// describeGroup: ListConsumerGroups and DescribeConsumerGroups with each
// member's assignment decoded.
func describeGroup(addrs []string, conf *sarama.Config, a describeGroupArgs) error {
	ca, err := sarama.NewClusterAdmin(addrs, conf)
	if err != nil {
		return err
	}
	defer ca.Close()
	groups, err := ca.ListConsumerGroups()
	if err != nil {
		return fmt.Errorf("ListConsumerGroups: %v", err)
	}
	out["listed"] = groups
	ds, err := ca.DescribeConsumerGroups([]string{a.Group})
	if err != nil {
		return fmt.Errorf("DescribeConsumerGroups: %v", err)
	}
	if len(ds) != 1 {
		return fmt.Errorf("DescribeConsumerGroups: %d descriptions", len(ds))
	}
	d := ds[0]
	members := map[string]interface{}{}
	for id, m := range d.Members {
		// Empty until the group is Stable (Kafka sends no assignment before), which sarama cannot decode.
		topics := map[string][]int32{}
		if len(m.MemberAssignment) > 0 {
			as, err := m.GetMemberAssignment()
			if err != nil {
				return fmt.Errorf("member %s assignment: %v", id, err)
			}
			topics = as.Topics
		}
		members[id] = map[string]interface{}{"clientId": m.ClientId, "assignment": topics}
	}
	out["group"] = map[string]interface{}{"errorCode": int16(d.Err), "state": d.State, "protocolType": d.ProtocolType, "protocol": d.Protocol, "members": members}
	return nil
}

// admin: CreateTopic with partitions and configs, CreateTopic again (the
// error), DescribeConfig, ListTopics, DescribeTopics, DeleteTopic, ListTopics.
func admin(addrs []string, conf *sarama.Config, a adminArgs) error {
	ca, err := sarama.NewClusterAdmin(addrs, conf)
	if err != nil {
		return err
	}
	defer ca.Close()
	entries := map[string]*string{}
	for k, v := range a.Configs {
		v := v
		entries[k] = &v
	}
	detail := &sarama.TopicDetail{NumPartitions: a.Partitions, ReplicationFactor: 1, ConfigEntries: entries}
	if err := ca.CreateTopic(a.Topic, detail, false); err != nil {
		return fmt.Errorf("CreateTopic: %v", err)
	}
	if err := ca.CreateTopic(a.Topic, detail, false); err != nil {
		out["createAgainError"] = err.Error()
	}
	cfg, err := ca.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: a.Topic})
	if err != nil {
		return fmt.Errorf("DescribeConfig: %v", err)
	}
	described := map[string]interface{}{}
	for _, e := range cfg {
		described[e.Name] = map[string]interface{}{"value": e.Value, "default": e.Default, "source": e.Source.String(), "readOnly": e.ReadOnly}
	}
	out["describeConfig"] = described
	topics, err := ca.ListTopics()
	if err != nil {
		return fmt.Errorf("ListTopics: %v", err)
	}
	if d, ok := topics[a.Topic]; ok {
		cfgs := map[string]string{}
		for k, v := range d.ConfigEntries {
			if v != nil {
				cfgs[k] = *v
			}
		}
		out["listed"] = map[string]interface{}{"numPartitions": d.NumPartitions, "replicationFactor": d.ReplicationFactor, "configEntries": cfgs}
	}
	meta, err := ca.DescribeTopics([]string{a.Topic})
	if err != nil {
		return fmt.Errorf("DescribeTopics: %v", err)
	}
	described2 := []map[string]interface{}{}
	for _, m := range meta {
		ps := []map[string]interface{}{}
		for _, p := range m.Partitions {
			ps = append(ps, map[string]interface{}{"id": p.ID, "leader": p.Leader, "replicas": p.Replicas, "isr": p.Isr, "errorCode": int16(p.Err)})
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i]["id"].(int32) < ps[j]["id"].(int32) })
		described2 = append(described2, map[string]interface{}{"name": m.Name, "errorCode": int16(m.Err), "partitions": ps})
	}
	out["describeTopics"] = described2
	if err := ca.DeleteTopic(a.Topic); err != nil {
		return fmt.Errorf("DeleteTopic: %v", err)
	}
	after, err := ca.ListTopics()
	if err != nil {
		return fmt.Errorf("ListTopics after delete: %v", err)
	}
	names := []string{}
	for n := range after {
		names = append(names, n)
	}
	sort.Strings(names)
	out["topicsAfterDelete"] = names
	return nil
}
