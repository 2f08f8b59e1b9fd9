package auth

import (
	"strings"
	"testing"
)

func TestGeneratedCredentials(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		u, s, c := GenerateUsername(), GenerateSecret(), GenerateIntegrationCode()
		if len(u) != 15 || CheckUsername(u) != nil {
			t.Errorf("Generate Key gave %q: %v", u, CheckUsername(u))
		}
		if len(s) != 25 || CheckPassword(s, true) != nil {
			t.Errorf("Generate Secret gave %d characters, strong: %v", len(s), CheckPassword(s, true))
		}
		if !ValidIntegrationCode(c) {
			t.Errorf("generated code %q is not valid", c)
		}
		if seen[u] || seen[s] || seen[c] {
			t.Error("a generated value repeated")
		}
		seen[u], seen[s], seen[c] = true, true, true
	}
}

func TestUsernameRules(t *testing.T) {
	for _, ok := range []string{"ITGlue2024", "msp.integrations1", "a1", "x-y_z9"} {
		if err := CheckUsername(ok); err != nil {
			t.Errorf("CheckUsername(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "lettersonly", "12345", "bad@name1", "a(1", "a)1", "a;1", "a:1", "a[1", "a]1", "a|1", `a\1`, `a"1`, "a 1", strings.Repeat("a1", 26)} {
		if err := CheckUsername(bad); err == nil {
			t.Errorf("CheckUsername(%q) accepted", bad)
		}
	}
	for _, ok := range []string{"mspintegrations", "jane.doe@msp.example", "tech01"} {
		if err := CheckResourceUsername(ok); err != nil {
			t.Errorf("CheckResourceUsername(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "12345", "a b", "a;b", `a"b`} {
		if err := CheckResourceUsername(bad); err == nil {
			t.Errorf("CheckResourceUsername(%q) accepted", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		p      string
		strong bool
		ok     bool
	}{
		{"plainpassword", false, true},
		{"short1", false, false},
		{"has space1", false, false},
		{"single'quote", false, false},
		{`double"quote`, false, false},
		{"tab\tinside1", false, false},
		{"plainpassword", true, false}, // no special character
		{"a$bcdefgh", true, false},     // one kind of character
		{"a$bcdefG1", true, true},
		{"abcdef$G1", true, false}, // the special character is 7th
		{"$abcdefG1", true, false}, // and here 1st
		{"ab!CDEFGH", true, true},
	} {
		if err := CheckPassword(c.p, c.strong); (err == nil) != c.ok {
			t.Errorf("CheckPassword(%q, strong %v) = %v; want ok %v", c.p, c.strong, err, c.ok)
		}
	}
	var history []string
	for i := 0; i < 7; i++ {
		history = PushHistory(history, HashSecret("password-"+string(rune('a'+i))))
	}
	if len(history) != PasswordHistory {
		t.Fatalf("history keeps %d", len(history))
	}
	if !Reused("password-g", history) || !Reused("password-c", history) || Reused("password-b", history) || Reused("password-a", history) {
		t.Error("Reused does not see exactly the last five")
	}
}

func TestSecretsAreArgon2idOnly(t *testing.T) {
	h := HashSecret("s3cret-value")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "s3cret") {
		t.Fatalf("hash %q", h)
	}
	if h == HashSecret("s3cret-value") {
		t.Error("two hashes of one secret are equal: no salt")
	}
	if !VerifySecret(h, "s3cret-value") || VerifySecret(h, "s3cret-valuE") || VerifySecret(h, "") {
		t.Error("VerifySecret")
	}
	for _, bad := range []string{"", "s3cret-value", "$2a$10$abcdefghijklmnopqrstuv", strings.Replace(h, "argon2id", "argon2i", 1), "$argon2id$v=19$m=1,t=1,p=1$!!$!!"} {
		if VerifySecret(bad, "s3cret-value") {
			t.Errorf("VerifySecret accepted the stored value %q", bad)
		}
	}
}
