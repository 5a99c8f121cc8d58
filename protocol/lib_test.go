package protocol

// The library-based decoders aemp-go used before its own stream decoders,
// kept as the reference the differential fuzz targets and tests compare
// against (goccy/go-json and fxamacker/cbor, then normalisation into the
// value model).
//
// Where the rules changed on purpose, the reference applies the new rule
// too, so that both must agree:
//   - CBOR tags 0 and 1 decode to their content (fxamacker turns them into
//     time.Time and fails on a string that is not a date or a number out
//     of range, which dropped the connection), and tags 2 and 3 on
//     anything but a byte string too (fxamacker refuses them): the
//     reference rewrites those tag numbers to 6, an unassigned tag, before
//     decoding (rewriteTimeTags).
//   - CBOR map keys are normalised like values before they are
//     stringified (a tagged or simple-value key is its content).
// And where the reference cannot decide, it says so (errRefAmbiguous).

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"os"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"
	json "github.com/goccy/go-json"
)

// errRefAmbiguous: two different CBOR keys of one map stringify to the
// same string, and fxamacker's map[any]any has lost which came last (the
// one Perl and the stream decoder keep).
var errRefAmbiguous = errors.New("reference: map keys collide after stringification")

type libJSONDecoder struct {
	d *json.Decoder
}

func newLibJSONDecoder(r io.Reader) *libJSONDecoder {
	if _, ok := r.(*bufio.Reader); !ok {
		r = bufio.NewReaderSize(r, 64<<10)
	}
	d := json.NewDecoder(r)
	d.UseNumber()
	return &libJSONDecoder{d: d}
}

func (j *libJSONDecoder) Decode() (Message, error) {
	var v any
	if err := j.d.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return Message{}, io.EOF
		}
		var se *json.SyntaxError
		if errors.As(err, &se) || !isNetError(err) {
			return Message{}, fmt.Errorf("%w: json: %v", ErrBadFrame, err)
		}
		return Message{}, err
	}
	return messageFromArray(normalizeJSON(v))
}

// normalizeJSON replaces json.Number by int64, uint64 or float64 in place.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		return ParseNumber(string(x))
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
	}
	return v
}

var libCBORDecMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DefaultByteStringType: reflect.TypeOf(""),
		MapKeyByteString:      cbor.MapKeyByteStringAllowed,
		UTF8:                  cbor.UTF8DecodeInvalid,
		MaxNestedLevels:       DefaultMaxDepth,
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

type libCBORDecoder struct {
	d *cbor.Decoder
}

// newLibCBORDecoder reads r, which must already have passed through
// rewriteTimeTags.
func newLibCBORDecoder(r io.Reader) *libCBORDecoder {
	if _, ok := r.(*bufio.Reader); !ok {
		r = bufio.NewReaderSize(r, 64<<10)
	}
	return &libCBORDecoder{d: libCBORDecMode.NewDecoder(r)}
}

func (c *libCBORDecoder) Decode() (Message, error) {
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

// normalizeCBOR maps what fxamacker/cbor produces onto the value model.
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
			nk, err := normalizeCBOR(k)
			if err != nil {
				return nil, err
			}
			ks, ok := PerlString(nk)
			if !ok {
				return nil, fmt.Errorf("%w: cbor map key of type %T", ErrBadFrame, k)
			}
			if _, dup := m[ks]; dup {
				return nil, errRefAmbiguous
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
		panic("reference: time tag not rewritten")
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

// isNetError tells transport errors (which end a stream normally or
// abnormally) apart from decoding errors (which mean bad bytes).
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}

// rewriteTimeTags returns a copy of a CBOR stream in which tags 0 and 1,
// and tags 2 and 3 on anything but a byte string, carry number 6 instead
// (same head length), so that fxamacker decodes them to their content like
// the stream decoder does. It walks items until the bytes end or stop
// being well-formed; the rest is copied as is.
func rewriteTimeTags(in []byte) []byte {
	b := append([]byte(nil), in...)
	w := tagWalker{b: b}
	for w.i < len(b) && w.item(0) {
	}
	return b
}

type tagWalker struct {
	b []byte
	i int
}

// head decodes the head at w.i without moving.
func (w *tagWalker) head() (major, ai byte, arg uint64, n int, ok bool) {
	b, i := w.b, w.i
	if i >= len(b) {
		return
	}
	major, ai = b[i]>>5, b[i]&31
	sizes := map[byte]int{24: 1, 25: 2, 26: 4, 27: 8}
	switch {
	case ai < 24:
		return major, ai, uint64(ai), 1, true
	case ai <= 27:
		k := sizes[ai]
		if i+1+k > len(b) {
			return 0, 0, 0, 0, false
		}
		var buf [8]byte
		copy(buf[8-k:], b[i+1:i+1+k])
		return major, ai, binary.BigEndian.Uint64(buf[:]), 1 + k, true
	case ai == 31:
		return major, ai, 0, 1, true
	}
	return 0, 0, 0, 0, false
}

// setArg rewrites the argument of the head at off (of length n) to v.
func (w *tagWalker) setArg(off, n int, v uint64) {
	if n == 1 {
		w.b[off] = w.b[off]&0xe0 | byte(v)
		return
	}
	for k := n - 1; k >= 1; k-- {
		w.b[off+k] = byte(v)
		v >>= 8
	}
}

// item walks one item; false when the input is malformed or ends.
func (w *tagWalker) item(depth int) bool {
	if depth > 2*DefaultMaxDepth {
		return false
	}
	major, ai, arg, n, ok := w.head()
	if !ok || ai == 31 && (major < 2 || major >= 6) {
		return false
	}
	off := w.i
	w.i += n
	switch major {
	case 2, 3:
		if ai == 31 {
			return w.untilBreak(depth)
		}
		if arg > uint64(len(w.b)-w.i) {
			return false
		}
		w.i += int(arg)
	case 4, 5:
		if ai == 31 {
			return w.untilBreak(depth)
		}
		if major == 5 {
			if arg > uint64(len(w.b)) {
				return false
			}
			arg *= 2
		}
		for k := uint64(0); k < arg; k++ {
			if !w.item(depth + 1) {
				return false
			}
		}
	case 6:
		if w.i >= len(w.b) {
			return false
		}
		if arg <= 1 || (arg == 2 || arg == 3) && w.b[w.i]>>5 != 2 {
			w.setArg(off, n, 6)
		}
		return w.item(depth + 1)
	}
	return true
}

func (w *tagWalker) untilBreak(depth int) bool {
	for {
		if w.i >= len(w.b) {
			return false
		}
		if w.b[w.i] == 0xff {
			w.i++
			return true
		}
		if !w.item(depth + 1) {
			return false
		}
	}
}
