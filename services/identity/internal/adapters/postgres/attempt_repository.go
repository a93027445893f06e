package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/identity/internal/app"
)

const sqlAttemptInsert = `INSERT INTO identity.login_attempts
	(id, org_id, user_id, email_key, ip, user_agent, success, reason, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// maxUserAgent bounds the stored User-Agent (the column checks 512).
const maxUserAgent = 512

type attemptRepo struct{ tx pgx.Tx }

func (r attemptRepo) Record(ctx context.Context, a app.LoginAttempt) error {
	var ip *netip.Addr
	if addr, err := netip.ParseAddr(a.IP); err == nil {
		ip = &addr
	}
	_, err := r.tx.Exec(ctx, sqlAttemptInsert, a.ID, nullable(a.OrgID), nullable(a.UserID), a.EmailKey, ip,
		nullable(cleanUserAgent(a.UserAgent)), a.Success, a.Reason, a.At)
	if err != nil {
		return fmt.Errorf("record login attempt: %w", err)
	}
	return nil
}

// cleanUserAgent keeps a header value storable: valid UTF-8, no NUL, bounded.
func cleanUserAgent(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
	if r := []rune(s); len(r) > maxUserAgent {
		s = string(r[:maxUserAgent])
	}
	return s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
