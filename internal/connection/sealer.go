package connection

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/store"
)

// KeyEnv is the environment variable that gives the key directly: 32 bytes in base64 or hex.
const KeyEnv = "SWITCHBOARD_SECRET_KEY"

// KeyFile is the name of the key file in the data directory.
const KeyFile = "secret.key"

// sealPrefix marks the format of stored ciphertext: version, then base64(nonce ‖ AES-256-GCM
// ciphertext ‖ tag).
const sealPrefix = "v1:"

// ErrKey is a secret that cannot be decrypted: the key is not the one it was encrypted with.
var ErrKey = errors.New("the stored secret cannot be decrypted with this key")

// Sealer encrypts and decrypts connection secrets with AES-256-GCM. The connection's name is
// the additional data, so a ciphertext copied to another record does not decrypt.
type Sealer struct {
	aead   cipher.AEAD
	source string // where the key came from, for messages
}

// LoadKey returns a Sealer whose key is envKey when it is not empty (base64 or hex of 32 bytes),
// or else the key in dataDir/secret.key, created (0600, random) on first use.
func LoadKey(dataDir, envKey string) (*Sealer, error) {
	if envKey = strings.TrimSpace(envKey); envKey != "" {
		key, err := parseKey(envKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeyEnv, err)
		}
		return newSealer(key, KeyEnv)
	}
	path := filepath.Join(dataDir, KeyFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the secret key: %w", err)
	}
	key, err := parseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return newSealer(key, path)
}

func createKeyFile(path string) (*Sealer, error) {
	if err := store.MakePrivateDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	// O_EXCL: when two commands create the key at once, one wins and the other reads its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKey(filepath.Dir(path), "")
	}
	if err != nil {
		return nil, fmt.Errorf("create the secret key: %w", err)
	}
	werr := f.Chmod(store.FileMode) // whatever the umask
	if werr == nil {
		_, werr = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("write the secret key: %w", werr)
	}
	return newSealer(key, path)
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("the key must be 32 bytes written in base64 or hex (e.g. openssl rand -base64 32)")
}

func newSealer(key []byte, source string) (*Sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, source: source}, nil
}

// Source says where the key came from: the environment variable or the key file's path.
func (s *Sealer) Source() string { return s.source }

func aad(name string) []byte { return []byte("switchboard connection\x00" + strings.ToLower(name)) }

// Seal encrypts the secret of the connection called name.
func (s *Sealer) Seal(name, secret string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(secret), aad(name))
	return sealPrefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal made for the connection called name.
func (s *Sealer) Open(name, sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", fmt.Errorf("%w: unknown format", ErrKey)
	}
	data, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(data) < s.aead.NonceSize() {
		return "", fmt.Errorf("%w: damaged ciphertext", ErrKey)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, data[:n], data[n:], aad(name))
	if err != nil {
		return "", fmt.Errorf("%w (key from %s)", ErrKey, s.source)
	}
	return string(plain), nil
}
