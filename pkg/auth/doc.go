// Package auth issues and checks the platform's access and refresh tokens.
//
// Tokens are RS256 JWTs whose header names the signing key (kid). identity
// signs them with a Signer and publishes its public keys as a JWKS document
// (KeySet.JWKS); every other service checks them with a Verifier that reads
// that document over HTTP (NewVerifier) or, inside identity and in tests, from
// a fixed key map (NewStaticVerifier).
//
// A Verifier accepts a token only when all of these hold: the header alg is
// RS256 (never none, never an HMAC algorithm), the kid names a known RSA key and
// the signature verifies with it, iss and aud match the configuration, exp is
// present and in the future and iat is not in the future (30 s leeway for clock
// skew), sub is present, and token_use is "access" (VerifyAccess) or "refresh"
// (VerifyRefresh), so a refresh token never passes as an access token; with
// revocations, an access token's sid must also be present and not ended.
//
// Key rotation: identity publishes the new key next to the old ones
// (NewKeySet) and only then signs with it. A remote Verifier refetches the JWKS
// when it meets an unknown kid, but at most once per MinRefresh, so the new key
// must be published at least MinRefresh (default 1 min) before its first use
// to be accepted everywhere at once; a retired key must stay published until
// the last token it signed has expired.
//
// Session revocation: every token pair carries sid, the login it belongs to
// (identity's refresh-token family). Revocations is the set of ended
// sessions, kept in Redis and followed by every process through pub/sub
// into memory; a verifier built WithRevocations refuses an access token
// whose session ended (401 session_revoked) or that names none (401
// invalid_token), with a map lookup and no round trip. See Revocations for
// what happens when Redis is away.
//
// Middleware turns a bearer token into a Principal in the request context and
// Require checks a permission on it.
package auth
