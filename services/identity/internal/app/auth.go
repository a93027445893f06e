package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/domain"
)

// Login attempt reasons recorded in login_attempts.
const (
	attemptOK            = "ok"
	attemptUnknownEmail  = "unknown_email"
	attemptWrongPassword = "wrong_password"
	attemptLocked        = "locked"
)

func (s *service) Register(ctx context.Context, in RegisterInput) (domain.User, error) {
	acc, err := domain.ValidateNewAccount(domain.AccountInput{
		Email: in.Email, Password: in.Password, FullName: in.FullName, OrganizationName: &in.OrganizationName,
	})
	if err != nil {
		return domain.User{}, err
	}
	hash, err := s.hasher.Hash(acc.Password)
	if err != nil {
		return domain.User{}, err
	}
	now := s.now()
	org, err := domain.NewOrganization(newID(), *acc.OrganizationName, now)
	if err != nil {
		return domain.User{}, err
	}
	user, err := domain.NewUser(newID(), org.ID, domain.NewUserInput{Email: acc.Email, FullName: acc.FullName, PasswordHash: hash}, now)
	if err != nil {
		return domain.User{}, err
	}
	roles := domain.SystemRoles(org.ID, now, newID)
	// The organisation's id is chosen before the transaction so that the
	// transaction can be scoped to it: the organisation's own row passes
	// row-level security like every other.
	err = s.store.InOrg(ctx, org.ID, func(tx Tx) error {
		if err := tx.Orgs().Create(ctx, org); err != nil {
			return err
		}
		var adminID string
		for _, r := range roles {
			if err := tx.Roles().Create(ctx, r); err != nil {
				return err
			}
			if r.Name == domain.RoleAdmin {
				adminID = r.ID
			}
		}
		if err := tx.Users().Create(ctx, user); err != nil {
			return err
		}
		if err := tx.Users().SetRoles(ctx, user.ID, []string{adminID}, now); err != nil {
			return err
		}
		user.Roles = []string{domain.RoleAdmin}
		return tx.Events().Publish(ctx, EventUserRegistered, user.ID, org.ID, userEventData{
			UserID: user.ID, OrgID: org.ID, Email: user.Email, FullName: user.FullName, Roles: user.Roles, Via: "register",
		})
	})
	if err != nil {
		return domain.User{}, err
	}
	return user, nil
}

func (s *service) Login(ctx context.Context, in LoginInput) (TokenPair, error) {
	var fields apperr.Fields
	if in.Email == "" {
		fields.Add("email", "is required")
	} else if len(in.Email) > domain.MaxEmailLen+64 {
		fields.Add("email", "is too long")
	}
	if in.Password == "" {
		fields.Add("password", "is required")
	} else if len(in.Password) > 4*domain.MaxPasswordLen {
		fields.Add("password", "is too long")
	}
	if err := fields.Err(); err != nil {
		return TokenPair{}, err
	}
	email := domain.NormalizeEmail(in.Email)
	key := domain.EmailKey(email)
	now := s.now()
	attempt := LoginAttempt{EmailKey: key, IP: in.IP, UserAgent: in.UserAgent, At: now}

	// Both lookups run whether or not the email exists, and so does one
	// argon2id verification (against a dummy hash for an unknown email), so
	// the answer and its timing say nothing about which accounts exist.
	var rec LoginRecord
	var found bool
	// An address that fails validation cannot belong to an account (and may
	// hold bytes the database refuses), so it is not looked up at all.
	if _, err := domain.ParseEmail("email", email); err == nil {
		if rec, found, err = s.store.LookupLogin(ctx, email); err != nil {
			return TokenPair{}, err
		}
	}
	if found {
		attempt.OrgID, attempt.UserID = rec.OrgID, rec.UserID
	}
	th, err := s.store.Throttle(ctx, key)
	if err != nil {
		return TokenPair{}, err
	}
	if retry, locked := th.Locked(now); locked {
		attempt.Reason = attemptLocked
		if err := s.recordAttempt(ctx, attempt, nil); err != nil {
			return TokenPair{}, err
		}
		return TokenPair{}, domain.ErrAccountLocked(retry)
	}
	hash := rec.PasswordHash
	if !found {
		if hash, err = s.dummyHash(); err != nil {
			return TokenPair{}, fmt.Errorf("dummy hash: %w", err)
		}
	}
	ok, err := s.hasher.Verify(in.Password, hash)
	if err != nil {
		// A hash we cannot parse is our bug, but the client still gets the
		// uniform answer; the error is logged.
		s.log.ErrorContext(ctx, "password verification failed", "error", err, "user_id", rec.UserID)
		ok = false
	}
	switch {
	case !found:
		attempt.Reason = attemptUnknownEmail
	case !ok || rec.Status != domain.UserActive:
		attempt.Reason = attemptWrongPassword
	default:
		return s.loginSucceeded(ctx, rec, attempt)
	}
	return TokenPair{}, s.loginFailed(ctx, attempt)
}

