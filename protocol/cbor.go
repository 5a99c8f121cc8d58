package protocol

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// FramingCBOR is the "cbor" framing, the 2.x default: each message is one
// CBOR array as CBOR::XS::encode_cbor writes it, concatenated with no
// delimiter.
const FramingCBOR = "cbor"

// CBOR major types.
const (
	cborUint  = 0 << 5
	cborNeg   = 1 << 5
	cborBytes = 2 << 5
	cborText  = 3 << 5
	cborArray = 4 << 5
	cborMap   = 5 << 5
)

// AppendCBOR appends m in CBOR framing to dst, byte for byte as CBOR::XS
// encodes the same Perl values.
//
// The encoder is ours (and so is the decoder, CBORDecoder): fxamacker/cbor
// cannot write what CBOR::XS writes (its shortest-float mode picks float16, CBOR::XS never does, and
// it has no "byte string for ASCII" rule), so the encoder is ours.
func AppendCBOR(dst []byte, m Message) ([]byte, error) {
	dst = cborHead(dst, cborArray, uint64(1+len(m.Data)))
	return appendCBORElements(appendCBORString(dst, m.Port), m.Data)
}

// appendCBORElements writes the elements of a message after its first.
func appendCBORElements(dst []byte, data []any) ([]byte, error) {
	var err error
	for _, v := range data {
		if dst, err = appendCBORValue(dst, v); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

func cborHead(dst []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(dst, major|byte(n))
	case n <= math.MaxUint8:
		return append(dst, major|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, major|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, major|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, major|27), n)
}

func cborInt(dst []byte, i int64) []byte {
	if i >= 0 {
		return cborHead(dst, cborUint, uint64(i))
	}
	return cborHead(dst, cborNeg, uint64(-(i + 1)))
}

// cborFloat follows CBOR::XS encode_nv: a value that is a whole number in
// U32 range goes out as an integer, one that survives float32 as float32,
// anything else as float64. It never writes float16.
func cborFloat(dst []byte, f float64) []byte {
	if f >= 0 && f <= math.MaxUint32 && f == math.Trunc(f) {
		return cborHead(dst, cborUint, uint64(f))
	}
	if f32 := float32(f); float64(f32) == f {
		return binary.BigEndian.AppendUint32(append(dst, 0xfa), math.Float32bits(f32))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xfb), math.Float64bits(f))
}

// appendCBORString writes s as a byte string when Perl would hold it
// without its UTF-8 flag (pure ASCII, or raw bytes that are not UTF-8) and
// as a text string otherwise; see Message.
//
// A short string (the usual case) is copied a word at a time while its
// bytes are checked, and the head is marked as text afterwards if needed;
// a longer one is checked first and then copied, which is faster there.
func appendCBORString(dst []byte, s string) []byte {
	if len(s) > cborShortString {
		major := byte(cborBytes)
		if !isASCII(s) && utf8.ValidString(s) {
			major = cborText
		}
		return append(cborHead(dst, major, uint64(len(s))), s...)
	}
	head := len(dst)
	dst = cborHead(dst, cborBytes, uint64(len(s)))
	n := len(dst)
	dst = slices.Grow(dst, len(s))[:n+len(s)]
	var or uint64 // every byte's bits, OR-ed together a word at a time
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := load64(s, i)
		or |= w
		binary.LittleEndian.PutUint64(dst[n+i:], w)
	}
	for ; i < len(s); i++ {
		or |= uint64(s[i])
		dst[n+i] = s[i]
	}
	if or&hiBits != 0 && utf8.ValidString(s) {
		dst[head] = dst[head]&^(7<<5) | cborText // same length bits, other major type
	}
	return dst
}

// cborShortString: strings up to this length are copied by
// appendCBORString itself.
const cborShortString = 64

func appendCBORValue(dst []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(dst, 0xf6), nil
	case bool:
		if x {
			return append(dst, 0xf5), nil
		}
		return append(dst, 0xf4), nil
	case string:
		return appendCBORString(dst, x), nil
	case []byte:
		return append(cborHead(dst, cborBytes, uint64(len(x))), x...), nil
	case int64:
		return cborInt(dst, x), nil
	case int:
		return cborInt(dst, int64(x)), nil
	case int32:
		return cborInt(dst, int64(x)), nil
	case uint64:
		return cborHead(dst, cborUint, x), nil
	case uint32:
		return cborHead(dst, cborUint, uint64(x)), nil
	case uint:
		return cborHead(dst, cborUint, uint64(x)), nil
	case float64:
		return cborFloat(dst, x), nil
	case float32:
		return cborFloat(dst, float64(x)), nil
	case []any:
		dst = cborHead(dst, cborArray, uint64(len(x)))
		for _, e := range x {
			if dst, err = appendCBORValue(dst, e); err != nil {
				return nil, err
			}
		}
		return dst, nil
	case []string:
		dst = cborHead(dst, cborArray, uint64(len(x)))
		for _, e := range x {
			dst = appendCBORString(dst, e)
		}
		return dst, nil
	case map[string]any:
		dst = cborHead(dst, cborMap, uint64(len(x)))
		for _, k := range sortedKeys(x) {
			dst = appendCBORString(dst, k)
			if dst, err = appendCBORValue(dst, x[k]); err != nil {
				return nil, err
			}
		}
		return dst, nil
	case map[string]string:
		dst = cborHead(dst, cborMap, uint64(len(x)))
		for _, k := range sortedKeys(x) {
			dst = appendCBORString(dst, k)
			dst = appendCBORString(dst, x[k])
		}
		return dst, nil
	}
	return nil, fmt.Errorf("protocol: cannot encode %T as an AEMP value", v)
}
