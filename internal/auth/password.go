package auth

import (
	"fmt"
	"strings"
	"unicode"
)

// The password policy of a tenant's Site Setup, for typed API secrets and console passwords:
// never spaces or quotes, never one of the last PasswordHistory passwords, and with "Require
// strong passwords" on, at least 7 characters, a special character in positions 2 to 6 and
// characters of two of upper case, lower case and digits. Switchboard adds a floor of its own:
// 8 characters, since a secret is all that guards an API user.

// PasswordHistory is how many previous passwords a new one must differ from.
const PasswordHistory = 5

// MinPasswordLength is Switchboard's floor for any typed password or secret.
const MinPasswordLength = 8

// CheckPassword applies the policy to a typed password; strong is the tenant's setting.
func CheckPassword(p string, strong bool) error {
	if len([]rune(p)) < MinPasswordLength {
		return fmt.Errorf("a password needs at least %d characters", MinPasswordLength)
	}
	if len(p) > 128 {
		return fmt.Errorf("a password can have at most 128 characters")
	}
	if strings.ContainsAny(p, " '\"") || strings.ContainsFunc(p, unicode.IsSpace) {
		return fmt.Errorf("a password must not contain spaces or quotes")
	}
	if !strong {
		return nil
	}
	rs := []rune(p)
	special := false
	for i := 1; i < 6 && i < len(rs); i++ {
		if !unicode.IsLetter(rs[i]) && !unicode.IsDigit(rs[i]) {
			special = true
		}
	}
	if !special {
		return fmt.Errorf("a strong password needs a special character among its 2nd to 6th characters")
	}
	classes := 0
	for _, f := range []func(rune) bool{unicode.IsUpper, unicode.IsLower, unicode.IsDigit} {
		if strings.ContainsFunc(p, f) {
			classes++
		}
	}
	if classes < 2 {
		return fmt.Errorf("a strong password needs characters of two kinds: upper case, lower case, digits")
	}
	return nil
}

// Reused reports whether a password is one of the previous ones (argon2id hashes, newest
// first); only the last PasswordHistory count.
func Reused(p string, history []string) bool {
	for i, h := range history {
		if i >= PasswordHistory {
			break
		}
		if VerifySecret(h, p) {
			return true
		}
	}
	return false
}

// PushHistory puts a replaced password's hash at the front of the history, keeping
// PasswordHistory of them.
func PushHistory(history []string, hash string) []string {
	if hash == "" {
		return history
	}
	out := append([]string{hash}, history...)
	if len(out) > PasswordHistory {
		out = out[:PasswordHistory]
	}
	return out
}
