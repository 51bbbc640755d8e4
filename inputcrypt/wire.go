package inputcrypt

import "encoding/binary"

// wireReader reads big-endian fields from a message held in memory. Every read checks
// the requested length against the remaining input first and returns a sub-slice of
// the input, so a declared length never causes an allocation.
type wireReader struct {
	b   []byte
	off int
}

func (r *wireReader) remaining() int { return len(r.b) - r.off }

// take returns the next n bytes of the field named what.
func (r *wireReader) take(n int, what string) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, malformed("%s: need %d bytes, %d remaining", what, n, r.remaining())
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v, nil
}

// takeLen returns the next n bytes, where n was read from the input as the length
// of the field named what.
func (r *wireReader) takeLen(n uint64, what string) ([]byte, error) {
	if n > uint64(r.remaining()) {
		return nil, malformed("%s length %d exceeds remaining %d bytes", what, n, r.remaining())
	}
	v := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return v, nil
}

func (r *wireReader) u8(what string) (uint8, error) {
	v, err := r.take(1, what)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (r *wireReader) u16(what string) (uint16, error) {
	v, err := r.take(2, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(v), nil
}

func (r *wireReader) u32(what string) (uint32, error) {
	v, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(v), nil
}

func (r *wireReader) u64(what string) (uint64, error) {
	v, err := r.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// bytes16 reads a field prefixed with a 2-byte big-endian length.
func (r *wireReader) bytes16(what string) ([]byte, error) {
	n, err := r.u16(what + " length")
	if err != nil {
		return nil, err
	}
	return r.takeLen(uint64(n), what)
}

func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func appendBytes16(b, v []byte) []byte {
	b = appendU16(b, uint16(len(v)))
	return append(b, v...)
}
