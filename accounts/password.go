package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP-recommended minimum (19 MiB, 2 passes, 1
// lane), encoded in the PHC string format so they can be raised later
// without invalidating stored hashes.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// hashing counts the argon2id hashes running now; hashPeak is the most
// that ever ran at once.
var hashing, hashPeak atomic.Int64

// PasswordHashPeak returns the most password hashes that have run at once
// in this process.
func PasswordHashPeak() int { return int(hashPeak.Load()) }

func idKey(password, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	now := hashing.Add(1)
	defer hashing.Add(-1)
	for {
		peak := hashPeak.Load()
		if now <= peak || hashPeak.CompareAndSwap(peak, now) {
			break
		}
	}
	return argon2.IDKey(password, salt, t, m, p, n)
}

// HashPassword returns the argon2id PHC string of a password.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := idKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether password matches a PHC string made by
// HashPassword, in constant time.
func CheckPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := idKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
