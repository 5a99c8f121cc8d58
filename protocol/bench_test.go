package protocol

import (
	"bytes"
	"context"
	"io"
	"net"
	"runtime"
	"testing"
)

// typical is the small message the issue names for codec benchmarks.
var typical = Message{Port: "portname", Data: []any{"test", int64(123), "payload-string-0123456789"}}

func benchAppend(b *testing.B, framing string) {
	appendTo, _ := Appender(framing)
	enc, _ := NewEncoder(framing)
	for _, e := range []struct {
		name     string
		appendTo func([]byte, Message) ([]byte, error)
	}{{"stateless", appendTo}, {"encoder", enc.Append}} {
		b.Run(e.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = e.appendTo(buf[:0], typical); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// repeatReader returns the same chunk on every Read, forever: a peer
// whose every write arrives as one read.
type repeatReader struct{ chunk []byte }

func (r repeatReader) Read(p []byte) (int, error) {
	if len(p) < len(r.chunk) {
		panic("read buffer smaller than the chunk")
	}
	return copy(p, r.chunk), nil
}

// decoders under comparison: the stream decoders and the library-based
// ones they replaced (lib_test.go).
var benchDecoders = []struct {
	name string
	new  func(framing string, r io.Reader) interface{ Decode() (Message, error) }
}{
	{"stream", func(framing string, r io.Reader) interface{ Decode() (Message, error) } {
		d, _ := NewDecoder(framing, r)
		return d
	}},
	{"lib", func(framing string, r io.Reader) interface{ Decode() (Message, error) } {
		if framing == FramingJSON {
			return newLibJSONDecoder(r)
		}
		return newLibCBORDecoder(r)
	}},
}

// benchDecode decodes the typical message from a stream that delivers
// batch messages per read; one op is one batch. With buffered, Buffered is
// called after every Decode, as a connection reader that hands messages on
// per read does.
func benchDecode(b *testing.B, framing string, batch int, buffered bool) {
	enc, _ := Appender(framing)
	one, _ := enc(nil, typical)
	for _, d := range benchDecoders {
		if buffered && d.name == "lib" {
			continue
		}
		b.Run(d.name, func(b *testing.B) {
			dec := d.new(framing, repeatReader{bytes.Repeat(one, batch)})
			bd, _ := dec.(Decoder)
			b.ReportAllocs()
			b.SetBytes(int64(len(one) * batch))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				for range batch {
					if _, err := dec.Decode(); err != nil {
						b.Fatal(err)
					}
					if buffered {
						bd.Buffered()
					}
				}
			}
			runtime.ReadMemStats(&after)
			msgs := float64(b.N * batch)
			b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/msgs, "allocs/msg")
		})
	}
}

// Per message, appended to a reused buffer.
func BenchmarkEncodeJSON(b *testing.B) { benchAppend(b, FramingJSON) }
func BenchmarkEncodeCBOR(b *testing.B) { benchAppend(b, FramingCBOR) }

// Per message, from a stream of 1024-message reads.
func BenchmarkDecodeJSON(b *testing.B) { benchDecode(b, FramingJSON, 1, false) }
func BenchmarkDecodeCBOR(b *testing.B) { benchDecode(b, FramingCBOR, 1, false) }

// Per batch of 64 messages that arrive in one read.
func BenchmarkDecodeBatch64JSON(b *testing.B) { benchDecode(b, FramingJSON, 64, false) }
func BenchmarkDecodeBatch64CBOR(b *testing.B) { benchDecode(b, FramingCBOR, 64, false) }

// The same, calling Buffered after each message.
// Alternating: every other message has another tag, so a prefix
// remembered from one message never matches the next (the worst case of
// the prefix cache).
func BenchmarkDecodeBatch64AlternatingJSON(b *testing.B) { benchDecodeAlternating(b, FramingJSON) }
func BenchmarkDecodeBatch64AlternatingCBOR(b *testing.B) { benchDecodeAlternating(b, FramingCBOR) }

func benchDecodeAlternating(b *testing.B, framing string) {
	enc, _ := Appender(framing)
	var batch []byte
	for i := range 64 {
		m := typical
		if i%2 == 1 {
			m.Data = []any{"tset", int64(123), "payload-string-0123456789"}
		}
		batch, _ = enc(batch, m)
	}
	d, _ := NewDecoder(framing, repeatReader{batch})
	b.ReportAllocs()
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		for range 64 {
			if _, err := d.Decode(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*64)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkDecodeBatch64BufferedJSON(b *testing.B) { benchDecode(b, FramingJSON, 64, true) }
func BenchmarkDecodeBatch64BufferedCBOR(b *testing.B) { benchDecode(b, FramingCBOR, 64, true) }

// BenchmarkHandshakeLoopback measures a full hmac_sha3_512 handshake over
// loopback TCP, both sides in this process, connection set-up included.
func BenchmarkHandshakeLoopback(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	srv := cfg("server")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				if s, err := Handshake(ctx, c, srv); err == nil {
					s.Conn.Close()
				}
			}()
		}
	}()
	cli := cfg("client")
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		s, err := Handshake(ctx, c, cli)
		if err != nil {
			b.Fatal(err)
		}
		s.Conn.Close()
	}
}
