package node

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/aemp-go/aemp-go/protocol"
)

// The reflection behind Args.Decode and Args.DecodeAll: a message value of
// the protocol model (nil, bool, int64, uint64, float64, string, []any,
// map[string]any) is stored into a Go value with Perl's scalar conversions.

// fieldError is a mismatch inside one argument; Args turns it into an
// *ArgError with the argument's index.
type fieldError struct {
	path string
	want string
	got  any
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("%s: want %s, got %s", e.path, e.want, describeArg(e.got))
}

// decodeTarget checks that v is a non-nil pointer and returns what it points to.
func decodeTarget(v any) (reflect.Value, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return reflect.Value{}, fmt.Errorf("node: decode needs a non-nil pointer, not %T", v)
	}
	return rv.Elem(), nil
}

// wantOf names what a Go type needs, for errors.
func wantOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer (" + t.Kind().String() + ")"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer (" + t.Kind().String() + ")"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a string"
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "a map"
	case reflect.Pointer:
		return wantOf(t.Elem())
	}
	return "a value for " + t.String()
}

// decodeValue stores raw into rv. path names rv inside the argument.
func decodeValue(path string, raw any, rv reflect.Value) error {
	t := rv.Type()
	mismatch := func() error { return &fieldError{path: path, want: wantOf(t), got: raw} }
	switch t.Kind() {
	case reflect.Interface:
		if raw == nil {
			rv.SetZero()
			return nil
		}
		if !reflect.TypeOf(raw).AssignableTo(t) {
			return mismatch()
		}
		rv.Set(reflect.ValueOf(raw))
	case reflect.Pointer:
		if raw == nil {
			rv.SetZero()
			return nil
		}
		p := reflect.New(t.Elem())
		if err := decodeValue(path, raw, p.Elem()); err != nil {
			return err
		}
		rv.Set(p)
	case reflect.String:
		s, ok := protocol.PerlString(raw)
		if !ok {
			return mismatch()
		}
		rv.SetString(s)
	case reflect.Bool:
		rv.SetBool(protocol.PerlTrue(raw))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := perlInt(raw)
		if !ok || rv.OverflowInt(n) {
			return mismatch()
		}
		rv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, ok := perlUint(raw)
		if !ok || rv.OverflowUint(u) {
			return mismatch()
		}
		rv.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, ok := perlFloat(raw)
		if !ok {
			return mismatch()
		}
		rv.SetFloat(f)
	case reflect.Slice:
		return decodeSlice(path, raw, rv, mismatch)
	case reflect.Map:
		return decodeMap(path, raw, rv, mismatch)
	case reflect.Struct:
		return decodeStruct(path, raw, rv, mismatch)
	default:
		return mismatch()
	}
	return nil
}

// perlUint is perlInt for unsigned targets, with the uint64 values above
// math.MaxInt64 that the decoders produce.
func perlUint(raw any) (uint64, bool) {
	if u, ok := raw.(uint64); ok {
		return u, true
	}
	n, ok := perlInt(raw)
	return uint64(n), ok && n >= 0
}

func decodeSlice(path string, raw any, rv reflect.Value, mismatch func() error) error {
	if rv.Type().Elem().Kind() == reflect.Uint8 { // []byte from a Perl string
		switch x := raw.(type) {
		case nil:
			rv.SetZero()
			return nil
		case string:
			rv.SetBytes([]byte(x))
			return nil
		case []byte:
			rv.SetBytes(append([]byte(nil), x...))
			return nil
		}
		return mismatch()
	}
	switch x := raw.(type) {
	case nil:
		rv.SetZero()
	case []any:
		s := reflect.MakeSlice(rv.Type(), len(x), len(x))
		for i, e := range x {
			if err := decodeValue(path+"["+strconv.Itoa(i)+"]", e, s.Index(i)); err != nil {
				return err
			}
		}
		rv.Set(s)
	default:
		return mismatch()
	}
	return nil
}

func decodeMap(path string, raw any, rv reflect.Value, mismatch func() error) error {
	if rv.Type().Key().Kind() != reflect.String {
		return mismatch()
	}
	switch x := raw.(type) {
	case nil:
		rv.SetZero()
	case map[string]any:
		m := reflect.MakeMapWithSize(rv.Type(), len(x))
		for k, e := range x {
			ev := reflect.New(rv.Type().Elem()).Elem()
			if err := decodeValue(joinPath(path, k), e, ev); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()), ev)
		}
		rv.Set(m)
	default:
		return mismatch()
	}
	return nil
}

func decodeStruct(path string, raw any, rv reflect.Value, mismatch func() error) error {
	m, ok := raw.(map[string]any)
	if !ok {
		if raw == nil { // undef: the zero struct, as Perl's %{ undef } is empty
			rv.SetZero()
			return nil
		}
		return mismatch()
	}
	for _, f := range structFields(rv.Type()) {
		v, found := m[f.key]
		if !found {
			for k, e := range m {
				if strings.EqualFold(k, f.key) {
					v, found = e, true
					break
				}
			}
		}
		if !found {
			continue
		}
		if err := decodeValue(joinPath(path, f.key), v, rv.Field(f.index)); err != nil {
			return err
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// structField is an exported field that takes part in decoding.
type structField struct {
	index  int
	goName string
	key    string // map key: the tag's name or the field name
	rest   bool   // `aemp:",rest"`: DecodeAll's remaining arguments
}

var fieldCache sync.Map // reflect.Type -> []structField

// structFields lists t's decodable fields in declaration order.
func structFields(t reflect.Type) []structField {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]structField)
	}
	var fs []structField
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("aemp")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		fs = append(fs, structField{index: i, goName: sf.Name, key: name, rest: opts == "rest"})
	}
	fieldCache.Store(t, fs)
	return fs
}