// recordAttempt stores an attempt (and runs more in the same transaction),
// inside the organisation when the email is known.
func (s *service) recordAttempt(ctx context.Context, a LoginAttempt, more func(Tx) error) error {
	a.ID = newID()
	fn := func(tx Tx) error {
		if err := tx.Attempts().Record(ctx, a); err != nil {
			return err
		}
		if more != nil {
			return more(tx)
		}
		return nil
	}
	if a.OrgID != "" {
		return s.store.InOrg(ctx, a.OrgID, fn)
	}
	return s.store.WithoutOrg(ctx, fn)
}

type loginFailedData struct {
	UserID   string `json:"user_id,omitempty"`
	EmailKey string `json:"email_key"`
	Reason   string `json:"reason"`
	IP       string `json:"ip,omitempty"`
}

type accountLockedData struct {
	UserID      string    `json:"user_id,omitempty"`
	EmailKey    string    `json:"email_key"`
	LockedUntil time.Time `json:"locked_until"`
	Lockouts    int       `json:"lockouts"`
}

func (s *service) loginFailed(ctx context.Context, a LoginAttempt) error {
	eventKey := a.UserID
	if eventKey == "" {
		eventKey = a.EmailKey
	}
	err := s.recordAttempt(ctx, a, func(tx Tx) error {
		var th domain.LoginThrottle
		var locked bool
		err := tx.Throttles().Update(ctx, a.EmailKey, func(t *domain.LoginThrottle) error {
			_, locked = t.RecordFailure(a.At)
			th = *t
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.Events().Publish(ctx, EventLoginFailed, eventKey, a.OrgID, loginFailedData{
			UserID: a.UserID, EmailKey: a.EmailKey, Reason: a.Reason, IP: a.IP,
		}); err != nil {
			return err
		}
		if !locked {
			return nil
		}
		return tx.Events().Publish(ctx, EventAccountLocked, eventKey, a.OrgID, accountLockedData{
			UserID: a.UserID, EmailKey: a.EmailKey, LockedUntil: *th.LockedUntil, Lockouts: th.Lockouts,
		})
	})
	if err != nil {
		return err
	}
	return domain.ErrInvalidCredentials()
}

type loginSucceededData struct {
	UserID   string `json:"user_id"`
	OrgID    string `json:"org_id"`
	FamilyID string `json:"session_id"`
	IP       string `json:"ip,omitempty"`
}

func (s *service) loginSucceeded(ctx context.Context, rec LoginRecord, a LoginAttempt) (TokenPair, error) {
	var pair TokenPair
	var refused error
	a.ID = newID()
	err := s.store.InOrg(ctx, rec.OrgID, func(tx Tx) error {
		// The throttle is checked again under its row lock: a lockout that
		// began while the password was being verified still applies.
		var lockedFor time.Duration
		err := tx.Throttles().Update(ctx, a.EmailKey, func(t *domain.LoginThrottle) error {
			var locked bool
			if lockedFor, locked = t.Locked(a.At); !locked {
				t.RecordSuccess(a.At)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if lockedFor > 0 {
			a.Reason = attemptLocked
			refused = domain.ErrAccountLocked(lockedFor)
			return tx.Attempts().Record(ctx, a)
		}
		user, err := tx.Users().Get(ctx, rec.UserID)
		if err != nil {
			return err
		}
		if err := tx.Users().TouchLogin(ctx, user.ID, a.At); err != nil {
			return err
		}
		refresh := domain.RefreshToken{
			ID: newID(), OrgID: user.OrgID, UserID: user.ID, FamilyID: newID(),
			IssuedAt: a.At, ExpiresAt: a.At.Add(s.cfg.RefreshTTL),
		}
		if pair, err = s.issue(ctx, tx, user, refresh); err != nil {
			return err
		}
		a.Reason, a.Success = attemptOK, true
		if err := tx.Attempts().Record(ctx, a); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventLoginSucceeded, user.ID, user.OrgID, loginSucceededData{
			UserID: user.ID, OrgID: user.OrgID, FamilyID: refresh.FamilyID, IP: a.IP,
		})
	})
	if err != nil {
		return TokenPair{}, err
	}
	if refused != nil {
		return TokenPair{}, refused
	}
	return pair, nil
}

// issue stores the refresh token record and signs the pair, both carrying
// the family as sid (the session). Roles and permissions are read now.
func (s *service) issue(ctx context.Context, tx Tx, user domain.User, refresh domain.RefreshToken) (TokenPair, error) {
	roles, err := tx.Roles().ForUser(ctx, user.ID)
	if err != nil {
		return TokenPair{}, err
	}
	if err := tx.Tokens().Create(ctx, refresh); err != nil {
		return TokenPair{}, err
	}
	names := roleNames(roles)
	perms := domain.UnionPermissions(roles)
	now := refresh.IssuedAt
	access, err := s.tokens.Sign(TokenClaims{
		ID: newID(), Use: auth.TokenUseAccess, SessionID: refresh.FamilyID, UserID: user.ID, OrgID: user.OrgID, Email: user.Email,
		Roles: names, Perms: perms, IssuedAt: now, ExpiresAt: now.Add(s.cfg.AccessTTL),
	})
	if err != nil {
		return TokenPair{}, err
	}
	// The refresh token carries no permissions: it is only ever presented
	// to identity, which reloads them.
	rt, err := s.tokens.Sign(TokenClaims{
		ID: refresh.ID, Use: auth.TokenUseRefresh, SessionID: refresh.FamilyID, UserID: user.ID, OrgID: user.OrgID,
		Roles: []string{}, Perms: []string{}, IssuedAt: now, ExpiresAt: refresh.ExpiresAt,
	})
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: rt, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL / time.Second)}, nil
}

func roleNames(roles []domain.Role) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, r.Name)
	}
	return out
}

