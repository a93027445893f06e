package http

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gorilla/mux"

	"reos.dev/pkg/httpx"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

// Request bodies. Decoding refuses unknown fields (httpx.DecodeJSON), so a
// body that tries to set org_id, roles or is_admin is a 422 naming it.

type registerRequest struct {
	Email            string `json:"email"`
	Password         string `json:"password"`
	FullName         string `json:"full_name"`
	OrganizationName string `json:"organization_name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type updateUserRequest struct {
	FullName *string `json:"full_name"`
	Phone    *string `json:"phone"`
	Title    *string `json:"title"`
	Timezone *string `json:"timezone"`
}

type createUserRequest struct {
	Email    string   `json:"email"`
	Password string   `json:"password"`
	FullName string   `json:"full_name"`
	Roles    []string `json:"roles"`
}

type setRolesRequest struct {
	Roles []string `json:"roles"`
}

type teamRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type memberRequest struct {
	UserID string `json:"user_id"`
}

type roleRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

// Decoded requests that combine a path id with a body.
type (
	idRequest struct{ ID string }

	updateUser struct {
		ID     string
		Update domain.ProfileUpdate
	}
	setRoles struct {
		ID    string
		Roles []string
	}
	teamUpdate struct {
		ID    string
		Input domain.TeamInput
	}
	roleUpdate struct {
		ID    string
		Input domain.RoleInput
	}
	memberRef struct{ TeamID, UserID string }
	login     struct{ app.LoginInput }
)

func decodeID(_ context.Context, r *http.Request) (idRequest, error) {
	return idRequest{ID: mux.Vars(r)["id"]}, nil
}

func decodeLogin(_ context.Context, r *http.Request) (login, error) {
	var body loginRequest
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return login{}, err
	}
	return login{app.LoginInput{Email: body.Email, Password: body.Password, IP: clientIP(r), UserAgent: r.UserAgent()}}, nil
}

// clientIP is the address recorded with a login attempt: X-Real-IP, which
// the gateway sets on every request it forwards to the client address it
// resolved (the right-most X-Forwarded-For hop that is not a trusted proxy),
// overwriting whatever the client sent. identity is reachable only through
// the gateway, so that header is the gateway's word; X-Forwarded-For is not
// read, because its first entry is whatever the client wrote there. Without
// the header (a direct call in a test) the peer address is recorded.
func clientIP(r *http.Request) string {
	if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
		return a.Unmap().WithZone("").String()
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("").String()
	}
	return ""
}

func decodeUpdateUser(_ context.Context, r *http.Request) (updateUser, error) {
	var body updateUserRequest
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return updateUser{}, err
	}
	return updateUser{ID: mux.Vars(r)["id"], Update: domain.ProfileUpdate{
		FullName: body.FullName, Phone: body.Phone, Title: body.Title, Timezone: body.Timezone,
	}}, nil
}

func decodeSetRoles(_ context.Context, r *http.Request) (setRoles, error) {
	var body setRolesRequest
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return setRoles{}, err
	}
	return setRoles{ID: mux.Vars(r)["id"], Roles: body.Roles}, nil
}

func decodeTeamUpdate(_ context.Context, r *http.Request) (teamUpdate, error) {
	var body teamRequest
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return teamUpdate{}, err
	}
	return teamUpdate{ID: mux.Vars(r)["id"], Input: domain.TeamInput(body)}, nil
}

func decodeRoleUpdate(_ context.Context, r *http.Request) (roleUpdate, error) {
	var body roleRequest
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return roleUpdate{}, err
	}
	return roleUpdate{ID: mux.Vars(r)["id"], Input: domain.RoleInput(body)}, nil
}

func decodeAddMember(_ context.Context, r *http.Request) (memberRef, error) {
	var body memberRequest
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return memberRef{}, err
	}
	return memberRef{TeamID: mux.Vars(r)["id"], UserID: body.UserID}, nil
}

func decodeMemberPath(_ context.Context, r *http.Request) (memberRef, error) {
	v := mux.Vars(r)
	return memberRef{TeamID: v["id"], UserID: v["user_id"]}, nil
}

func decodeUserQuery(_ context.Context, r *http.Request) (app.UserQuery, error) {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return app.UserQuery{}, err
	}
	q := r.URL.Query()
	return app.UserQuery{
		Limit: page.Limit, Cursor: page.Cursor,
		Q: q.Get("q"), Role: q.Get("role"), Status: q.Get("status"), Sort: q.Get("sort"),
	}, nil
}

func decodePage(_ context.Context, r *http.Request) (app.PageQuery, error) {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return app.PageQuery{}, err
	}
	return app.PageQuery{Limit: page.Limit, Cursor: page.Cursor}, nil
}
