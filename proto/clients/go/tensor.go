package keyfold

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// DType is a tensor's element type, as the API names it.
type DType string

// The dtypes of the API. Forward inputs are float32 (or int32 for a model that starts with an
// embed layer); bits answers uint8..uint64 by bit_width.
const (
	Float32 DType = "float32"
	Int32   DType = "int32"
	Uint32  DType = "uint32"
	Bool    DType = "bool"
	Uint8   DType = "uint8"
	Uint16  DType = "uint16"
	Uint64  DType = "uint64"
)

// itemSize is the bytes per element of a dtype (0 for an unknown one).
func (d DType) itemSize() int {
	switch d {
	case Float32, Int32, Uint32:
		return 4
	case Bool, Uint8:
		return 1
	case Uint16:
		return 2
	case Uint64:
		return 8
	}
	return 0
}

// Tensor is an array: its dtype, its shape and its elements flat in row-major order. Data holds
// exactly one typed slice matching DType: []float32, []int32, []uint32, []bool, []uint8,
// []uint16 or []uint64. float32 elements are the exact float32 values the daemon computed (the
// JSON text is read back bit for bit, see ParseFloat32).
type Tensor struct {
	DType DType
	Shape []int
	Data  interface{}
}

// NewFloat32 returns a float32 tensor of the given shape.
func NewFloat32(shape []int, data []float32) *Tensor {
	return &Tensor{DType: Float32, Shape: shape, Data: data}
}

// NewInt32 returns an int32 tensor of the given shape.
func NewInt32(shape []int, data []int32) *Tensor {
	return &Tensor{DType: Int32, Shape: shape, Data: data}
}

// Float32s returns the elements of a float32 tensor (nil for another dtype).
func (t *Tensor) Float32s() []float32 { v, _ := t.Data.([]float32); return v }

// Int32s returns the elements of an int32 tensor (nil for another dtype).
func (t *Tensor) Int32s() []int32 { v, _ := t.Data.([]int32); return v }

// Uint32s returns the elements of a uint32 tensor (nil for another dtype).
func (t *Tensor) Uint32s() []uint32 { v, _ := t.Data.([]uint32); return v }

// Bools returns the elements of a bool tensor (nil for another dtype).
func (t *Tensor) Bools() []bool { v, _ := t.Data.([]bool); return v }

// Size is the number of elements the shape holds (1 for a scalar, shape []).
func (t *Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// sliceTypes is the Go type of Data for each dtype.
var sliceTypes = map[DType]reflect.Type{
	Float32: reflect.TypeOf([]float32(nil)), Int32: reflect.TypeOf([]int32(nil)),
	Uint32: reflect.TypeOf([]uint32(nil)), Bool: reflect.TypeOf([]bool(nil)),
	Uint8: reflect.TypeOf([]uint8(nil)), Uint16: reflect.TypeOf([]uint16(nil)),
	Uint64: reflect.TypeOf([]uint64(nil)),
}

// Len is the number of elements in Data, or -1 when Data does not hold the slice type of DType.
func (t *Tensor) Len() int {
	if t.Data == nil || reflect.TypeOf(t.Data) != sliceTypes[t.DType] {
		return -1
	}
	return reflect.ValueOf(t.Data).Len()
}

// Validate checks that Data holds the slice type of DType with one element per place of Shape.
func (t *Tensor) Validate() error {
	if t == nil {
		return fmt.Errorf("keyfold: nil tensor")
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("keyfold: tensor shape %v has a negative dimension", t.Shape)
		}
	}
	n := t.Len()
	if n < 0 {
		return fmt.Errorf("keyfold: tensor of dtype %q holds %T", t.DType, t.Data)
	}
	if n != t.Size() {
		return fmt.Errorf("keyfold: tensor of shape %v needs %d elements, has %d", t.Shape, t.Size(), n)
	}
	return nil
}

// Bytes returns the elements as row-major little-endian bytes: float32 as its exact bit
// pattern, integers as two's complement, bool as one byte 0 or 1. This is the data part of the
// tensor's .npy file and the "hex" of the conformance suite's normalized form.
func (t *Tensor) Bytes() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(t.Size() * t.DType.itemSize())
	if t.DType == Bool {
		for _, b := range t.Data.([]bool) {
			if b {
				buf.WriteByte(1)
			} else {
				buf.WriteByte(0)
			}
		}
		return buf.Bytes(), nil
	}
	// binary.Write handles every other typed slice, little-endian, without reflection per element
	if err := binary.Write(&buf, binary.LittleEndian, t.Data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TensorFromBytes builds a tensor from row-major little-endian element bytes (the inverse of
// Bytes). A bool byte other than 0 or 1 is refused, as numpy's |b1 holds only those.
func TensorFromBytes(dtype DType, shape []int, b []byte) (*Tensor, error) {
	size := dtype.itemSize()
	if size == 0 {
		return nil, fmt.Errorf("keyfold: unknown dtype %q", dtype)
	}
	t := &Tensor{DType: dtype, Shape: append([]int{}, shape...)}
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("keyfold: shape %v has a negative dimension", shape)
		}
	}
	n := t.Size()
	if len(b) != n*size {
		return nil, fmt.Errorf("keyfold: %d bytes of %s do not fill shape %v", len(b), dtype, shape)
	}
	if dtype == Bool {
		v := make([]bool, n)
		for i, c := range b {
			if c > 1 {
				return nil, fmt.Errorf("keyfold: bool byte %d is %d, not 0 or 1", i, c)
			}
			v[i] = c == 1
		}
		t.Data = v
		return t, nil
	}
	t.Data = reflect.MakeSlice(sliceTypes[dtype], n, n).Interface()
	r := bytes.NewReader(b)
	if err := binary.Read(r, binary.LittleEndian, t.Data); err != nil {
		return nil, err
	}
	return t, nil
}

