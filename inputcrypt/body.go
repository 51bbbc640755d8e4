package inputcrypt

import (
	"crypto/cipher"
	"fmt"
	"io"
)

// Message body (specification data-format/message-body.md and message-body-aad.md).
const (
	finalFrameMarker = 0xFFFFFFFF
	aadFrame         = "AWSKMSEncryptionClient Frame"
	aadFinalFrame    = "AWSKMSEncryptionClient Final Frame"
	aadSingleBlock   = "AWSKMSEncryptionClient Single Block"
)

// bodyAAD returns message ID ‖ body AAD content string ‖ sequence number (4 bytes) ‖
// content length (8 bytes), the AAD of every frame or of the single non-framed block.
func bodyAAD(dst, messageID []byte, content string, seq uint32, length uint64) []byte {
	dst = append(dst[:0], messageID...)
	dst = append(dst, content...)
	dst = appendU32(dst, seq)
	return appendU64(dst, length)
}

// openBody decrypts the framed or non-framed body that r is positioned at; with a nil
// aead it only checks the structure. The
// plaintext buffer grows only by frames already checked against the input, so its
// size is bounded by the message size.
func openBody(r *wireReader, h *Header, aead cipher.AEAD) ([]byte, error) {
	var aad []byte
	if !h.Framed {
		iv, err := r.take(ivLen, "iv")
		if err != nil {
			return nil, err
		}
		n, err := r.u64("content length")
		if err != nil {
			return nil, err
		}
		if n > uint64(r.remaining()) {
			return nil, malformed("content length %d exceeds remaining %d bytes", n, r.remaining())
		}
		sealed, err := r.takeLen(n+tagLen, "content and tag")
		if err != nil {
			return nil, err
		}
		if aead == nil {
			return nil, nil
		}
		aad = bodyAAD(aad, h.MessageID, aadSingleBlock, 1, n)
		pt, err := aead.Open(nil, iv, sealed, aad)
		if err != nil {
			return nil, authFailed("content: tag mismatch")
		}
		return pt, nil
	}
	var pt []byte
	if aead != nil {
		pt = make([]byte, 0, min(r.remaining(), 1<<16))
	}
	for seq := uint32(1); ; seq++ {
		first, err := r.u32("frame sequence number")
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", seq, err)
		}
		final := first == finalFrameMarker
		if final {
			if first, err = r.u32("final frame sequence number"); err != nil {
				return nil, fmt.Errorf("frame %d: %w", seq, err)
			}
		}
		if first != seq {
			return nil, fmt.Errorf("frame %d: %w", seq, malformed("sequence number %d, want %d", first, seq))
		}
		if seq == finalFrameMarker {
			return nil, fmt.Errorf("frame %d: %w", seq, malformed("too many frames"))
		}
		iv, err := r.take(ivLen, "iv")
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", seq, err)
		}
		n := uint64(h.FrameLength)
		content := aadFrame
		if final {
			content = aadFinalFrame
			l, err := r.u32("content length")
			if err != nil {
				return nil, fmt.Errorf("frame %d: %w", seq, err)
			}
			if l > h.FrameLength {
				return nil, fmt.Errorf("frame %d: %w", seq, malformed("final frame content length %d exceeds frame length %d", l, h.FrameLength))
			}
			n = uint64(l)
		}
		sealed, err := r.takeLen(n+tagLen, "content and tag")
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", seq, err)
		}
		if aead != nil {
			aad = bodyAAD(aad, h.MessageID, content, seq, n)
			if pt, err = aead.Open(pt, iv, sealed, aad); err != nil {
				return nil, fmt.Errorf("frame %d: %w", seq, authFailed("tag mismatch"))
			}
		}
		if final {
			return pt, nil
		}
	}
}

// sealBody appends the framed body of plaintext to dst. Every frame gets a random IV
// read from rnd, as Amazon Connect's messages show (corpus connect-ciphertext); the
// per-message key makes IV collisions within one message negligible.
func sealBody(dst []byte, messageID []byte, frameLength uint32, plaintext []byte, aead cipher.AEAD, rnd io.Reader) ([]byte, error) {
	var aad []byte
	iv := make([]byte, ivLen)
	for seq := uint32(1); ; seq++ {
		if seq == finalFrameMarker {
			return nil, fmt.Errorf("plaintext needs more than %d frames", finalFrameMarker-1)
		}
		if _, err := io.ReadFull(rnd, iv); err != nil {
			return nil, fmt.Errorf("frame iv: %w", err)
		}
		if uint64(len(plaintext)) > uint64(frameLength) {
			chunk := plaintext[:frameLength]
			plaintext = plaintext[frameLength:]
			dst = appendU32(dst, seq)
			dst = append(dst, iv...)
			aad = bodyAAD(aad, messageID, aadFrame, seq, uint64(frameLength))
			dst = aead.Seal(dst, iv, chunk, aad)
			continue
		}
		dst = appendU32(dst, finalFrameMarker)
		dst = appendU32(dst, seq)
		dst = append(dst, iv...)
		dst = appendU32(dst, uint32(len(plaintext)))
		aad = bodyAAD(aad, messageID, aadFinalFrame, seq, uint64(len(plaintext)))
		return aead.Seal(dst, iv, plaintext, aad), nil
	}
}
