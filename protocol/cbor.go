package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
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
// fxamacker/cbor decodes the stream, but it cannot write what CBOR::XS
// writes (its shortest-float mode picks float16, CBOR::XS never does, and
// it has no "byte string for ASCII" rule), so the encoder is ours.
func AppendCBOR(dst []byte, m Message) ([]byte, error) {
	dst = cborHead(dst, cborArray, uint64(1+len(m.Data)))
	dst = appendCBORString(dst, m.Port)
	var err error
	for _, v := range m.Data {
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
func appendCBORString(dst []byte, s string) []byte {
	major := byte(cborBytes)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if utf8.ValidString(s) {
				major = cborText
			}
			break
		}
	}
	dst = cborHead(dst, major, uint64(len(s)))
	return append(dst, s...)
}

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

// cborDecMode decodes into the Message value model. Byte strings become Go
// strings (CBOR::XS sends nearly every Perl string as one, map keys
// included); invalid UTF-8 in text strings is accepted because CBOR::XS
// does not validate it either. Limits keep a hostile peer from making us
// allocate without bound.
var cborDecMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DefaultByteStringType: reflect.TypeOf(""),
		MapKeyByteString:      cbor.MapKeyByteStringAllowed,
		UTF8:                  cbor.UTF8DecodeInvalid,
		MaxNestedLevels:       256,
		MaxArrayElements:      1 << 24,
		MaxMapPairs:           1 << 24,
		IndefLength:           cbor.IndefLengthAllowed,
		TagsMd:                cbor.TagsAllowed,
		DupMapKey:             cbor.DupMapKeyQuiet,
		NaN:                   cbor.NaNDecodeAllowed,
		Inf:                   cbor.InfDecodeAllowed,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// CBORDecoder reads concatenated CBOR arrays from a stream (CBOR::XS
// incr_parse_multiple on the Perl side).
type CBORDecoder struct {
	d *cbor.Decoder
}

// NewCBORDecoder returns a decoder reading from r.
func NewCBORDecoder(r io.Reader) *CBORDecoder {
	if _, ok := r.(*bufio.Reader); !ok {
		r = bufio.NewReaderSize(r, 64<<10)
	}
	return &CBORDecoder{d: cborDecMode.NewDecoder(r)}
}

// Decode returns the next message; io.EOF at a clean end of the stream, an
// error wrapping ErrBadFrame for bytes that are not a CBOR array.
func (c *CBORDecoder) Decode() (Message, error) {
	var v any
	if err := c.d.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return Message{}, io.EOF
		}
		if isNetError(err) {
			return Message{}, err
		}
		return Message{}, fmt.Errorf("%w: cbor: %v", ErrBadFrame, err)
	}
	nv, err := normalizeCBOR(v)
	if err != nil {
		return Message{}, err
	}
	return messageFromArray(nv)
}

// DecodeCBORValue decodes one CBOR item into the value model (for tests
// and tools).
func DecodeCBORValue(b []byte) (any, error) {
	var v any
	if err := cborDecMode.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%w: cbor: %v", ErrBadFrame, err)
	}
	return normalizeCBOR(v)
}

// normalizeCBOR maps what fxamacker/cbor produces onto the value model:
// map[any]any to map[string]any (keys stringified as Perl stringifies hash
// keys), small uint64 to int64, tags to their content (CBOR::XS peers only
// tag Perl objects, which have no meaning here), date/time tags to Unix
// seconds, bignums to float64.
func normalizeCBOR(v any) (any, error) {
	switch x := v.(type) {
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
		return x, nil
	case []byte:
		return string(x), nil
	case []any:
		for i, e := range x {
			n, err := normalizeCBOR(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
		return x, nil
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := PerlString(k)
			if !ok {
				return nil, fmt.Errorf("%w: cbor map key of type %T", ErrBadFrame, k)
			}
			n, err := normalizeCBOR(e)
			if err != nil {
				return nil, err
			}
			m[ks] = n
		}
		return m, nil
	case cbor.Tag:
		return normalizeCBOR(x.Content)
	case time.Time:
		// fxamacker decodes tags 0 and 1 (date/time) itself; like every
		// other tag they stand for their content here: Unix seconds.
		return float64(x.UnixNano()) / 1e9, nil
	case big.Int:
		f, _ := new(big.Float).SetInt(&x).Float64()
		return f, nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, nil
	case cbor.SimpleValue:
		return nil, nil
	case float32:
		return float64(x), nil
	case int8, int16, int32, uint8, uint16, uint32:
		return reflect.ValueOf(x).Convert(reflect.TypeOf(int64(0))).Interface(), nil
	}
	return v, nil
}
