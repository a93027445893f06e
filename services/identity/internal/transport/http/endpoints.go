package http

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"reos.dev/pkg/httpx"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

// handlers builds one go-kit endpoint per route from a decoder and a call
// into the service; errors travel in the response and become problems.
type handlers struct {
	svc app.Service
	log *slog.Logger
	now func() time.Time
}

func endpoint[Req, Resp any](h *handlers, dec func(context.Context, *http.Request) (Req, error), call func(context.Context, Req) (Resp, error), status int) http.Handler {
	return httpx.Endpoint(h.log, dec, call, status)
}

func (h *handlers) register() http.Handler {
	return endpoint(h, httpx.DecodeBody[registerRequest](), func(ctx context.Context, req registerRequest) (userDTO, error) {
		u, err := h.svc.Register(ctx, app.RegisterInput(req))
		return toUser(u), err
	}, http.StatusCreated)
}

func (h *handlers) login() http.Handler {
	return endpoint(h, decodeLogin, func(ctx context.Context, req login) (tokenPairDTO, error) {
		p, err := h.svc.Login(ctx, req.LoginInput)
		return toTokenPair(p), err
	}, http.StatusOK)
}

func (h *handlers) refresh() http.Handler {
	return endpoint(h, httpx.DecodeBody[refreshRequest](), func(ctx context.Context, req refreshRequest) (tokenPairDTO, error) {
		p, err := h.svc.Refresh(ctx, req.RefreshToken)
		return toTokenPair(p), err
	}, http.StatusOK)
}

func (h *handlers) logout() http.Handler {
	return endpoint(h, httpx.DecodeBody[refreshRequest](), func(ctx context.Context, req refreshRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.Logout(ctx, req.RefreshToken)
	}, http.StatusNoContent)
}

func (h *handlers) me() http.Handler {
	return endpoint(h, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (meDTO, error) {
		m, err := h.svc.Me(ctx)
		return toMe(m), err
	}, http.StatusOK)
}

func (h *handlers) changePassword() http.Handler {
	return endpoint(h, httpx.DecodeBody[changePasswordRequest](), func(ctx context.Context, req changePasswordRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.ChangePassword(ctx, app.ChangePasswordInput(req))
	}, http.StatusNoContent)
}

func (h *handlers) listUsers() http.Handler {
	return endpoint(h, decodeUserQuery, func(ctx context.Context, q app.UserQuery) (httpx.List[userListDTO], error) {
		page, err := h.svc.ListUsers(ctx, q)
		now := h.now()
		items := make([]userListDTO, 0, len(page.Items))
		for _, r := range page.Items {
			items = append(items, userListDTO{userDTO: toUser(r.User), Locked: isLocked(r, now)})
		}
		return httpx.NewList(items, page.Next), err
	}, http.StatusOK)
}

func (h *handlers) getUser() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (userDTO, error) {
		u, err := h.svc.GetUser(ctx, req.ID)
		return toUser(u), err
	}, http.StatusOK)
}

func (h *handlers) updateUser() http.Handler {
	return endpoint(h, decodeUpdateUser, func(ctx context.Context, req updateUser) (userDTO, error) {
		u, err := h.svc.UpdateUser(ctx, req.ID, req.Update)
		return toUser(u), err
	}, http.StatusOK)
}

func (h *handlers) deleteUser() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteUser(ctx, req.ID)
	}, http.StatusNoContent)
}

func (h *handlers) adminListUsers() http.Handler {
	return endpoint(h, decodeUserQuery, func(ctx context.Context, q app.UserQuery) (httpx.List[adminUserDTO], error) {
		page, err := h.svc.AdminListUsers(ctx, q)
		now := h.now()
		items := make([]adminUserDTO, 0, len(page.Items))
		for _, r := range page.Items {
			items = append(items, adminUserDTO{
				userDTO: toUser(r.User), Locked: isLocked(r, now), LockedUntil: utcPtr(r.LockedUntil),
				FailedAttempts: r.FailedAttempts, DeletedAt: utcPtr(r.DeletedAt),
			})
		}
		return httpx.NewList(items, page.Next), err
	}, http.StatusOK)
}

func (h *handlers) adminCreateUser() http.Handler {
	return endpoint(h, httpx.DecodeBody[createUserRequest](), func(ctx context.Context, req createUserRequest) (userDTO, error) {
		u, err := h.svc.AdminCreateUser(ctx, app.CreateUserInput(req))
		return toUser(u), err
	}, http.StatusCreated)
}

