package keyfold

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Reading a float32 as the API defines it (text -> double -> float32) must give back every
// float32 from its shortest round-trip text, the form the daemon prints. Double rounding could
// in principle differ from a direct decimal -> float32 rounding; for texts of at most 9
// significant digits it cannot, and this checks it on random bit patterns and the edges.
func TestParseFloat32IsExactForShortestText(t *testing.T) {
	edges := []uint32{
		0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff,
		0xff7fffff, 0x3f800000, 0x3f7fffff, 0x3f800001, 0x4b7fffff, 0x4b800000, 0x4b800001,
		0x33800000, 0x34000000, 0x3dcccccd, 0x3f41b90d, 0xbf2f8a12,
	}
	rng := rand.New(rand.NewSource(1))
	n := 2000000
	if testing.Short() {
		n = 100000
	}
	check := func(bits uint32) {
		x := math.Float32frombits(bits)
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return
		}
		s := FormatFloat32(x)
		got, err := ParseFloat32(json.RawMessage(s))
		if err != nil {
			t.Fatalf("%08x: %q: %v", bits, s, err)
		}
		direct, _ := strconv.ParseFloat(s, 32)
		if math.Float32bits(got) != bits || math.Float32bits(float32(direct)) != bits {
			t.Fatalf("%08x -> %q -> %08x (direct %08x)", bits, s, math.Float32bits(got),
				math.Float32bits(float32(direct)))
		}
	}
	for _, b := range edges {
		check(b)
	}
	for i := 0; i < n; i++ {
		check(rng.Uint32())
	}
}

// The daemon's own forms (always with a "." or an exponent, e.g. "3.0", "1e-45", "0.0") and
// the API's strings for non-finite values read as the float32 they denote.
func TestParseFloat32DaemonForms(t *testing.T) {
	cases := map[string]uint32{
		"0.0": 0, "-0.0": 0x80000000, "3.0": 0x40400000, "1e-45": 1, "0.7567299": 0x3f41b90d,
		"-0.68570054": 0xbf2f8a12, "3.4028235e+38": 0x7f7fffff, "3.4028235e38": 0x7f7fffff,
		`"Infinity"`: 0x7f800000, `"-Infinity"`: 0xff800000,
	}
	for s, want := range cases {
		got, err := ParseFloat32(json.RawMessage(s))
		if err != nil || math.Float32bits(got) != want {
			t.Errorf("%s: got %08x, %v; want %08x", s, math.Float32bits(got), err, want)
		}
	}
	if v, err := ParseFloat32(json.RawMessage(`"NaN"`)); err != nil || !math.IsNaN(float64(v)) {
		t.Errorf("NaN: %v %v", v, err)
	}
	if _, err := ParseFloat32(json.RawMessage(`"1.5"`)); err == nil {
		t.Errorf("a quoted number must not be read as a float32")
	}
}

func TestTensorJSONRoundTrip(t *testing.T) {
	cases := []*Tensor{
		NewFloat32([]int{2, 2}, []float32{0.1, -2.5e-38, float32(math.Inf(1)), float32(math.Copysign(0, -1))}),
		NewInt32([]int{3}, []int32{-1, math.MaxInt32, math.MinInt32}),
		{DType: Uint32, Shape: []int{}, Data: []uint32{4294967295}},
		{DType: Bool, Shape: []int{2}, Data: []bool{true, false}},
		{DType: Uint64, Shape: []int{2}, Data: []uint64{0, math.MaxUint64}},
		{DType: Uint16, Shape: []int{1}, Data: []uint16{65535}},
		{DType: Uint8, Shape: []int{1}, Data: []uint8{255}},
	}
	for _, c := range cases {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		var back Tensor
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		want, _ := c.Bytes()
		got, _ := back.Bytes()
		if back.DType != c.DType || !reflect.DeepEqual(back.Shape, c.Shape) || string(got) != string(want) {
			t.Errorf("%s read back as %v", b, &back)
		}
	}
	// the wire forms the API fixes: uint64 as decimal strings, non-finite floats as strings
	b, _ := json.Marshal(cases[4])
	if string(b) != `{"shape":[2],"dtype":"uint64","data":["0","18446744073709551615"]}` {
		t.Errorf("uint64 written as %s", b)
	}
	b, _ = json.Marshal(NewFloat32([]int{3}, []float32{float32(math.NaN()), float32(math.Inf(-1)), 0.947667}))
	if string(b) != `{"shape":[3],"dtype":"float32","data":["NaN","-Infinity",0.947667]}` {
		t.Errorf("float32 written as %s", b)
	}
	// a Tensor value (not a pointer) in a body is written in the API's form too
	b, _ = json.Marshal(map[string]interface{}{"x": *NewInt32([]int{1}, []int32{7})})
	if string(b) != `{"x":{"shape":[1],"dtype":"int32","data":[7]}}` {
		t.Errorf("a Tensor value written as %s", b)
	}
	if _, err := json.Marshal(NewFloat32([]int{2}, []float32{1})); err == nil {
		t.Errorf("a tensor whose data does not fill its shape must not be sent")
	}
	var bad Tensor
	if err := json.Unmarshal([]byte(`{"shape":[1],"dtype":"int32","data":[2147483648]}`), &bad); err == nil {
		t.Errorf("an int32 element out of range must be refused")
	}
}

