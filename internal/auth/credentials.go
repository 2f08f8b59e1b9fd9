// Package auth decides who is calling: API-user credentials (argon2id hashes, generated
// usernames, secrets and tracking identifiers), the password policy, and the authenticator that
// checks the headers of an API call against the store, with its cache of verified credentials
// and rights, its bound on password hashing (HashGate) and the lockout. What a caller may do is
// decided by package access, which is pure; this package loads its inputs (levels, subjects)
// from the store.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/argon2"
)

const (
	keyAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789$#*!~"
	codeAlphabet   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		x, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("access: no randomness: " + err.Error())
		}
		b[i] = alphabet[x.Int64()]
	}
	return string(b)
}

// GenerateUsername is "Generate Key": 15 characters of letters and digits, with at least one of each.
func GenerateUsername() string {
	for {
		s := randomString(keyAlphabet, 15)
		if strings.ContainsAny(s, "0123456789") && strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
			return s
		}
	}
}

// GenerateSecret is "Generate Secret": 25 characters that pass the strong password policy.
func GenerateSecret() string {
	for {
		s := randomString(secretAlphabet, 25)
		if CheckPassword(s, true) == nil {
			return s
		}
	}
}

// ValidIntegrationCode reports whether a typed tracking identifier has the shape of the ones
// Switchboard generates: 27 upper-case letters and digits.
func ValidIntegrationCode(code string) bool {
	if len(code) != 27 {
		return false
	}
	for _, r := range code {
		if !strings.ContainsRune(codeAlphabet, r) {
			return false
		}
	}
	return true
}

// GenerateIntegrationCode makes a 27-character API tracking identifier.
func GenerateIntegrationCode() string { return randomString(codeAlphabet, 27) }

// CheckUsername applies Autotask's username rules.
func CheckUsername(u string) error {
	if u == "" {
		return fmt.Errorf("a username is required")
	}
	if len(u) > 50 {
		return fmt.Errorf("a username can have at most 50 characters")
	}
	if strings.ContainsAny(u, `@();:[]|\"`+" ") {
		return fmt.Errorf(`a username must not contain spaces or any of @ ( ) ; : [ ] | \ "`)
	}
	if !strings.ContainsAny(u, "0123456789") || !strings.ContainsFunc(u, func(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }) {
		return fmt.Errorf("a username must contain both letters and digits")
	}
	return nil
}

// argon2id parameters: OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashSecret returns the argon2id hash of a secret in PHC string form.
func HashSecret(secret string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// VerifySecret checks a secret against a hash made by HashSecret, in constant time.
func VerifySecret(hash, secret string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(secret), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CheckResourceUsername applies the username rules of a resource that signs in to the console:
// letters (digits optional), no spaces or any of ( ) ; : [ ] | \ ", and an email shape allowed.
func CheckResourceUsername(u string) error {
	if u == "" {
		return fmt.Errorf("a username is required")
	}
	if len(u) > 50 {
		return fmt.Errorf("a username can have at most 50 characters")
	}
	if strings.ContainsAny(u, `();:[]|\"`+" \t") {
		return fmt.Errorf(`a username must not contain spaces or any of ( ) ; : [ ] | \ "`)
	}
	if !strings.ContainsFunc(u, func(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }) {
		return fmt.Errorf("a username must contain letters")
	}
	return nil
}
