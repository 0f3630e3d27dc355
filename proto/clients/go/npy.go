package keyfold

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// NpyMediaType is the media type of NumPy .npy bodies (docs/npy.md).
const NpyMediaType = "application/x-npy"

// The .npy descr of each dtype, little-endian, as numpy.save writes them.
var npyDescr = map[DType]string{
	Float32: "<f4", Int32: "<i4", Uint32: "<u4", Bool: "|b1", Uint8: "|u1", Uint16: "<u2", Uint64: "<u8",
}

// EncodeNpy returns the tensor as a .npy file: format 1.0, C order, little-endian, with
// numpy.save's header layout (room for the first dimension to grow to 21 digits, padded with
// spaces and a newline so the data starts at a multiple of 64 bytes). These are the bytes
// numpy.save writes for the same array, and the bytes keyfoldd answers.
func EncodeNpy(t *Tensor) ([]byte, error) {
	data, err := t.Bytes()
	if err != nil {
		return nil, err
	}
	descr, ok := npyDescr[t.DType]
	if !ok {
		return nil, fmt.Errorf("keyfold: dtype %q has no .npy descr", t.DType)
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(t.Shape) == 1 {
		shape += "," // a Python 1-tuple
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	if len(t.Shape) > 0 {
		// numpy's room for the first dimension to grow; with keyfold's dtypes and at most 8
		// dimensions of an int64-sized array it never moves the 64-byte boundary, but it is
		// numpy's rule, so it is followed
		header += strings.Repeat(" ", 21-len(dims[0]))
	}
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	out := make([]byte, 0, 10+len(header)+len(data))
	out = append(out, "\x93NUMPY\x01\x00"...)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(header)))
	out = append(out, header...)
	return append(out, data...), nil
}

// DecodeNpy reads a .npy file (format 1.0, 2.0 or 3.0, C order) whose descr is one of the
// API's dtypes. The header is read by a strict parser of the dict numpy writes (nothing is
// evaluated); anything else (Fortran order, big-endian or other dtypes, truncated or trailing
// data) is an error.
func DecodeNpy(b []byte) (*Tensor, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("keyfold: not a .npy file")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, fmt.Errorf("keyfold: truncated .npy preamble")
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, fmt.Errorf("keyfold: .npy version %d.%d is not 1.0, 2.0 or 3.0", b[6], b[7])
	}
	if len(b) < start+hlen {
		return nil, fmt.Errorf("keyfold: truncated .npy header")
	}
	descr, fortran, shape, err := parseNpyHeader(string(b[start : start+hlen]))
	if err != nil {
		return nil, err
	}
	if fortran {
		return nil, fmt.Errorf("keyfold: .npy in Fortran order is not supported")
	}
	var dtype DType
	for d, s := range npyDescr {
		if s == descr {
			dtype = d
		}
	}
	if dtype == "" {
		return nil, fmt.Errorf("keyfold: .npy descr %q is not a keyfold dtype", descr)
	}
	return TensorFromBytes(dtype, shape, b[start+hlen:])
}

// parseNpyHeader reads {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } (keys in
// any order, each exactly once, trailing spaces and newline allowed).
func parseNpyHeader(h string) (descr string, fortran bool, shape []int, err error) {
	p := &npyParser{s: strings.TrimRight(h, " \n")}
	fail := func(what string) (string, bool, []int, error) {
		return "", false, nil, fmt.Errorf("keyfold: bad .npy header %q: %s", h, what)
	}
	if !p.eat("{") {
		return fail("no dict")
	}
	seen := map[string]bool{}
	for !p.eat("}") {
		key, ok := p.str()
		if !ok || seen[key] || !p.eat(":") {
			return fail("bad key")
		}
		seen[key] = true
		switch key {
		case "descr":
			if descr, ok = p.str(); !ok {
				return fail("bad descr")
			}
		case "fortran_order":
			switch {
			case p.eat("False"):
				fortran = false
			case p.eat("True"):
				fortran = true
			default:
				return fail("bad fortran_order")
			}
		case "shape":
			if shape, ok = p.tuple(); !ok {
				return fail("bad shape")
			}
		default:
			return fail("unknown key " + key)
		}
		if !p.eat(",") && !strings.HasPrefix(p.s, "}") {
			return fail("missing comma")
		}
	}
	if len(seen) != 3 || p.s != "" {
		return fail("not exactly descr, fortran_order and shape")
	}
	return descr, fortran, shape, nil
}

type npyParser struct{ s string }

func (p *npyParser) eat(tok string) bool {
	p.s = strings.TrimLeft(p.s, " ")
	if strings.HasPrefix(p.s, tok) {
		p.s = p.s[len(tok):]
		return true
	}
	return false
}

func (p *npyParser) str() (string, bool) {
	if !p.eat("'") {
		return "", false
	}
	i := strings.IndexByte(p.s, '\'')
	if i < 0 {
		return "", false
	}
	v := p.s[:i]
	p.s = p.s[i+1:]
	return v, true
}

func (p *npyParser) tuple() ([]int, bool) {
	if !p.eat("(") {
		return nil, false
	}
	dims := []int{}
	for !p.eat(")") {
		p.s = strings.TrimLeft(p.s, " ")
		i := 0
		for i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' {
			i++
		}
		d, err := strconv.Atoi(p.s[:i])
		if err != nil {
			return nil, false
		}
		p.s = p.s[i:]
		dims = append(dims, d)
		if !p.eat(",") && !strings.HasPrefix(strings.TrimLeft(p.s, " "), ")") {
			return nil, false
		}
	}
	return dims, true
}