// The .npy files of testdata/npy were written by numpy.save (numpy 2.4); EncodeNpy must give
// the same bytes and DecodeNpy the same array.
func TestNpyMatchesNumpy(t *testing.T) {
	want := map[string]*Tensor{
		"float32_2x3.npy": NewFloat32([]int{2, 3}, []float32{0.5, -1.25, math.MaxFloat32,
			math.Float32frombits(1), float32(math.Copysign(0, -1)), float32(math.Inf(1))}),
		"int32_3.npy":         NewInt32([]int{3}, []int32{-1, math.MaxInt32, math.MinInt32}),
		"uint32_scalar.npy":   {DType: Uint32, Shape: []int{}, Data: []uint32{4294967295}},
		"bool_2x2.npy":        {DType: Bool, Shape: []int{2, 2}, Data: []bool{true, false, false, true}},
		"uint64_2.npy":        {DType: Uint64, Shape: []int{2}, Data: []uint64{0, math.MaxUint64}},
		"float32_0x4.npy":     NewFloat32([]int{0, 4}, []float32{}),
		"float32_12345x0.npy": NewFloat32([]int{12345, 0}, []float32{}),
	}
	for file, tensor := range want {
		numpy, err := os.ReadFile(filepath.Join("testdata", "npy", file))
		if err != nil {
			t.Fatal(err)
		}
		enc, err := EncodeNpy(tensor)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if string(enc) != string(numpy) {
			t.Errorf("%s: EncodeNpy differs from numpy.save:\n got %q\nwant %q", file, enc, numpy)
		}
		dec, err := DecodeNpy(numpy)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		a, _ := dec.Bytes()
		b, _ := tensor.Bytes()
		if dec.DType != tensor.DType || !reflect.DeepEqual(dec.Shape, tensor.Shape) || string(a) != string(b) {
			t.Errorf("%s decoded as %v", file, dec)
		}
	}
}

func TestDecodeNpyRefusesWhatItCannotRepresent(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "npy", "int32_3.npy"))
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte {
		s := string(good)
		i := len("\x93NUMPY") + 4
		h := s[i:]
		j := strings.Index(h, old)
		if j < 0 {
			t.Fatalf("%q not in header", old)
		}
		return []byte(s[:i] + h[:j] + new + h[j+len(old):])
	}
	bad := map[string][]byte{
		"truncated data":  good[:len(good)-1],
		"trailing data":   append(append([]byte{}, good...), 0),
		"big-endian":      replace("'<i4'", "'>i4'"),
		"fortran order":   replace("False", "True "),
		"float64":         replace("'<i4'", "'<f8'"),
		"not npy":         []byte("PK\x03\x04 zip"),
		"unknown version": append([]byte("\x93NUMPY\x04\x00"), good[8:]...),
	}
	for what, b := range bad {
		if _, err := DecodeNpy(b); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}

func TestErrorFromResponse(t *testing.T) {
	e := errorFromResponse(404, http.Header{}, []byte(`{"error":{"code":"not_found","message":"no session 'x'"}}`))
	if !errors.Is(e, ErrNotFound) || errors.Is(e, ErrInvalidArgument) || e.Message != "no session 'x'" {
		t.Errorf("API body: %#v", e)
	}
	// the Open Inference Protocol's body and libmicrohttpd's HTML pages: the code of the status
	e = errorFromResponse(400, http.Header{}, []byte(`{"error":"bad shape"}`))
	if !errors.Is(e, ErrInvalidArgument) || e.Message != "bad shape" {
		t.Errorf("OIP body: %#v", e)
	}
	e = errorFromResponse(413, http.Header{}, []byte("<html>too large</html>"))
	if !errors.Is(e, ErrPayloadTooLarge) || e.Message != "<html>too large</html>" {
		t.Errorf("HTML body: %#v", e)
	}
	// 409 has two codes: without one, neither sentinel matches
	e = errorFromResponse(409, http.Header{}, nil)
	if errors.Is(e, ErrAlreadyExists) || errors.Is(e, ErrFailedPrecondition) || e.Code != "http_409" {
		t.Errorf("409 without a code: %#v", e)
	}
	for _, s := range ErrorCodes {
		if SentinelFor(s.Code) != s {
			t.Errorf("SentinelFor(%q)", s.Code)
		}
	}
}
