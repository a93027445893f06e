// Package password hashes passwords with argon2id.
package password

import (
	"github.com/alexedwards/argon2id"

	"reos.dev/services/identity/internal/app"
)

// OWASPParams are the OWASP Password Storage Cheat Sheet's argon2id minimum:
// 19 MiB of memory, 2 iterations, 1 degree of parallelism.
var OWASPParams = argon2id.Params{
	Memory:      19 * 1024,
	Iterations:  2,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// Argon2id implements app.PasswordHasher. Hashes are PHC strings that carry
// their parameters, so raising them later keeps old hashes verifiable.
type Argon2id struct {
	params argon2id.Params
}

var _ app.PasswordHasher = Argon2id{}

// NewArgon2id returns a hasher with params.
func NewArgon2id(params argon2id.Params) Argon2id { return Argon2id{params: params} }

// Hash returns the PHC-encoded argon2id hash of password with a random salt.
func (a Argon2id) Hash(password string) (string, error) {
	p := a.params
	return argon2id.CreateHash(password, &p)
}

// Verify compares in constant time for a given hash.
func (a Argon2id) Verify(password, encodedHash string) (bool, error) {
	return argon2id.ComparePasswordAndHash(password, encodedHash)
}