// verifyRefresh checks the refresh JWT. Every failure is the same 401; the
// cause is logged at debug level.
func (s *service) verifyRefresh(ctx context.Context, raw string) (TokenClaims, error) {
	if raw == "" {
		return TokenClaims{}, apperr.Invalid("refresh_token", "is required")
	}
	c, err := s.tokens.VerifyRefresh(ctx, raw)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindUnavailable {
			return TokenClaims{}, err
		}
		s.log.DebugContext(ctx, "refresh token rejected", "error", err)
		return TokenClaims{}, domain.ErrInvalidRefresh()
	}
	if _, err := uuid.Parse(c.OrgID); err != nil {
		return TokenClaims{}, domain.ErrInvalidRefresh()
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return TokenClaims{}, domain.ErrInvalidRefresh()
	}
	return c, nil
}

func (s *service) Refresh(ctx context.Context, raw string) (TokenPair, error) {
	claims, err := s.verifyRefresh(ctx, raw)
	if err != nil {
		return TokenPair{}, err
	}
	now := s.now()
	var pair TokenPair
	var refused error
	ended := endedSessions{at: now}
	// The organisation comes from the verified token, so no cross-tenant
	// lookup is needed. A refusal that revokes must still commit: it is
	// carried out of the transaction in refused.
	err = s.store.InOrg(ctx, claims.OrgID, func(tx Tx) error {
		old, err := tx.Tokens().GetForUpdate(ctx, claims.ID)
		if errors.Is(err, apperr.ErrNotFound) {
			refused = domain.ErrInvalidRefresh()
			return nil
		}
		if err != nil {
			return err
		}
		if old.UserID != claims.UserID {
			refused = domain.ErrInvalidRefresh()
			return nil
		}
		switch old.State(now) {
		case domain.RefreshReused, domain.RefreshRevoked:
			// A token presented twice means two parties hold it; we cannot
			// tell which is the thief, so the whole login ends.
			n, err := tx.Tokens().RevokeFamily(ctx, old.FamilyID, now, domain.RevokeReuse)
			if err != nil {
				return err
			}
			s.log.WarnContext(ctx, "refresh token reuse: family revoked", "user_id", old.UserID, "org_id", old.OrgID,
				"family_id", old.FamilyID, "revoked", n)
			refused = domain.ErrInvalidRefresh()
			if n == 0 {
				return nil // ended before, and announced then
			}
			return s.end(ctx, tx, &ended, old.OrgID, old.UserID, "", domain.RevokeReuse, []string{old.FamilyID})
		case domain.RefreshExpired:
			refused = domain.ErrInvalidRefresh()
			return nil
		}
		user, err := tx.Users().Get(ctx, old.UserID)
		if errors.Is(err, apperr.ErrNotFound) {
			n, err := tx.Tokens().RevokeFamily(ctx, old.FamilyID, now, domain.RevokeUserDeleted)
			if err != nil || n == 0 {
				return err
			}
			refused = domain.ErrInvalidRefresh()
			return s.end(ctx, tx, &ended, old.OrgID, old.UserID, "", domain.RevokeUserDeleted, []string{old.FamilyID})
		}
		if err != nil {
			return err
		}
		next := domain.RefreshToken{
			ID: newID(), OrgID: old.OrgID, UserID: old.UserID, FamilyID: old.FamilyID,
			IssuedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL),
		}
		if pair, err = s.issue(ctx, tx, user, next); err != nil {
			return err
		}
		return tx.Tokens().MarkUsed(ctx, old.ID, next.ID, now)
	})
	if err != nil {
		return TokenPair{}, err
	}
	s.announce(ctx, ended)
	if refused != nil {
		return TokenPair{}, refused
	}
	return pair, nil
}

