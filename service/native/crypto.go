package native

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	"golang.org/x/crypto/poly1305" //nolint:staticcheck // restic's MAC is Poly1305-AES; there is no AEAD for it in the standard library
	"golang.org/x/crypto/scrypt"
)

// restic's encrypted file layout: IV | ciphertext | MAC.
const (
	ivSize   = aes.BlockSize
	macSize  = poly1305.TagSize
	overhead = ivSize + macSize
)

var (
	// errUnauthenticated: the MAC does not match, so the bytes were
	// changed or encrypted with another key. restic says "ciphertext
	// verification failed".
	errUnauthenticated = errors.New("MAC check failed")
	// errZeroIV: restic never writes an all-zero IV and refuses to open one.
	errZeroIV = errors.New("invalid IV (all zero)")
)

// errTooShort is a file that cannot even hold an IV and a MAC.
type errTooShort int

func (e errTooShort) Error() string {
	return fmt.Sprintf("truncated (%d bytes, shorter than an IV and a MAC)", int(e))
}

// cryptoKey is restic's crypto.Key: AES-256 for encryption and
// Poly1305-AES (an AES-128 key k and a Poly1305 key r) for the MAC. It is
// both the key scrypt derives from the password (which opens a key file)
// and the repository's master key stored in that key file.
type cryptoKey struct {
	enc  [32]byte
	macK [16]byte
	macR [16]byte

	// The AES block ciphers, made once: they are the same for every file.
	encBlock cipher.Block
	macBlock cipher.Block
}

// poly1305Mask is the clamping Poly1305 requires of r (D. J. Bernstein,
// "The Poly1305-AES message-authentication code", 2005). restic used to
// apply it itself (maskKey); x/crypto's poly1305 clamps r internally, so
// applying it here changes nothing, but makes the key we hand over
// exactly the one the paper and restic's design document define.
var poly1305Mask = [16]byte{
	0xff, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f,
	0xfc, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f,
}

// newCryptoKey builds a key from its parts and checks it the way restic's
// Key.Valid does: an all-zero part means a broken key file, not a key.
func newCryptoKey(enc, macK, macR []byte) (*cryptoKey, error) {
	if len(enc) != 32 || len(macK) != 16 || len(macR) != 16 {
		return nil, fmt.Errorf("key has the wrong size (%d/%d/%d bytes, want 32/16/16)", len(enc), len(macK), len(macR))
	}
	k := &cryptoKey{}
	copy(k.enc[:], enc)
	copy(k.macK[:], macK)
	copy(k.macR[:], macR)
	if allZero(k.enc[:]) || allZero(k.macK[:]) || allZero(k.macR[:]) {
		return nil, errors.New("key is invalid (all zero)")
	}
	var err error
	if k.encBlock, err = aes.NewCipher(k.enc[:]); err != nil {
		return nil, err
	}
	if k.macBlock, err = aes.NewCipher(k.macK[:]); err != nil {
		return nil, err
	}
	return k, nil
}

// Memory and work bounds for the key files' scrypt parameters. restic
// calibrates its parameters to about 60 MiB and half a second; a key file
// asking for far more is broken or hostile (a repository server can hand
// us any key file), and following it could exhaust this machine.
const (
	maxScryptMemory = 1 << 30 // bytes: 128·N·r
	maxScryptP      = 64
)

// deriveUserKey runs scrypt on the password with a key file's parameters
// and splits the 64 bytes as restic does: AES key, MAC k, MAC r.
func deriveUserKey(password string, salt []byte, n, r, p int) (*cryptoKey, error) {
	if n <= 1 || n&(n-1) != 0 || r <= 0 || p <= 0 {
		return nil, fmt.Errorf("invalid scrypt parameters N=%d r=%d p=%d", n, r, p)
	}
	if p > maxScryptP || uint64(n)*uint64(r) > maxScryptMemory/128 {
		return nil, fmt.Errorf("scrypt parameters N=%d r=%d p=%d need more than lockwatch allows (1 GiB, p ≤ %d)", n, r, p, maxScryptP)
	}
	b, err := scrypt.Key([]byte(password), salt, n, r, p, 64)
	if err != nil {
		return nil, fmt.Errorf("scrypt: %w", err)
	}
	defer clear(b)
	return newCryptoKey(b[0:32], b[32:48], b[48:64])
}

// open authenticates and decrypts IV | ciphertext | MAC. The MAC is checked
// before anything is decrypted, as restic does.
func (k *cryptoKey) open(data []byte) ([]byte, error) {
	if len(data) < overhead {
		return nil, errTooShort(len(data))
	}
	iv := data[:ivSize]
	if allZero(iv) {
		return nil, errZeroIV
	}
	ct := data[ivSize : len(data)-macSize]
	var tag [macSize]byte
	copy(tag[:], data[len(data)-macSize:])
	polyKey := k.poly1305Key(iv)
	ok := poly1305.Verify(&tag, ct, &polyKey)
	clear(polyKey[:])
	if !ok {
		return nil, errUnauthenticated
	}
	out := make([]byte, len(ct))
	cipher.NewCTR(k.encBlock, iv).XORKeyStream(out, ct)
	return out, nil
}

// poly1305Key is the one-time Poly1305 key for a message: r || AES-128_k(IV).
func (k *cryptoKey) poly1305Key(iv []byte) [32]byte {
	var key [32]byte
	for i := range k.macR {
		key[i] = k.macR[i] & poly1305Mask[i]
	}
	k.macBlock.Encrypt(key[16:], iv)
	return key
}

// allZero looks at every byte, so its time does not depend on where a
// key or IV first differs from zero.
func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}
