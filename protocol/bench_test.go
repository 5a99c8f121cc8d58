package protocol

import (
	"bytes"
	"context"
	"net"
	"testing"
)

// typical is the small message the issue names for codec benchmarks.
var typical = Message{Port: "portname", Data: []any{"test", int64(123), "payload-string-0123456789"}}

func benchAppend(b *testing.B, framing string) {
	enc, _ := Appender(framing)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = enc(buf[:0], typical); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchDecode(b *testing.B, framing string) {
	enc, _ := Appender(framing)
	one, _ := enc(nil, typical)
	const batch = 1024
	stream := bytes.Repeat(one, batch)
	b.ReportAllocs()
	b.SetBytes(int64(len(one)))
	r := bytes.NewReader(stream)
	dec, _ := NewDecoder(framing, r)
	n := 0
	for b.Loop() {
		if n == batch {
			r.Reset(stream)
			dec, _ = NewDecoder(framing, r)
			n = 0
		}
		if _, err := dec.Decode(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkEncodeJSON(b *testing.B) { benchAppend(b, FramingJSON) }
func BenchmarkEncodeCBOR(b *testing.B) { benchAppend(b, FramingCBOR) }
func BenchmarkDecodeJSON(b *testing.B) { benchDecode(b, FramingJSON) }
func BenchmarkDecodeCBOR(b *testing.B) { benchDecode(b, FramingCBOR) }

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