// FormatFloat32 is the shortest decimal text that reads back as x: strconv's shortest
// round-trip form for bitSize 32, so every float32 is sent exactly. Non-finite values give the
// API's strings NaN, Infinity and -Infinity (which the daemon refuses in inputs).
func FormatFloat32(x float32) string {
	f := float64(x)
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 32)
}

// ParseFloat32 reads a float32 element of a JSON reply the way the API defines it: the number
// parsed as a double, then rounded to float32. That double rounding is exact for the text the
// daemon prints (the shortest round-trip form of a float32, at most 9 significant digits):
// tensor_test.go checks it against strconv's direct float32 parse for millions of patterns.
// The strings "NaN", "Infinity" and "-Infinity" are the non-finite values.
func ParseFloat32(raw json.RawMessage) (float32, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		switch s {
		case "NaN":
			return float32(math.NaN()), nil
		case "Infinity":
			return float32(math.Inf(1)), nil
		case "-Infinity":
			return float32(math.Inf(-1)), nil
		}
		return 0, fmt.Errorf("keyfold: %q is not a float32", s)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fmt.Errorf("keyfold: %s is not a float32: %w", raw, err)
	}
	return float32(f), nil
}

// MarshalJSON writes the API's tensor object. float32 elements are written with FormatFloat32
// (exact); uint64 elements as decimal strings, as the API has them.
// It has a value receiver so that a Tensor (not only a *Tensor) placed in a request body is
// written in the API's form.
func (t Tensor) MarshalJSON() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	shape := t.Shape
	if shape == nil {
		shape = []int{}
	}
	var b bytes.Buffer
	sh, _ := json.Marshal(shape)
	fmt.Fprintf(&b, `{"shape":%s,"dtype":%q,"data":[`, sh, t.DType)
	rv := reflect.ValueOf(t.Data)
	for i, n := 0, rv.Len(); i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		switch e := rv.Index(i); e.Kind() {
		case reflect.Float32:
			x := float32(e.Float())
			s := FormatFloat32(x)
			if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
				s = strconv.Quote(s) // the API's "NaN", "Infinity", "-Infinity"
			}
			b.WriteString(s)
		case reflect.Int32:
			b.WriteString(strconv.FormatInt(e.Int(), 10))
		case reflect.Uint64:
			b.WriteString(strconv.Quote(strconv.FormatUint(e.Uint(), 10))) // exact in any reader
		case reflect.Bool:
			b.WriteString(strconv.FormatBool(e.Bool()))
		default: // uint8, uint16, uint32
			b.WriteString(strconv.FormatUint(e.Uint(), 10))
		}
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// UnmarshalJSON reads the API's tensor object {"shape", "dtype", "data"}; extra members (the
// key and count of a sample reply) are ignored.
func (t *Tensor) UnmarshalJSON(b []byte) error {
	var w struct {
		Shape []int             `json:"shape"`
		DType DType             `json:"dtype"`
		Data  []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := Tensor{DType: w.DType, Shape: w.Shape}
	if out.Shape == nil {
		out.Shape = []int{}
	}
	n := len(w.Data)
	var err error
	switch w.DType {
	case Float32:
		v := make([]float32, n)
		for i, r := range w.Data {
			if v[i], err = ParseFloat32(r); err != nil {
				return err
			}
		}
		out.Data = v
	case Int32:
		out.Data, err = parseInts[int32](w.Data, 32, true)
	case Uint32:
		out.Data, err = parseInts[uint32](w.Data, 32, false)
	case Uint16:
		out.Data, err = parseInts[uint16](w.Data, 16, false)
	case Uint8:
		out.Data, err = parseInts[uint8](w.Data, 8, false)
	case Uint64:
		v := make([]uint64, n)
		for i, r := range w.Data {
			var s string
			if err = json.Unmarshal(r, &s); err != nil {
				return fmt.Errorf("keyfold: uint64 element %s is not a decimal string", r)
			}
			if v[i], err = strconv.ParseUint(s, 10, 64); err != nil {
				return err
			}
		}
		out.Data = v
	case Bool:
		v := make([]bool, n)
		for i, r := range w.Data {
			if err = json.Unmarshal(r, &v[i]); err != nil {
				return err
			}
		}
		out.Data = v
	default:
		return fmt.Errorf("keyfold: unknown dtype %q", w.DType)
	}
	if err != nil {
		return err
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*t = out
	return nil
}

// parseInts parses JSON integers of the given width, signed or not.
func parseInts[T int32 | uint32 | uint16 | uint8](raw []json.RawMessage, bits int, signed bool) ([]T, error) {
	v := make([]T, len(raw))
	for i, r := range raw {
		var err error
		if signed {
			var x int64
			x, err = strconv.ParseInt(string(r), 10, bits)
			v[i] = T(x)
		} else {
			var x uint64
			x, err = strconv.ParseUint(string(r), 10, bits)
			v[i] = T(x)
		}
		if err != nil {
			return nil, fmt.Errorf("keyfold: element %d: %w", i, err)
		}
	}
	return v, nil
}

// String shows the tensor with float32 elements in their shortest form.
func (t Tensor) String() string {
	if t.DType == Float32 {
		v := t.Float32s()
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = FormatFloat32(x)
		}
		return fmt.Sprintf("Tensor(float32 %v %v)", t.Shape, parts)
	}
	return fmt.Sprintf("Tensor(%s %v %v)", t.DType, t.Shape, t.Data)
}