func (h *handlers) setUserRoles() http.Handler {
	return endpoint(h, decodeSetRoles, func(ctx context.Context, req setRoles) (userDTO, error) {
		u, err := h.svc.SetUserRoles(ctx, req.ID, req.Roles)
		return toUser(u), err
	}, http.StatusOK)
}

func (h *handlers) resetPassword() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (passwordResetDTO, error) {
		r, err := h.svc.ResetPassword(ctx, req.ID)
		return passwordResetDTO(r), err
	}, http.StatusOK)
}

func (h *handlers) listTeams() http.Handler {
	return endpoint(h, decodePage, func(ctx context.Context, q app.PageQuery) (httpx.List[teamDTO], error) {
		page, err := h.svc.ListTeams(ctx, q)
		items := make([]teamDTO, 0, len(page.Items))
		for _, t := range page.Items {
			items = append(items, toTeam(t))
		}
		return httpx.NewList(items, page.Next), err
	}, http.StatusOK)
}

func (h *handlers) createTeam() http.Handler {
	return endpoint(h, httpx.DecodeBody[teamRequest](), func(ctx context.Context, req teamRequest) (teamDetailDTO, error) {
		d, err := h.svc.CreateTeam(ctx, domain.TeamInput(req))
		return toTeamDetail(d), err
	}, http.StatusCreated)
}

func (h *handlers) getTeam() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (teamDetailDTO, error) {
		d, err := h.svc.GetTeam(ctx, req.ID)
		return toTeamDetail(d), err
	}, http.StatusOK)
}

func (h *handlers) updateTeam() http.Handler {
	return endpoint(h, decodeTeamUpdate, func(ctx context.Context, req teamUpdate) (teamDetailDTO, error) {
		d, err := h.svc.UpdateTeam(ctx, req.ID, req.Input)
		return toTeamDetail(d), err
	}, http.StatusOK)
}

func (h *handlers) deleteTeam() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteTeam(ctx, req.ID)
	}, http.StatusNoContent)
}

func (h *handlers) addMember() http.Handler {
	return endpoint(h, decodeAddMember, func(ctx context.Context, req memberRef) (teamDetailDTO, error) {
		d, err := h.svc.AddTeamMember(ctx, req.TeamID, req.UserID)
		return toTeamDetail(d), err
	}, http.StatusOK)
}

func (h *handlers) removeMember() http.Handler {
	return endpoint(h, decodeMemberPath, func(ctx context.Context, req memberRef) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.RemoveTeamMember(ctx, req.TeamID, req.UserID)
	}, http.StatusNoContent)
}

func (h *handlers) listRoles() http.Handler {
	return endpoint(h, decodePage, func(ctx context.Context, q app.PageQuery) (httpx.List[roleDTO], error) {
		page, err := h.svc.ListRoles(ctx, q)
		items := make([]roleDTO, 0, len(page.Items))
		for _, r := range page.Items {
			items = append(items, toRole(r))
		}
		return httpx.NewList(items, page.Next), err
	}, http.StatusOK)
}

func (h *handlers) createRole() http.Handler {
	return endpoint(h, httpx.DecodeBody[roleRequest](), func(ctx context.Context, req roleRequest) (roleDTO, error) {
		r, err := h.svc.CreateRole(ctx, domain.RoleInput(req))
		return toRole(r), err
	}, http.StatusCreated)
}

func (h *handlers) getRole() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (roleDTO, error) {
		r, err := h.svc.GetRole(ctx, req.ID)
		return toRole(r), err
	}, http.StatusOK)
}

func (h *handlers) updateRole() http.Handler {
	return endpoint(h, decodeRoleUpdate, func(ctx context.Context, req roleUpdate) (roleDTO, error) {
		r, err := h.svc.UpdateRole(ctx, req.ID, req.Input)
		return toRole(r), err
	}, http.StatusOK)
}

func (h *handlers) deleteRole() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteRole(ctx, req.ID)
	}, http.StatusNoContent)
}

func (h *handlers) permissions() http.Handler {
	return endpoint(h, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (httpx.List[permissionDTO], error) {
		perms, err := h.svc.Permissions(ctx)
		items := make([]permissionDTO, 0, len(perms))
		for _, p := range perms {
			items = append(items, permissionDTO(p))
		}
		return httpx.NewList(items, ""), err
	}, http.StatusOK)
}
