package protocol_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/aemp-go/aemp-go/protocol"
)

// A greeting line 1 as a Perl 2.02 seed node sent it (fixtures/perl-aemp-2.02/pyclient).
func ExampleParseGreeting() {
	line := "aemp;1;seed;tls_sha3_512,hmac_sha3_512,tls_anon,cleartext;cbor,json,storable;gproto=1;provider=AE-2.02;peeraddr=127.0.0.1:43936;mproto=1"
	g, err := protocol.ParseGreeting(line)
	if err != nil {
		fmt.Println(err)
		return
	}
	provider, _ := g.Get(protocol.KeyProvider)
	fmt.Println("node:", g.NodeID)
	fmt.Println("accepts:", g.Auths)
	fmt.Println("receives:", g.Framings)
	fmt.Println("provider:", provider, "wants TLS:", g.WantsTLS())
	fmt.Println("formats back to the same bytes:", g.String() == line)

	// What we would send in reply: the first framing of Perl's list that Go has.
	framing, _ := protocol.SelectFraming(g.Framings, protocol.DefaultFramings())
	fmt.Println("we send:", framing)
	// Output:
	// node: seed
	// accepts: [tls_sha3_512 hmac_sha3_512 tls_anon cleartext]
	// receives: [cbor json storable]
	// provider: AE-2.02 wants TLS: false
	// formats back to the same bytes: true
	// we send: cbor
}

// Both sides of a handshake compute an hmac_sha3_512 token over the same four
// greeting lines: the sender's two lines first, then the receiver's.
func ExampleHMACToken() {
	const secret = "shared secret"
	a := [2]string{"aemp;1;a;hmac_sha3_512;json", "nonce-of-a"}
	b := [2]string{"aemp;1;b;hmac_sha3_512;json", "nonce-of-b"}

	// a sends its auth line ...
	token := protocol.HMACToken(secret, a[0], a[1], b[0], b[1])
	line := protocol.AuthLine{Method: protocol.AuthHMAC, Token: token, Framing: protocol.FramingJSON}.String()

	// ... and b checks it, with its own lines as local and a's as remote.
	got := protocol.ParseAuthLine(line)
	err := protocol.VerifyToken(got, protocol.DefaultAuthAccept(), secret, b, a, false)
	fmt.Println("right secret:", err)
	err = protocol.VerifyToken(got, protocol.DefaultAuthAccept(), "another secret", b, a, false)
	fmt.Println("wrong secret is ErrAuthFailed:", errors.Is(err, protocol.ErrAuthFailed))
	fmt.Println("token is", len(token), "hex digits")
	// Output:
	// right secret: <nil>
	// wrong secret is ErrAuthFailed: true
	// token is 128 hex digits
}

// VerifyToken checks the token a real Perl node sent, recorded in
// fixtures/perl-aemp-2.02/pyclient (connection to port 43936): the Perl seed
// authenticated itself to a client called pyhmac with the shared secret of
// fixtures/perl-aemp-2.02/config-after-gensecret.json.
func ExampleVerifyToken() {
	const secret = "xaVa0ojOGkQmNt2oTs8Dzr9GoqdmqHNzqpDVuHk1fyOo58bKh8G8x7EDP11YfL0Xb3tcuLebRgCzkqJAiStAqw59mD1MvRq57i4523xTJmyp4V0Ooi7rl017TfuBPaIso3K8DXNAxpMGmoI9rDikf2VtgRNpsIToRBuE0PZNl5rvsyoCIvrL"
	client := [2]string{ // what we (pyhmac) sent
		"aemp;1;pyhmac;hmac_sha3_512,cleartext;json;provider=py-test;peeraddr=127.0.0.1:4040",
		"LMRSbh/L6qwlUcHJpdZ5caO7wsxGqD+OpGeAOwc+SSU3OJYuaUttNXwt0/F4ndBOmDkLBEN49tUQlerku6Gs9zc8",
	}
	perl := [2]string{ // what the Perl seed sent
		"aemp;1;seed;tls_sha3_512,hmac_sha3_512,tls_anon,cleartext;cbor,json,storable;gproto=1;provider=AE-2.02;peeraddr=127.0.0.1:43936;mproto=1",
		"9xmOYrWqlWP3b47KWbuAkNI3pWDtg7UbgrbkRVKHqbT/KM0owL/6o1NlxGpGZl3BAV/YWi5e+sLou5mz3749eD0m",
	}
	perlAuth := protocol.ParseAuthLine("hmac_sha3_512;2bcf20b35e3cf4da18eb4cb3e0a0f80096c7fae9a0205707901d4f8d07ec076021bd9e24271e899bf3af168b62cc37df01d4e891dce69fa0ab4299871ee4d14d;json")

	err := protocol.VerifyToken(perlAuth, protocol.DefaultAuthAccept(), secret, client, perl, false)
	fmt.Println("Perl's token verifies:", err == nil, "- Perl will send", perlAuth.Framing)

	// The token we send back is the one the client sent in the recording.
	ours, _ := protocol.LocalToken(protocol.AuthHMAC, secret, client, perl, false)
	fmt.Println("our token:", ours[:16]+"...")
	// Output:
	// Perl's token verifies: true - Perl will send json
	// our token: 1e2b7c16f6ffc89e...
}

// AppendCBOR and AppendJSON write a message as CBOR::XS and JSON::XS write
// the same Perl values: a pure ASCII string is a CBOR byte string (0x46
// "seed#a"), and a float is an integer when it is whole, float32 (0xfa) when
// that is exact, else float64; CBOR::XS never writes float16.
func ExampleAppendCBOR() {
	m := protocol.Message{Port: "seed#a", Data: []any{"ping", 42, 2.5, nil, true}}
	c, _ := protocol.AppendCBOR(nil, m)
	j, _ := protocol.AppendJSON(nil, m)
	fmt.Printf("cbor: % x\n", c)
	fmt.Printf("json: %s\n", j)
	// Output:
	// cbor: 86 46 73 65 65 64 23 61 44 70 69 6e 67 18 2a fa 40 20 00 00 f6 f5
	// json: ["seed#a","ping",42,2.5,null,true]
}

// A stream of messages in one framing: the JSON framing concatenates arrays
// with no delimiter, and Decode returns io.EOF at the clean end.
func ExampleNewDecoder() {
	stream := []byte(`["","time","pyhmac#t1"]["pyhmac#t1",1795534620.8171,"seed"]`)
	d, err := protocol.NewDecoder(protocol.FramingJSON, bytes.NewReader(stream))
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		m, err := d.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("bad frame:", err)
			return
		}
		fmt.Printf("to %q: %v\n", m.Port, m.Data)
	}

	// The same works for CBOR: encode with the framing's Appender, decode back.
	enc, _ := protocol.Appender(protocol.FramingCBOR)
	b, _ := enc(nil, protocol.Message{Port: "seed#a", Data: []any{"ping", 42}})
	cd, _ := protocol.NewDecoder(protocol.FramingCBOR, bytes.NewReader(b))
	m, err := cd.Decode()
	fmt.Printf("cbor: to %q: %v, %v\n", m.Port, m.Data, err)
	// Output:
	// to "": [time pyhmac#t1]
	// to "pyhmac#t1": [1.7955346208171e+09 seed]
	// cbor: to "seed#a": [ping 42], <nil>
}