func (s *service) Logout(ctx context.Context, raw string) error {
	claims, err := s.verifyRefresh(ctx, raw)
	if err != nil {
		return err
	}
	ended := endedSessions{at: s.now()}
	// Logging out twice is fine: the family is already revoked.
	err = s.store.InOrg(ctx, claims.OrgID, func(tx Tx) error {
		t, err := tx.Tokens().GetForUpdate(ctx, claims.ID)
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := tx.Tokens().RevokeFamily(ctx, t.FamilyID, ended.at, domain.RevokeLogout)
		if err != nil || n == 0 {
			return err
		}
		return s.end(ctx, tx, &ended, t.OrgID, t.UserID, t.UserID, domain.RevokeLogout, []string{t.FamilyID})
	})
	if err != nil {
		return err
	}
	s.announce(ctx, ended)
	return nil
}

func (s *service) Me(ctx context.Context) (Me, error) {
	p, err := auth.Caller(ctx)
	if err != nil {
		return Me{}, err
	}
	var me Me
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if me.User, me.Organization, me.Roles, err = tx.Profile(ctx, p.UserID, p.OrgID); err != nil {
			return err
		}
		me.Permissions = domain.UnionPermissions(me.Roles)
		return nil
	})
	return me, err
}

type passwordChangedData struct {
	UserID  string `json:"user_id"`
	OrgID   string `json:"org_id"`
	Reason  string `json:"reason"`
	ActorID string `json:"actor_id"`
}

func (s *service) ChangePassword(ctx context.Context, in ChangePasswordInput) error {
	p, err := auth.Caller(ctx)
	if err != nil {
		return err
	}
	var fields apperr.Fields
	if in.CurrentPassword == "" {
		fields.Add("current_password", "is required")
	}
	if err := domain.ValidatePassword("new_password", in.NewPassword, p.Email); err != nil {
		if e, ok := apperr.As(err); ok {
			fields = append(fields, e.Fields...)
		}
	}
	if err := fields.Err(); err != nil {
		return err
	}
	newHash, err := s.hasher.Hash(in.NewPassword)
	if err != nil {
		return err
	}
	now := s.now()
	var refused error
	ended := endedSessions{at: now}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		u, err := tx.Users().GetForUpdate(ctx, p.UserID)
		if err != nil {
			return err
		}
		key := domain.EmailKey(u.Email)
		// Guessing the current password with a stolen access token counts
		// against the same lockout as guessing it at login.
		var th domain.LoginThrottle
		if err := tx.Throttles().Update(ctx, key, func(t *domain.LoginThrottle) error { th = *t; return nil }); err != nil {
			return err
		}
		if retry, locked := th.Locked(now); locked {
			refused = domain.ErrAccountLocked(retry)
			return nil
		}
		ok, err := s.hasher.Verify(in.CurrentPassword, u.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			refused = apperr.Invalid("current_password", "is incorrect")
			return tx.Throttles().Update(ctx, key, func(t *domain.LoginThrottle) error { t.RecordFailure(now); return nil })
		}
		u.SetPassword(newHash, now)
		if err := tx.Users().Update(ctx, u); err != nil {
			return err
		}
		// Every session ends, the caller's own included: whoever else knew
		// the old password may hold one.
		sids, err := tx.Tokens().RevokeUser(ctx, u.ID, now, domain.RevokePasswordChange)
		if err != nil {
			return err
		}
		if err := s.end(ctx, tx, &ended, u.OrgID, u.ID, p.UserID, domain.RevokePasswordChange, sids); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventPasswordChanged, u.ID, u.OrgID, passwordChangedData{
			UserID: u.ID, OrgID: u.OrgID, Reason: "changed_by_user", ActorID: p.UserID,
		})
	})
	if err != nil {
		return err
	}
	s.announce(ctx, ended)
	return refused
}
