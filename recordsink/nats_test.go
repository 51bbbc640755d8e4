package recordsink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/ringfence/ringfence/contact"
)

// natsURL returns RINGFENCE_TEST_NATS_URL or skips the test.
func natsURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("RINGFENCE_TEST_NATS_URL")
	if u == "" {
		t.Skip("set RINGFENCE_TEST_NATS_URL (for example nats://127.0.0.1:4222) to a NATS server with JetStream (nats-server -js) to run this test")
	}
	return u
}

func TestNATSSinkPublishesAndJetStreamDedupes(t *testing.T) {
	url := natsURL(t)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	tag := hex.EncodeToString(suffix)
	sink, err := NewNATS(NATSConfig{URL: url, SubjectPrefix: "ringfence-test.contact-records." + tag, Stream: "RINGFENCE_TEST_RECORDS_" + tag})
	if err != nil {
		t.Fatalf("NewNATS: %v", err)
	}
	t.Cleanup(sink.Close)

	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), sink.Stream()) })

	st := openStore(t)
	entries := []contact.RecordEntry{entry(t, instA, 1, base), entry(t, instB, 2, base), entry(t, instA, 3, base.Add(time.Second))}
	appendRecords(t, st, entries...)
	entries = outbox(t, st)
	// A crash between delivery and the cursor move: the batch is published twice.
	if _, err := newRunner(t, failingCursorStore{st}, 0, sink).deliverOnce(ctx, sink); err == nil {
		t.Fatal("deliverOnce with a failing cursor move succeeded")
	}
	r := newRunner(t, st, 0, sink)
	drain(t, r, sink)
	if got := cursor(t, st, "nats"); got != entries[len(entries)-1].Seq {
		t.Errorf("cursor = %d, want %d", got, entries[len(entries)-1].Seq)
	}

	stream, err := js.Stream(ctx, sink.Stream())
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(entries)) {
		t.Errorf("stream holds %d messages, want %d (duplicates dropped by Nats-Msg-Id)", info.State.Msgs, len(entries))
	}
	var got []string
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("GetMsg %d: %v", seq, err)
		}
		e := entries[len(got)]
		if m.Subject != sink.Subject(e.InstanceID) || m.Header.Get(jetstream.MsgIDHeader) != DedupeKey(e) || string(m.Data) != string(e.Body) {
			t.Errorf("message %d: subject %s, id %s, data %.40s; want %s, %s, %.40s", seq, m.Subject, m.Header.Get(jetstream.MsgIDHeader), m.Data,
				sink.Subject(e.InstanceID), DedupeKey(e), e.Body)
		}
		got = append(got, m.Header.Get(jetstream.MsgIDHeader))
	}
	want := []string{contactID(1) + "@2026-03-01T23:50:00Z", contactID(2) + "@2026-03-01T23:50:00Z", contactID(3) + "@2026-03-01T23:50:01Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message IDs (-want +got):\n%s", diff)
	}
}

func TestNATSSinkFailsWhileServerUnreachable(t *testing.T) {
	// Port 1 on loopback refuses connections: the delivery fails and the cursor stays.
	sink, err := NewNATS(NATSConfig{URL: "nats://127.0.0.1:1", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	st := openStore(t)
	appendRecords(t, st, entry(t, instA, 1, base))
	_, err = newRunner(t, st, 0, sink).deliverOnce(context.Background(), sink)
	if err == nil || !strings.Contains(err.Error(), `sink "nats": deliver records 1–1: nats sink: connect:`) {
		t.Fatalf("deliverOnce error = %v, want a connect failure", err)
	}
	if got := cursor(t, st, "nats"); got != 0 {
		t.Errorf("cursor = %d, want 0", got)
	}
}

func TestNewNATSRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  NATSConfig
		want string
	}{
		{"no URL", NATSConfig{}, "empty URL"},
		{"wildcard prefix", NATSConfig{URL: "nats://x", SubjectPrefix: "records.*"}, "empty or wildcard token"},
		{"empty token", NATSConfig{URL: "nats://x", SubjectPrefix: "records..x"}, "empty or wildcard token"},
		{"bad stream", NATSConfig{URL: "nats://x", Stream: "a.b"}, `invalid stream name "a.b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewNATS(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewNATS error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
